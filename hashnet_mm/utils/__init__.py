"""Helpers shared by the package and its tools.

The checkpoint helpers need torch and mmengine; they are imported on first
use, so that light users of the package (``hashnet_mm.search``, which needs
only ``hashnet_mm.utils.extras``) do not load the training stack.
"""
import importlib

__all__ = ['CHECKPOINT_SAFE_GLOBALS', 'allow_checkpoint_globals']


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module('.checkpoint', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
