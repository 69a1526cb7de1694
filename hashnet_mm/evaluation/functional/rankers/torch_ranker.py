"""The torch backend: keys by matrix products, ranking by counting, all
rows of a chunk at once (the path for GPUs; it runs on any device).

Distances: for codes in {-1, +1}^K the Hamming distance is ``(K - <b_q,
b_i>) / 2`` (paper Sec. 3: the inner product and the Hamming distance are
equivalent), so all distances of a query chunk to the database come from one
matrix product: ``[-b_q, K] @ [b_i, 1]^T = K - <b_q, b_i> = 2 * distance``.
Every partial sum of that product is an integer in [-K, 2K]; bfloat16 holds
every integer up to 256 exactly, so for K <= 127 the product is exact in
bfloat16 whatever the summation order (several times faster than float32 on
CPUs with bf16 units, and on GPUs); longer codes use float32 (exact below
2**24). Relevance comes from another product, of the labels.
"""
from typing import Optional

import torch

from .base import DatabaseRanker, RankedRows, key_dtype

# Longest code whose doubled distances (<= 2K) bfloat16 holds exactly.
MAX_BFLOAT16_BITS = 127


def distance_matmul_dtype(num_bits: int) -> torch.dtype:
    """The cheapest dtype in which the doubled distances are exact."""
    return torch.bfloat16 if num_bits <= MAX_BFLOAT16_BITS else torch.float32


def query_operand(query_codes: torch.Tensor) -> torch.Tensor:
    """(Q, K + 1) left factor ``[-b_q, K]`` of the doubled distances."""
    num_bits = query_codes.shape[1]
    codes = query_codes.to(distance_matmul_dtype(num_bits))
    return torch.cat(
        [-codes, codes.new_full((len(codes), 1), num_bits)], dim=1)


def database_operand(database_codes: torch.Tensor) -> torch.Tensor:
    """(K + 1, N) right factor ``[b_i, 1]^T`` of the doubled distances."""
    codes = database_codes.to(distance_matmul_dtype(database_codes.shape[1]))
    return torch.cat([codes, codes.new_ones((len(codes), 1))],
                     dim=1).t().contiguous()


class TorchRanker(DatabaseRanker):
    """The database as the right factors of the two products."""

    def __init__(self,
                 database_codes: torch.Tensor,
                 database_labels: Optional[torch.Tensor] = None):
        super().__init__(database_codes, database_labels)
        self._factor = database_operand(database_codes)
        self._label_factor = None if database_labels is None else \
            _label_operand(database_labels).t().contiguous()

    def keys(self,
             query_codes: torch.Tensor,
             query_labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(Q, N) keys ``2 * distance + relevant``, uint8 for K <= 127
        (else int32)."""
        keys = (query_operand(query_codes) @ self._factor).to(
            key_dtype(self.num_bits))
        if self._label_factor is not None:
            keys += _shares_label(
                _label_operand(query_labels) @ self._label_factor)
        return keys

    def rank(self, query_codes: torch.Tensor,
             query_labels: Optional[torch.Tensor], depth: int) -> RankedRows:
        return rank_by_distance(
            self.keys(query_codes, query_labels), self.num_bits, depth)


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


def rank_by_distance(keys: torch.Tensor, num_bits: int,
                     depth: int) -> RankedRows:
    """Count each row's keys and rank its first ``depth`` items.

    Items are ordered by distance (``key >> 1``), then by database index.
    Counting gives the distance of each row's ``depth``-th item; only the
    items at most that far (the candidates, listed by row, then index) are
    sorted, by one stable sort on (row, distance) for all rows at once.

    Args:
        keys (Tensor): (Q, N) keys ``2 * distance + relevant``.
        num_bits (int): K.
        depth (int): how many items to rank per row, 1 <= depth <= N.
    """
    num_rows, num_database = keys.shape
    num_bins = 2 * (num_bits + 1)
    counts = keys.new_zeros((num_rows, num_bins), dtype=torch.int64)
    counts.scatter_add_(1, keys.long(), counts.new_ones(()).expand(keys.shape))
    cumulative = (counts[:, 0::2] + counts[:, 1::2]).cumsum(1)
    last = (cumulative < depth).sum(1)
    is_candidate = keys <= (2 * last + 1).to(keys.dtype)[:, None]
    flat = is_candidate.reshape(-1).nonzero().squeeze(1)
    rows = flat // num_database
    distance = keys.reshape(-1)[flat] >> 1
    order = torch.sort(rows * (num_bits + 1) + distance, stable=True).indices
    ranked = (flat - rows * num_database)[order]
    candidates_per_row = cumulative.gather(1, last[:, None]).squeeze(1)
    row_starts = candidates_per_row.cumsum(0) - candidates_per_row
    top = ranked[row_starts[:, None] + torch.arange(depth, device=keys.device)]
    return RankedRows.from_counts(counts, top, keys.gather(1, top))
