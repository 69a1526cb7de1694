"""Precision and recall of a Hamming ranking: within a radius, in the top N.

Within Hamming radius rho a query retrieves every item at distance <= rho,
ties included, so these measures do not depend on how ties are broken
(HashNet paper figs. 2-4: (a) P@H<=2 against code length, (b) the
precision-recall curve over rho = 0..K). The top N (figs. 2-4 (c)) is the
Hamming ranking with ties broken by database index.

Per query: precision = relevant retrieved / retrieved, NaN where nothing is
retrieved (no item within the radius); recall = relevant retrieved / relevant
in the database, NaN for a query with no relevant item in the database.
"""
from typing import Tuple

import torch

from .statistics import RankingStatistics
from .validation import check_at_least


def precision_recall_by_radius(
        distance_counts: torch.Tensor,
        relevant_counts: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Precision and recall within every Hamming radius 0..K.

    Args:
        distance_counts, relevant_counts (Tensor): (Q, K + 1) items and
            relevant items at each distance (see :class:`RankingStatistics`).

    Returns:
        tuple[Tensor, Tensor]: (Q, K + 1) float64 precision and recall;
        column rho is radius rho.
    """
    retrieved = distance_counts.cumsum(1).double()
    hits = relevant_counts.cumsum(1).double()
    num_relevant = hits[:, -1:]
    precision = torch.where(retrieved > 0, hits / retrieved, torch.nan)
    recall = torch.where(num_relevant > 0, hits / num_relevant, torch.nan)
    return precision, recall


def precision_within_radius(distance_counts: torch.Tensor,
                            relevant_counts: torch.Tensor,
                            radius: int = 2) -> torch.Tensor:
    """(Q,) float64 precision within Hamming radius ``radius`` (P@H<=r).

    NaN where no item lies within the radius; a radius >= K is the whole
    database.
    """
    check_at_least('radius', radius, 0)
    precision, _ = precision_recall_by_radius(distance_counts, relevant_counts)
    return precision[:, min(radius, precision.shape[1] - 1)]


def precision_recall_at_n(
        statistics: RankingStatistics) -> Tuple[torch.Tensor, torch.Tensor]:
    """Precision@N and recall@N for each N of ``statistics.top_n``.

    P@N = relevant items among the first N / N, where N larger than the
    database means the whole database (divided by its size).

    Returns:
        tuple[Tensor, Tensor]: (Q, len(top_n)) float64 precision (always
        defined) and recall (NaN for a query without relevant items).
    """
    hits = statistics.relevant_at_n.double()
    retrieved = torch.tensor(
        [min(n, statistics.num_database) for n in statistics.top_n],
        dtype=torch.float64,
        device=hits.device)
    num_relevant = statistics.relevant_counts.sum(1, keepdim=True).double()
    recall = torch.where(num_relevant > 0, hits / num_relevant, torch.nan)
    return hits / retrieved, recall
