"""The console commands of an installed hashnet_mm (setup.py
``console_scripts``): each runs the ``main()`` of the tool it is named
after, the same script as ``python tools/<tool>.py`` in a clone.

=======================  =========================
command                  tool
=======================  =========================
``hashnet-train``        ``tools/train.py``
``hashnet-test``         ``tools/test.py``
``hashnet-encode``       ``tools/encode.py``
``hashnet-build-index``  ``tools/build_index.py``
``hashnet-search``       ``tools/search.py``
``hashnet-serve``        ``tools/serve.py``
=======================  =========================

An installed package ships the tools as ``hashnet_mm/.mim/tools/`` (where
OpenMMLab's ``mim train`` / ``mim test`` run them too); the source tree has
them in ``tools/``. Importing this module loads nothing heavy: a tool's
imports run when its command does.
"""
import importlib.util
import os.path as osp
import sys
from types import ModuleType

from .config_files import shipped_dirs

TOOL_DIRS = shipped_dirs('tools')


def tool_file(name: str) -> str:
    """The path of the tool script ``name`` (e.g. ``'train.py'``)."""
    for folder in TOOL_DIRS:
        path = osp.join(folder, name)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'hashnet_mm: no tool {name!r} in {" or ".join(TOOL_DIRS)} (a wheel '
        'ships the tools as hashnet_mm/.mim/tools; reinstall the package)')


def load_tool(name: str) -> ModuleType:
    """The tool script ``name`` imported as a module (``__name__`` is not
    ``'__main__'``, so it does not run)."""
    path = tool_file(name)
    module_name = 'hashnet_mm_tools_' + osp.splitext(name)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    if not callable(getattr(module, 'main', None)):
        raise AttributeError(f'{path} has no main(argv=None)')
    return module


def run_tool(name: str, argv=None):
    """Run ``main(argv)`` of the tool ``name`` (``argv`` None: the
    command line's arguments)."""
    return load_tool(name).main(argv)


def train(argv=None):
    """``hashnet-train``: ``tools/train.py``."""
    run_tool('train.py', argv)


def test(argv=None):
    """``hashnet-test``: ``tools/test.py``."""
    run_tool('test.py', argv)


def encode(argv=None):
    """``hashnet-encode``: ``tools/encode.py``."""
    run_tool('encode.py', argv)


def build_index(argv=None):
    """``hashnet-build-index``: ``tools/build_index.py``."""
    run_tool('build_index.py', argv)


def search(argv=None):
    """``hashnet-search``: ``tools/search.py``."""
    run_tool('search.py', argv)


def serve(argv=None):
    """``hashnet-serve``: ``tools/serve.py``."""
    run_tool('serve.py', argv)
