"""Hamming ranking and its mean average precision at R."""
import torch

from .average_precision import NO_RELEVANT_MODES, map_over_queries
from .rankers import database_ranker
from .statistics import ranking_statistics
from .validation import check_choice, check_chunk_size, resolve_topk


def hamming_ranking(query_codes: torch.Tensor,
                    database_codes: torch.Tensor,
                    topk: int,
                    chunk_size: int = 128) -> torch.Tensor:
    """Indices of the ``topk`` database items nearest to each query.

    Items are ordered by Hamming distance; items at equal distance are ordered
    by their database index (ascending), so the ranking is deterministic.

    Args:
        topk (int): how many items; -1 (or >= N) ranks the whole database.
        chunk_size (int): queries ranked at once; memory is
            O(chunk_size * N).

    Returns:
        Tensor: (Q, topk) int64 database indices.
    """
    check_chunk_size(chunk_size)
    depth = resolve_topk(topk, len(database_codes))
    ranker = database_ranker(database_codes)
    return torch.cat([
        ranker.rank(chunk, None, depth).top
        for chunk in query_codes.split(chunk_size)
    ])


def average_precision_at_r(query_codes: torch.Tensor,
                           database_codes: torch.Tensor,
                           query_labels: torch.Tensor,
                           database_labels: torch.Tensor,
                           topk: int = -1,
                           chunk_size: int = 128) -> torch.Tensor:
    """Average precision of the top ``topk`` of each query's Hamming ranking.

    AP@R = sum_{r<=R} P(r) rel(r) / sum_{r<=R} rel(r), where rel(r) = 1 iff
    the r-th item shares at least one label with the query and P(r) is the
    precision of the first r items. This is the MAP@R of the HashNet paper
    (Sec. 4.1); ties in distance are broken by database index.

    Args:
        query_codes, database_codes (Tensor): (Q, K) and (N, K) codes in
            {-1, +1}.
        query_labels, database_labels (Tensor): (Q, C) and (N, C) multi-hot
            labels (0/1 or bool).
        topk (int): R; -1, or any value >= N, ranks the whole database.
        chunk_size (int): queries evaluated at once; memory is
            O(chunk_size * N).

    Returns:
        Tensor: (Q,) float64 AP per query, NaN for a query with no relevant
        item in its top R (AP is undefined there).
    """
    return ranking_statistics(
        query_codes,
        database_codes,
        query_labels,
        database_labels,
        topk=topk,
        chunk_size=chunk_size).average_precision


def mean_average_precision(query_codes: torch.Tensor,
                           database_codes: torch.Tensor,
                           query_labels: torch.Tensor,
                           database_labels: torch.Tensor,
                           topk: int = -1,
                           no_relevant: str = 'released_pytorch',
                           chunk_size: int = 128) -> float:
    """MAP@R of a Hamming ranking (see :func:`average_precision_at_r`).

    Args:
        no_relevant (str): what a query with no relevant item in its top R
            adds, by the evaluation code reproduced
            (``average_precision.MAP_CONVENTIONS``): left out
            (``'released_pytorch'``, alias ``'skip'``: the authors' PyTorch
            ``test.py``); AP = 0 unless the database holds no relevant item
            at all, then left out (``'released_caffe'``: the Caffe
            evaluation that produced the paper's tables); AP = 0 over all
            queries (``'deephash_pytorch'``, alias ``'zero'``:
            DeepHash-pytorch's ``CalcTopMap``). With no query counted the
            result is 0.
        Other arguments as in :func:`average_precision_at_r`.
    """
    check_choice('no_relevant', no_relevant, NO_RELEVANT_MODES)
    statistics = ranking_statistics(
        query_codes,
        database_codes,
        query_labels,
        database_labels,
        topk=topk,
        chunk_size=chunk_size)
    relevant_in_database = statistics.relevant_counts.sum(1) > 0
    value, _ = map_over_queries(statistics.average_precision,
                                relevant_in_database, no_relevant)
    return value.item()
