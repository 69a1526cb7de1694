"""``2 * distance + relevant`` for every (query, database item) pair, by
matrix products: the keys that ``ordering.rank_by_distance`` ranks on GPUs.

Relevant = sharing at least one label. The distances come from an exact
bfloat16 matrix product (see ``hamming.py``), the shared-label counts from
another, a chunk of queries at once.
"""
from typing import Optional

import torch

from .hamming import database_operand, doubled_distance, query_operand
from .ordering import RankedRows, key_dtype, rank_by_distance


class PairKeys:
    """Keys of query chunks against one database, prepared once.

    Args:
        database_codes (Tensor): (N, K) codes in {-1, +1}.
        database_labels (Tensor, optional): (N, C) multi-hot labels; without
            them no pair is relevant.
    """

    def __init__(self,
                 database_codes: torch.Tensor,
                 database_labels: Optional[torch.Tensor] = None):
        self.num_bits = database_codes.shape[1]
        self._factor = database_operand(database_codes)
        self._label_factor = None if database_labels is None else \
            _label_operand(database_labels).t().contiguous()

    def __call__(self,
                 query_codes: torch.Tensor,
                 query_labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(Q, N) keys, uint8 for K <= 127 (else int32)."""
        keys = doubled_distance(query_operand(query_codes),
                                self._factor).to(key_dtype(self.num_bits))
        if self._label_factor is not None:
            keys += _shares_label(
                _label_operand(query_labels) @ self._label_factor)
        return keys

    def rank(self, query_codes: torch.Tensor,
             query_labels: Optional[torch.Tensor], depth: int) -> RankedRows:
        """:func:`rank_by_distance` of the queries' keys."""
        return rank_by_distance(
            self(query_codes, query_labels), self.num_bits, depth)


def _label_operand(labels: torch.Tensor) -> torch.Tensor:
    """Labels as bfloat16 for the shared-label product.

    ``labels_q @ labels_i`` counts shared labels: a sum of non-negative
    terms, so it is positive exactly when a label is shared, even where
    bfloat16 rounds it (rounding never takes a positive sum to 0).
    """
    return labels.to(torch.bfloat16)


def _shares_label(shared_counts: torch.Tensor) -> torch.Tensor:
    """``shared_counts > 0`` for the non-negative bfloat16 product above.

    Compared as int16 bit patterns, which is faster on CPU than bfloat16
    arithmetic: a non-negative float is positive exactly when its bits are.
    """
    return shared_counts.view(torch.int16) > 0
