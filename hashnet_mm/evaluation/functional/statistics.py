"""One pass over query x database: all that the retrieval measures need.

Per query the pass keeps

- the number of database items, and of relevant items, at each Hamming
  distance 0..K: precision within a radius, the precision-recall curve over
  radii, recall@N's denominator and the tie-aware AP follow exactly;
- AP@R of the ranking with ties broken by database index;
- the number of relevant items among the first N of that ranking, for each
  requested N.

Queries are taken ``chunk_size`` at a time and nothing of size Q x N is ever
held: memory is O(chunk_size * (N + R)) whatever Q is (on CPU, where the
kernel keys and ranks one query at a time, O(T * (N + chunk_size * R)) for T
torch threads, each taking whole chunks). The pass runs on the device the
codes are on, with the backend of that device (``rankers/``).
"""
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

import torch

from .measures import ranked_average_precision
from .rankers import database_ranker
from .ranking_counts import RankingStatistics
from .validation import (check_chunk_size, check_retrieval_inputs, check_top_n,
                         resolve_topk)


def ranking_statistics(query_codes: torch.Tensor,
                       database_codes: torch.Tensor,
                       query_labels: torch.Tensor,
                       database_labels: torch.Tensor,
                       topk: int = -1,
                       top_n: Sequence[int] = (),
                       chunk_size: int = 128,
                       backend: Optional[str] = None,
                       check_inputs: bool = True) -> RankingStatistics:
    """Rank the database by Hamming distance to each query and count.

    Args:
        query_codes, database_codes (Tensor): (Q, K) and (N, K) codes in
            {-1, +1}, on the device to compute on.
        query_labels, database_labels (Tensor): (Q, C) and (N, C) multi-hot
            labels (0/1 or bool).
        topk (int): R of AP@R; -1, or any value >= N, ranks the whole
            database.
        top_n (Sequence[int]): the N to count relevant items in the first N
            for (ascending).
        chunk_size (int): queries evaluated at once.
        backend (str, optional): the ranking backend (``rankers.BACKENDS``);
            by default the one for the codes' device.
        check_inputs (bool): check codes and labels
            (:func:`check_retrieval_inputs`); False where the caller has
            (``HammingRetrievalMetric.process``).
    """
    if check_inputs:
        check_retrieval_inputs(query_codes, database_codes, query_labels,
                               database_labels)
    check_chunk_size(chunk_size)
    top_n = check_top_n(top_n)
    num_database = len(database_codes)
    topk = resolve_topk(topk, num_database)
    depth = max([topk] + [min(n, num_database) for n in top_n])
    last_of_n = [min(n, num_database) - 1 for n in top_n]

    ranker = database_ranker(database_codes, database_labels, backend)

    def chunk_statistics(start):
        chunk = slice(start, start + chunk_size)
        ranked = ranker.rank(query_codes[chunk], query_labels[chunk], depth)
        relevant = (ranked.top_keys & 1).bool()
        return (ranked.distance_counts, ranked.relevant_counts,
                ranked_average_precision(relevant[:, :topk]),
                _hits_at(relevant, last_of_n))

    starts = range(0, query_codes.shape[0], chunk_size)
    parts = _map_in_threads(chunk_statistics, starts,
                            query_codes.device.type == 'cpu')
    return RankingStatistics(
        *(torch.cat(column) for column in zip(*parts)), topk=topk, top_n=top_n)


def _map_in_threads(function, items, on_cpu: bool) -> list:
    """``[function(item) for item in items]``, on CPU spread over torch's
    threads: the ranking kernel releases the GIL, and one query is too small
    to split over threads."""
    num_threads = torch.get_num_threads() if on_cpu else 1
    if num_threads == 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(num_threads) as executor:
        return list(executor.map(function, items))


def _hits_at(relevant: torch.Tensor, positions: list) -> torch.Tensor:
    """(Q, len(positions)) relevant items up to each 0-based position."""
    if not positions:
        return relevant.new_zeros((len(relevant), 0), dtype=torch.int64)
    hits = relevant[:, :positions[-1] + 1].cumsum(1)
    return hits[:, positions]
