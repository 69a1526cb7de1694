"""The per-query counts of a Hamming ranking: what one pass over the queries
(``statistics.py``) produces and the measures (``measures.py``) read.

Both modules import this one and ``statistics.py`` imports ``measures.py``,
never the other way round.
"""
from dataclasses import dataclass

import torch


@dataclass
class RankingStatistics:
    """Per-query counts of a Hamming ranking (see ``statistics.py``).

    Attributes:
        distance_counts (Tensor): (Q, K + 1) int64 items at each distance.
        relevant_counts (Tensor): (Q, K + 1) int64 relevant items at each
            distance (relevant = sharing at least one label with the query).
        average_precision (Tensor): (Q,) float64 AP@R, ties broken by
            database index; NaN where no relevant item is in the top R.
        relevant_at_n (Tensor): (Q, len(top_n)) int64 relevant items among
            the first min(N, num_database) of the ranking.
        topk (int): R, at most the database size.
        top_n (tuple[int]): the N of ``relevant_at_n``.
    """
    distance_counts: torch.Tensor
    relevant_counts: torch.Tensor
    average_precision: torch.Tensor
    relevant_at_n: torch.Tensor
    topk: int
    top_n: tuple

    @property
    def num_database(self) -> int:
        return int(self.distance_counts[0].sum())
