"""Hamming ranking by counting: distances are small integers in [0, K].

Each (query, database item) pair is one small integer key, ``2 * distance +
relevant`` (``pair_keys.py``). One count per row gives the number of items,
and of relevant items, at every distance; one stable sort of only the items
that can reach the top gives the ranking, ties broken by database index.

On CPU the rows are ranked one at a time, each staying in cache, with the
fastest kernels measured for this data on the 2-core dev CPU: torch's
``bincount`` (2x numpy's), numpy's ``flatnonzero`` (2x torch's ``nonzero``)
and numpy's radix sort (``argsort(kind='stable')`` on integers of at most 16
bits; 10x and more faster than torch's ``sort``). On other devices (GPUs) all
rows go at once through torch kernels.
"""
from typing import Iterable, NamedTuple, Union

import numpy as np
import torch


class RankedRows(NamedTuple):
    """What :func:`rank_by_distance` returns, per row (query)."""
    distance_counts: torch.Tensor  # (Q, K + 1) int64 items at distance d
    relevant_counts: torch.Tensor  # (Q, K + 1) int64 relevant ones
    top: torch.Tensor  # (Q, depth) int64 database indices, in rank order
    top_keys: torch.Tensor  # (Q, depth) their keys (low bit: relevant)


def rank_by_distance(keys: Union[torch.Tensor, Iterable[np.ndarray]],
                     num_bits: int, depth: int) -> RankedRows:
    """Count each row's items by distance and rank its first ``depth``.

    Items are ordered by distance (``key >> 1``), then by database index.
    Counting gives the distance of each row's ``depth``-th item; only the
    items at most that far (the candidates, listed in index order) are
    sorted, by a stable sort on distance.

    Args:
        keys (Tensor | Iterable[ndarray]): (Q, N) keys from
            :class:`PairKeys`, or their rows one at a time
            (:meth:`PairKeys.rows`).
        num_bits (int): K.
        depth (int): how many items to rank per row, 1 <= depth <= N.
    """
    num_bins = 2 * (num_bits + 1)
    if isinstance(keys, torch.Tensor) and keys.device.type != 'cpu':
        counts, top, top_keys = _rank_rows_torch(keys, num_bins, depth)
    else:
        counts, top, top_keys = _rank_rows_cpu(
            keys.numpy() if isinstance(keys, torch.Tensor) else keys, num_bins,
            depth)
    counts = counts.view(-1, num_bits + 1, 2)
    return RankedRows(counts.sum(2), counts[..., 1], top, top_keys)


def _rank_rows_cpu(rows: Iterable[np.ndarray], num_bins: int,
                   depth: int) -> tuple:
    """One row at a time, so that each row stays in cache."""
    counts, top, top_keys = [], [], []
    for row in rows:
        counts.append(
            torch.bincount(torch.from_numpy(row), minlength=num_bins).numpy())
        cumulative = np.cumsum(counts[-1][0::2] + counts[-1][1::2])
        last = cumulative.searchsorted(depth)
        candidates = np.flatnonzero(row <= row.dtype.type(2 * last + 1))
        candidate_keys = row[candidates]
        order = np.argsort(candidate_keys >> 1, kind='stable')[:depth]
        top.append(candidates[order])
        top_keys.append(candidate_keys[order])
    return tuple(
        torch.from_numpy(np.stack(column))
        for column in (counts, top, top_keys))


def _rank_rows_torch(keys: torch.Tensor, num_bins: int, depth: int) -> tuple:
    """All rows at once (for GPUs)."""
    num_rows, num_database = keys.shape
    counts = keys.new_zeros((num_rows, num_bins), dtype=torch.int64)
    counts.scatter_add_(1, keys.long(), counts.new_ones(()).expand(keys.shape))
    cumulative = (counts[:, 0::2] + counts[:, 1::2]).cumsum(1)
    last = (cumulative < depth).sum(1)
    is_candidate = keys <= (2 * last + 1).to(keys.dtype)[:, None]
    flat = is_candidate.reshape(-1).nonzero().squeeze(1)
    rows = flat // num_database
    distance = keys.reshape(-1)[flat] >> 1
    # Candidates are listed by row, then index: a stable sort by (row,
    # distance) ranks every row at once.
    order = torch.sort(rows * (num_bins // 2) + distance, stable=True).indices
    ranked = (flat - rows * num_database)[order]
    candidates_per_row = cumulative.gather(1, last[:, None]).squeeze(1)
    row_starts = candidates_per_row.cumsum(0) - candidates_per_row
    top = ranked[row_starts[:, None] + torch.arange(depth, device=keys.device)]
    return counts, top, keys.gather(1, top)
