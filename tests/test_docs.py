"""The documentation builds with every warning an error."""
import os.path as osp
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-E', '-W', '--keep-going', '-q',
         '-b', 'html', osp.join(ROOT, 'docs', 'en'), str(tmp_path / 'html')],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / 'html' / 'index.html').is_file()
    assert (tmp_path / 'html' / 'api.html').is_file()
