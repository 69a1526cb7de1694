"""Two backends that rank a database by Hamming distance, behind one
interface (:class:`DatabaseRanker`, ``base.py``): packed bits and a kernel
compiled by numba on CPU (``numba_ranker.py``), matrix products and torch
kernels on other devices, e.g. GPUs (``torch_ranker.py``). Both give the
same :class:`RankedRows`. The numba backend is imported when first used: it
loads numba, which training and ``import hashnet_mm`` do not need."""
from typing import Optional

import torch

from ..validation import check_choice
from .base import DatabaseRanker, RankedRows
from .torch_ranker import TorchRanker

BACKENDS = ('numba', 'torch')


def database_ranker(database_codes: torch.Tensor,
                    database_labels: Optional[torch.Tensor] = None,
                    backend: Optional[str] = None) -> DatabaseRanker:
    """The database prepared for ranking queries (its ``rank`` method).

    Args:
        database_codes (Tensor): (N, K) codes in {-1, +1}.
        database_labels (Tensor, optional): (N, C) multi-hot labels; without
            them no item is relevant.
        backend (str, optional): ``'numba'`` or ``'torch'``; by default
            ``'numba'`` for CPU tensors, ``'torch'`` otherwise.
    """
    if backend is None:
        backend = 'numba' if database_codes.device.type == 'cpu' \
            else 'torch'
    check_choice('backend', backend, BACKENDS)
    if backend == 'numba':
        from .numba_ranker import NumbaRanker
        return NumbaRanker(database_codes, database_labels)
    return TorchRanker(database_codes, database_labels)


__all__ = ['BACKENDS', 'DatabaseRanker', 'RankedRows', 'database_ranker']
