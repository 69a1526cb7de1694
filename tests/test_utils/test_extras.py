"""Optional dependencies fail with the extra to install."""
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmpretrain.registry import MODELS

from hashnet_mm.utils.extras import require_extra
from ..test_configs import REPO


def test_missing_module_names_the_extra():
    with pytest.raises(
            ImportError,
            match=r"Search needs no_such_module_x, "
            r"which is not installed: pip install "
            r"'hashnet_mm\[search\]'"):
        require_extra('no_such_module_x', 'search', 'Search')
    assert require_extra('json', 'x', 'y') is sys.modules['json']


def test_efficientnet_configs_name_the_timm_extra(monkeypatch):
    cfg = Config.fromfile(
        f'{REPO}/configs/hashnet/hashnet_efficientnetlite0_1xb64_coco_64bit.py'
    )
    monkeypatch.setitem(sys.modules, 'timm', None)  # import timm fails
    with pytest.raises(
            ImportError,
            match=r"EfficientNetLite0 \(TIMMBackbone"
            r"\) needs timm, .* pip install 'hashnet_mm\[timm\]'"):
        MODELS.build(cfg.model.backbone)


@pytest.mark.slow
def test_import_needs_no_extra_and_loads_no_optional_module():
    """``import hashnet_mm`` with numba, faiss and timm unimportable; and,
    with them installed, it loads none of them (numba: first CPU ranking)."""
    code = ('import sys; blocked = ("numba", "faiss", "timm"); '
            'sys.modules.update(dict.fromkeys(blocked)); '
            'import hashnet_mm, hashnet_mm.apis; '
            'print("imported")')
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                            capture_output=True,
                            text=True,
                            cwd=REPO)
    assert result.stdout.strip() == 'imported', result.stderr[-2000:]
    code = ('import sys, hashnet_mm; print(*[m for m in ("numba", "faiss", '
            '"timm") if m in sys.modules])')
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                            capture_output=True,
                            text=True,
                            cwd=REPO)
    assert result.returncode == 0 and result.stdout.strip() == '', \
        result.stdout + result.stderr[-2000:]
