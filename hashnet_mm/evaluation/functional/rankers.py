"""The two ways of ranking a database by Hamming distance, and where each
runs: packed bits and a compiled kernel on CPU (``packed_ranking.py``),
matrix products and torch kernels on other devices, e.g. GPUs
(``pair_keys.py``). Both give the same :class:`RankedRows`. The CPU
backend is imported when first used: it loads numba (half a second),
which training and ``import hashnet_mm`` do not need."""
from typing import Optional

import torch

from .pair_keys import PairKeys
from .validation import check_choice

BACKENDS = ('packed', 'matmul')


def database_ranker(database_codes: torch.Tensor,
                    database_labels: Optional[torch.Tensor] = None,
                    backend: Optional[str] = None
                    ):
    """The database prepared for ranking queries (its ``rank`` method).

    Args:
        database_codes (Tensor): (N, K) codes in {-1, +1}.
        database_labels (Tensor, optional): (N, C) multi-hot labels; without
            them no item is relevant.
        backend (str, optional): ``'packed'`` or ``'matmul'``; by default
            ``'packed'`` for CPU tensors, ``'matmul'`` otherwise.
    """
    if backend is None:
        backend = 'packed' if database_codes.device.type == 'cpu' \
            else 'matmul'
    check_choice('backend', backend, BACKENDS)
    if backend == 'packed':
        from .packed_ranking import PackedDatabase
        return PackedDatabase(database_codes, database_labels)
    return PairKeys(database_codes, database_labels)
