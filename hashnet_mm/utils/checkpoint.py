"""Reading mmengine checkpoints safely: weights-only, checked, strict.

Since torch 2.6 ``torch.load`` unpickles only allow-listed globals. An
mmengine checkpoint (``CheckpointHook``, ``--resume``, ``load_from``) holds,
besides tensors, the message hub's ``HistoryBuffer`` objects with numpy
arrays and scalars inside. This module allow-lists exactly those types, and
nothing more general: ``HistoryBuffer`` pickles its statistics methods as
``getattr(HistoryBuffer, 'mean')``, so ``builtins.getattr`` is served by a
stand-in that only returns such methods. Checkpoints are never loaded
with weights-only unpickling switched off.

:func:`load_model_weights` is what every tool uses to put a checkpoint's
weights into a model: strict by default, and never weights with a NaN.
"""
import logging
import os.path as osp
import pickle
import re
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer, print_log
from mmengine.model import is_model_wrapper

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


class CheckpointError(ValueError):
    """A checkpoint that cannot be used as it is (the message says why)."""


def unpickling_reason(message: str) -> str:
    """The line of torch's weights-only error that names what was refused."""
    boilerplate = ('Weights only load failed', 'Please file an issue',
                   'Check the documentation')
    lines = [line.strip() for line in message.splitlines()]
    return next(
        (line for line in lines if line and not line.startswith(boilerplate)),
        'unreadable pickle')


def read_checkpoint(filename: str, map_location='cpu') -> dict:
    """The checkpoint at ``filename``, read by ``torch.load`` weights-only.

    Raises FileNotFoundError, or :class:`CheckpointError` naming the file
    for one that is not a torch checkpoint (a raw pickle, a truncated file)
    or that holds objects outside :data:`CHECKPOINT_SAFE_GLOBALS`.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} not found')
    allow_checkpoint_globals()
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        reason = unpickling_reason(str(error))
        if reason.startswith('Unsupported operand'):
            reason += (' (a raw pickle written by pickle.dump, not by '
                       'torch.save: re-save the dict with torch.save)')
        raise CheckpointError(
            f'{filename}: refused by the weights-only loader (no code runs '
            f'from a checkpoint): {reason}') from error
    except Exception as error:  # torch's readers fail in many ways
        raise CheckpointError(
            f'{filename}: cannot read the checkpoint (truncated or not a '
            f'torch.save file?): {error}') from error


def model_state_dict(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint (``state_dict`` or the whole dict),
    with the ``module.`` prefix of a DDP-wrapped model removed."""
    state = checkpoint.get('state_dict', checkpoint)
    return {
        re.sub(r'^module\.', '', key): value
        for key, value in state.items()
    }


def non_finite_tensors(state: Dict[str, torch.Tensor]) -> List[str]:
    """Names of the floating-point tensors holding a NaN or an infinity."""
    return [
        name for name, value in state.items()
        if torch.is_tensor(value) and value.is_floating_point()
        and not bool(torch.isfinite(value).all())
    ]


def check_finite_weights(checkpoint: dict, filename: str) -> None:
    """A :class:`CheckpointError` naming ``filename`` and the tensors when
    its weights hold a NaN or an infinity (a diverged run)."""
    broken = non_finite_tensors(model_state_dict(checkpoint))
    if broken:
        raise CheckpointError(
            f'{filename}: {len(broken)} weight tensors hold NaN or inf (the '
            f'training run diverged): {", ".join(broken[:5])}')


def read_finite_checkpoint(filename: str) -> dict:
    """:func:`read_checkpoint`, refused when its weights are not finite
    (:func:`check_finite_weights`)."""
    checkpoint = read_checkpoint(filename)
    check_finite_weights(checkpoint, filename)
    return checkpoint


def compare_state_dicts(model_state: Dict[str, torch.Tensor],
                        loaded: Dict[str, torch.Tensor]) -> List[str]:
    """One line per missing, unexpected and mis-shaped key (empty: match)."""
    problems = []
    missing = [k for k in model_state if k not in loaded]
    unexpected = [k for k in loaded if k not in model_state]
    shapes = [
        f'{k}: checkpoint {tuple(loaded[k].shape)}, model '
        f'{tuple(model_state[k].shape)}' for k in model_state
        if k in loaded and torch.is_tensor(loaded[k])
        and loaded[k].shape != model_state[k].shape
    ]
    for title, keys in (('missing in the checkpoint', missing),
                        ('unexpected (not in the model)',
                         unexpected), ('of another shape', shapes)):
        if keys:
            shown = ', '.join(keys[:8]) + (f', ... ({len(keys) - 8} more)'
                                           if len(keys) > 8 else '')
            problems.append(f'{len(keys)} keys {title}: {shown}')
    return problems


def load_model_weights(model: nn.Module,
                       filename: str,
                       strict: bool = True,
                       logger=None) -> dict:
    """Load the weights of checkpoint ``filename`` into ``model``.

    Refused with a :class:`CheckpointError` naming the file: weights with a
    NaN or an infinity (a diverged run), and, when ``strict``, any missing,
    unexpected or mis-shaped key (another code length or backbone would
    otherwise be scored with randomly initialised layers). With
    ``strict`` off the matching keys are loaded and the rest is listed as
    a warning. Returns the checkpoint.
    """
    checkpoint = read_finite_checkpoint(filename)
    state = model_state_dict(checkpoint)
    target = model.module if is_model_wrapper(model) else model
    problems = compare_state_dicts(target.state_dict(), state)
    if problems and strict:
        raise CheckpointError(
            f'{filename} does not match the model of this config:\n  ' +
            '\n  '.join(problems) + '\nCheck model.head.num_bits and the '
            'backbone against the config the checkpoint was trained with; '
            'to load only the matching weights, ask for a partial load '
            '(tools: --partial-load).')
    if problems:
        print_log(
            f'partial load of {filename}: ' + '; '.join(problems),
            logger=logger or 'current',
            level=logging.WARNING)
        model_keys = target.state_dict()
        state = {
            k: v
            for k, v in state.items()
            if k in model_keys and v.shape == model_keys[k].shape
        }
    # Every key was checked above; a partial load leaves the others as they
    # were (and has said which).
    target.load_state_dict(state, strict=not problems)
    return checkpoint
