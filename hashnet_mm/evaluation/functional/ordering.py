"""Hamming ranking by counting: distances are small integers in [0, K].

Each (query, database item) pair is one small integer key, ``2 * distance +
relevant``. One count per row gives the number of items, and of relevant
items, at every distance; one stable sort of only the items that can reach
the top gives the ranking, ties broken by database index.

This module ranks a (Q, N) tensor of keys (``pair_keys.py``) with torch
kernels, all rows at once: the path for GPUs. On CPU,
``packed_ranking.py`` computes and ranks the keys in one compiled kernel.
"""
from typing import NamedTuple

import torch


def key_dtype(num_bits: int) -> torch.dtype:
    """The smallest dtype of the keys of K-bit codes: uint8 holds 2K + 1 for
    K <= 127."""
    return torch.uint8 if num_bits <= 127 else torch.int32


class RankedRows(NamedTuple):
    """Per row (query): counts by distance and the first items ranked."""
    distance_counts: torch.Tensor  # (Q, K + 1) int64 items at distance d
    relevant_counts: torch.Tensor  # (Q, K + 1) int64 relevant ones
    top: torch.Tensor  # (Q, depth) int64 database indices, in rank order
    top_keys: torch.Tensor  # (Q, depth) their keys (low bit: relevant)

    @classmethod
    def from_counts(cls, key_counts: torch.Tensor, top: torch.Tensor,
                    top_keys: torch.Tensor) -> 'RankedRows':
        """From (Q, 2 (K + 1)) counts of each key ``2 * distance +
        relevant``."""
        by_distance = key_counts.view(len(key_counts), -1, 2)
        return cls(by_distance.sum(2), by_distance[..., 1], top, top_keys)


def rank_by_distance(keys: torch.Tensor, num_bits: int,
                     depth: int) -> RankedRows:
    """Count each row's items by distance and rank its first ``depth``.

    Items are ordered by distance (``key >> 1``), then by database index.
    Counting gives the distance of each row's ``depth``-th item; only the
    items at most that far (the candidates, listed by row, then index) are
    sorted, by one stable sort on (row, distance) for all rows at once.

    Args:
        keys (Tensor): (Q, N) keys from :class:`PairKeys`.
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
