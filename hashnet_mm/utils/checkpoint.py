"""Let ``torch.load(weights_only=True)`` read mmengine checkpoints.

Since torch 2.6 ``torch.load`` unpickles only allow-listed globals. An
mmengine checkpoint (``CheckpointHook``, ``--resume``, ``load_from``) holds,
besides tensors, the message hub's ``HistoryBuffer`` objects with numpy
arrays and scalars inside. This module allow-lists exactly those types, and
nothing more general: ``HistoryBuffer`` pickles its statistics methods as
``getattr(HistoryBuffer, 'mean')``, so ``builtins.getattr`` is served by a
stand-in that only returns such methods. Checkpoints are never loaded
with weights-only unpickling switched off.
"""
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # numpy 1.x
    from numpy.core.multiarray import _reconstruct, scalar


# HistoryBuffer's built-in statistics; custom ones are registered there too.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_statistic(owner, name: str):
    """``getattr`` restricted to HistoryBuffer's statistics methods."""
    if owner is not HistoryBuffer or (
            name not in HISTORY_BUFFER_STATISTICS
            and name not in HistoryBuffer._statistics_methods):
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({owner!r}, {name!r}); only '
            'HistoryBuffer statistics methods are allowed')
    return getattr(owner, name)


CHECKPOINT_SAFE_GLOBALS = [
    HistoryBuffer,
    np.ndarray,
    np.dtype,
    # dtype classes of the arrays and scalars that the message hub logs.
    type(np.dtype(np.float64)),
    type(np.dtype(np.int64)),
    # Checkpoints written under numpy 1.x and 2.x name these differently.
    (_reconstruct, 'numpy.core.multiarray._reconstruct'),
    (_reconstruct, 'numpy._core.multiarray._reconstruct'),
    (scalar, 'numpy.core.multiarray.scalar'),
    (scalar, 'numpy._core.multiarray.scalar'),
    (history_buffer_statistic, 'builtins.getattr'),
]


def allow_checkpoint_globals() -> None:
    """Add :data:`CHECKPOINT_SAFE_GLOBALS` to torch's weights-only loader."""
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)
