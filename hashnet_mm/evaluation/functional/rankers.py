"""The two ways of ranking a database by Hamming distance, and where each
runs: packed bits and a compiled kernel on CPU (``packed_ranking.py``),
matrix products and torch kernels on other devices, e.g. GPUs
(``pair_keys.py``). Both give the same :class:`RankedRows`."""
from typing import Optional, Union

import torch

from .packed_ranking import PackedDatabase
from .pair_keys import PairKeys
from .validation import check_choice

BACKENDS = {'packed': PackedDatabase, 'matmul': PairKeys}


def database_ranker(database_codes: torch.Tensor,
                    database_labels: Optional[torch.Tensor] = None,
                    backend: Optional[str] = None
                    ) -> Union[PackedDatabase, PairKeys]:
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
    check_choice('backend', backend, tuple(BACKENDS))
    return BACKENDS[backend](database_codes, database_labels)
