"""HashNet deep hashing for the OpenMMLab stack.

Importing the package registers its datasets, models, hooks and metrics in
mmpretrain's registries (configs load it with ``custom_imports``) and lets
``torch.load(weights_only=True)`` read mmengine checkpoints, as soon as
mmpretrain (for the registries) and mmengine (for the checkpoints) are
imported: at once if they already are, else when they are
(:mod:`hashnet_mm.plugin`). So ``import hashnet_mm.search`` loads neither
torch nor mmpretrain. A config anywhere inherits the project's configs
through :func:`config_file`.
"""
import importlib

from . import plugin
from .config_files import config_file
from .plugin import register_all_modules
from .version import __version__

plugin.install()

__all__ = ['__version__', 'config_file', 'register_all_modules']

SUBPACKAGES = ('apis', 'datasets', 'encoding', 'engine', 'evaluation',
               'models', 'search', 'serving', 'shallow', 'utils')


def __getattr__(name: str):
    """``hashnet_mm.models`` and the other subpackages, imported on first
    use (as ``import hashnet_mm.models`` would)."""
    if name in SUBPACKAGES:
        return importlib.import_module(f'.{name}', __name__)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
