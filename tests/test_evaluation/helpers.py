"""The package's ranking and MAP, one call each, as the tests use them.

Thin compositions of ``ranking_statistics``, the rankers and
``map_over_queries`` (no other code needs them): the tests compare these with
the slow references in ``reference.py``.
"""
import torch

from hashnet_mm.evaluation.functional import (database_ranker,
                                              map_over_queries,
                                              ranking_statistics)
from hashnet_mm.evaluation.functional.rankers.torch_ranker import (
    database_operand, query_operand)
from hashnet_mm.evaluation.functional.validation import (check_chunk_size,
                                                         resolve_topk)


def hamming_distance(query_codes: torch.Tensor,
                     database_codes: torch.Tensor) -> torch.Tensor:
    """(Q, N) int64 Hamming distances, by the torch backend's exact matrix
    product of twice the distances."""
    doubled = query_operand(query_codes) @ database_operand(database_codes)
    return doubled.long() // 2


def hamming_ranking(query_codes: torch.Tensor,
                    database_codes: torch.Tensor,
                    topk: int,
                    chunk_size: int = 128) -> torch.Tensor:
    """(Q, topk) int64 indices of the database items nearest each query, by
    distance, then database index; -1 (or >= N) ranks the whole database."""
    check_chunk_size(chunk_size)
    depth = resolve_topk(topk, len(database_codes))
    ranker = database_ranker(database_codes)
    return torch.cat([
        ranker.rank(chunk, None, depth).top
        for chunk in query_codes.split(chunk_size)
    ])


def average_precision_at_r(query_codes,
                           database_codes,
                           query_labels,
                           database_labels,
                           topk=-1,
                           chunk_size=128) -> torch.Tensor:
    """(Q,) float64 AP@R of each query's ranking, NaN where the top R holds
    no relevant item."""
    return ranking_statistics(
        query_codes,
        database_codes,
        query_labels,
        database_labels,
        topk=topk,
        chunk_size=chunk_size).average_precision


def mean_average_precision(query_codes,
                           database_codes,
                           query_labels,
                           database_labels,
                           topk=-1,
                           no_relevant='released_pytorch',
                           chunk_size=128) -> float:
    """MAP@R under the convention ``no_relevant`` (``MAP_CONVENTIONS`` or an
    alias)."""
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
