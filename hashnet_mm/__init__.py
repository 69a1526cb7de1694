"""HashNet deep hashing for the OpenMMLab stack.

Importing the package registers its datasets, models, hooks and metrics in
mmpretrain's registries (configs load it with ``custom_imports``) and lets
``torch.load(weights_only=True)`` read mmengine checkpoints. A config
anywhere inherits the project's configs through :func:`config_file`.
"""
from . import datasets, engine, evaluation, models  # noqa: F401
from .config_files import config_file
from .utils import allow_checkpoint_globals
from .version import __version__

allow_checkpoint_globals()

__all__ = ['__version__', 'config_file']
