"""The documentation builds with every warning an error, and its package
map ("Package layout", docs/en/notes/layout.md) matches the tree: one line
a folder of the package, every package folder listed, every listed path
present."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(ROOT, 'hashnet_mm')
LAYOUT_PAGE = osp.join(ROOT, 'docs', 'en', 'notes', 'layout.md')


def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run([
        sys.executable, '-m', 'sphinx', '-E', '-W', '--keep-going', '-q', '-b',
        'html',
        osp.join(ROOT, 'docs', 'en'),
        str(tmp_path / 'html')
    ],
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / 'html' / 'index.html').is_file()
    assert (tmp_path / 'html' / 'api.html').is_file()


def layout_entries():
    with open(LAYOUT_PAGE, encoding='utf-8') as f:
        text = f.read()
    block = re.search(r'## Layout\n\n```\n(.*?)```', text, re.S).group(1)
    lines = block.splitlines()
    assert lines[0] == 'hashnet_mm/'
    entries = []
    for line in lines[1:]:
        match = re.match(r'  (\S+)\s{2,}\S', line)
        if not match:  # the end of the package's part of the map
            break
        entries.append(match.group(1))
    return entries


def package_folders():
    folders = []
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        if '__init__.py' in files and folder != PACKAGE:
            folders.append(osp.relpath(folder, PACKAGE) + '/')
    return folders


def test_every_listed_path_exists():
    for entry in layout_entries():
        assert osp.exists(osp.join(PACKAGE, entry)), entry


def test_every_package_folder_is_on_the_map():
    entries = set(layout_entries())
    for folder in package_folders():
        parent = osp.dirname(folder.rstrip('/')) + '/'
        covered = folder in entries or parent in entries or any(
            entry.startswith(folder) for entry in entries)
        assert covered, f'{folder} is missing from the package layout page'
