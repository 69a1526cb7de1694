"""How ``import hashnet_mm`` registers the plugin without loading the
training stack for those who only search.

mmengine configs load the plugin with ``custom_imports =
dict(imports=['hashnet_mm'])``; a search service imports
``hashnet_mm.search``, which Python can only reach by importing
``hashnet_mm`` first. Both are served by one rule:

- the datasets, models, hooks and metrics register in mmpretrain's
  registries (:func:`register_all_modules`) **as soon as mmpretrain is
  imported**: at once when it already is, else right after its import
  completes (every mmengine Runner with ``default_scope='mmpretrain'``
  imports it before it builds anything);
- ``torch.load(weights_only=True)`` learns the globals of mmengine
  checkpoints (``allow_checkpoint_globals``) as soon as mmengine is
  imported (a checkpoint holding mmengine objects needs mmengine anyway).

So ``import hashnet_mm.search`` in a process that has not imported torch,
mmengine or mmpretrain loads none of them, and any process that builds
from a config has everything registered before the first build.
"""
import importlib
import importlib.abc
import sys
import threading
from typing import Callable

_lock = threading.Lock()


def register_all_modules() -> None:
    """Import (and so register) the plugin's datasets, models, hooks,
    metrics and encoding components in mmpretrain's registries, and allow
    mmengine checkpoints' globals. Idempotent."""
    from . import datasets, encoding, engine, evaluation, models  # noqa
    allow_checkpoint_globals()


def allow_checkpoint_globals() -> None:
    """``hashnet_mm.utils.allow_checkpoint_globals``, imported on call."""
    from .utils.checkpoint import allow_checkpoint_globals as allow
    allow()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs ``callback`` once the top-level module ``name`` has been
    executed (a post-import hook), then leaves ``sys.meta_path``."""

    def __init__(self, name: str, callback: Callable[[], None]):
        self.name = name
        self.callback = callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(
                spec.loader, 'exec_module'):
            return spec
        execute, hook = spec.loader.exec_module, self

        def exec_module(module):
            execute(module)
            hook.remove()
            hook.callback()

        spec.loader.exec_module = exec_module
        return spec

    def remove(self) -> None:
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)


def when_imported(name: str, callback: Callable[[], None]) -> None:
    """Call ``callback`` now if the top-level module ``name`` is imported,
    else right after its import completes."""
    module = sys.modules.get(name)
    spec = getattr(module, '__spec__', None)
    if module is not None and not getattr(spec, '_initializing', False):
        callback()
        return
    with _lock:
        if not any(
                isinstance(f, _AfterImport) and f.name == name
                and f.callback is callback for f in sys.meta_path):
            sys.meta_path.insert(0, _AfterImport(name, callback))


def install() -> None:
    """The rule of this module's docstring, for ``hashnet_mm/__init__``."""
    when_imported('mmengine', allow_checkpoint_globals)
    when_imported('mmpretrain', register_all_modules)
