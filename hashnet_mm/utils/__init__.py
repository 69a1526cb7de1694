from .checkpoint import CHECKPOINT_SAFE_GLOBALS, allow_checkpoint_globals

__all__ = ['CHECKPOINT_SAFE_GLOBALS', 'allow_checkpoint_globals']
