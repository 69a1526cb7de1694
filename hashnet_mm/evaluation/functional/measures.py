"""The retrieval measures of a Hamming ranking, from its counts.

- AP@R of a ranked list (the MAP@R of the HashNet paper, Sec. 4.1), and the
  MAP over queries under one of three conventions for a query whose top R
  holds no relevant item;
- precision and recall within a Hamming radius rho: a query retrieves every
  item at distance <= rho, ties included, so these do not depend on how
  ties are broken (paper figs. 2-4: (a) P@H<=2 against code length, (b) the
  precision-recall curve over rho = 0..K);
- precision and recall of the top N (figs. 2-4 (c)), ties broken by database
  index.

Per query: precision = relevant retrieved / retrieved, NaN where nothing is
retrieved (no item within the radius); recall = relevant retrieved / relevant
in the database, NaN for a query with no relevant item in the database.
"""
from typing import Tuple

import torch

from .ranking_counts import RankingStatistics
from .validation import check_at_least

UNDEFINED_MODES = ('skip', 'zero')

# How a MAP treats a query whose top R holds no relevant item, each named
# after the evaluation code it reproduces (HashNet paper Sec. 4.1 defines
# MAP@R, not this case):
# - 'released_pytorch': the authors' released PyTorch ``test.py``: the
#   query is left out of the mean;
# - 'released_caffe': the authors' Caffe ``predict_parallel.py``, which
#   produced the paper's tables: AP = 0 when the database holds relevant
#   items (none in the top R), left out only when it holds none;
# - 'deephash_pytorch': DeepHash-pytorch's ``CalcTopMap``: AP = 0, the sum
#   divided by all queries.
MAP_CONVENTIONS = ('released_pytorch', 'released_caffe', 'deephash_pytorch')
# The earlier names, still accepted.
MAP_CONVENTION_ALIASES = {
    'skip': 'released_pytorch',
    'zero': 'deephash_pytorch'
}
NO_RELEVANT_MODES = MAP_CONVENTIONS + tuple(MAP_CONVENTION_ALIASES)


def ranked_average_precision(relevant: torch.Tensor) -> torch.Tensor:
    """AP of each ranked list of R items.

    AP@R = sum_{r<=R} P(r) rel(r) / sum_{r<=R} rel(r), where P(r) is the
    precision of the first r items (the MAP@R of the HashNet paper, Sec.
    4.1).

    Args:
        relevant (Tensor): (Q, R) bool, relevance in rank order.

    Returns:
        Tensor: (Q,) float64 AP, NaN where no item is relevant.
    """
    hits = relevant.cumsum(1, dtype=torch.float64)
    ranks = torch.arange(
        1, relevant.shape[1] + 1, dtype=torch.float64, device=hits.device)
    return (hits / ranks).mul_(relevant).sum(1).div_(hits[:, -1])


def mean_over_queries(values: torch.Tensor,
                      undefined: str = 'skip') -> torch.Tensor:
    """Mean over queries (dim 0) of values where NaN marks undefined.

    Args:
        values (Tensor): (Q, ...) per-query values, NaN where undefined (e.g.
            AP without a relevant item).
        undefined (str): ``'skip'`` leaves undefined values out of the mean
            (0 where none is defined); ``'zero'`` counts them as 0.

    Returns:
        Tensor: float64 of shape ``values.shape[1:]``.
    """
    if undefined not in UNDEFINED_MODES:
        raise ValueError(f'undefined must be one of {UNDEFINED_MODES}, '
                         f'got {undefined!r}')
    values = values.double()
    if undefined == 'zero':
        return values.nan_to_num(0.0).mean(0)
    num_defined = (~values.isnan()).sum(0)
    total = values.nan_to_num(0.0).sum(0)
    return torch.where(num_defined > 0, total / num_defined.clamp(min=1), 0.0)


def resolve_map_convention(no_relevant: str) -> str:
    """The name in ``MAP_CONVENTIONS`` of a convention or of its alias."""
    if no_relevant not in NO_RELEVANT_MODES:
        raise ValueError(f'no_relevant must be one of {NO_RELEVANT_MODES}, '
                         f'got {no_relevant!r}')
    return MAP_CONVENTION_ALIASES.get(no_relevant, no_relevant)


def map_over_queries(
        average_precision: torch.Tensor,
        relevant_in_database: torch.Tensor,
        no_relevant: str = 'released_pytorch') -> Tuple[torch.Tensor, int]:
    """MAP of per-query APs under one convention, and how many queries it
    averaged over.

    Args:
        average_precision (Tensor): (Q,) AP@R, NaN where the top R holds no
            relevant item.
        relevant_in_database (Tensor): (Q,) bool, the database holds at
            least one item relevant to the query.
        no_relevant (str): one of ``MAP_CONVENTIONS`` (or an alias): see
            there. With no query counted the MAP is NaN (a mean over no
            query is undefined, not 0); the count says so.

    Returns:
        tuple[Tensor, int]: the float64 MAP and the number of queries in
        its mean.
    """
    convention = resolve_map_convention(no_relevant)
    average_precision = average_precision.double()
    undefined = average_precision.isnan()
    if convention == 'released_pytorch':
        counted = ~undefined
    elif convention == 'released_caffe':
        counted = ~undefined | relevant_in_database.bool()
    else:
        counted = torch.ones_like(undefined)
    num_counted = int(counted.sum())
    total = torch.where(counted, average_precision.nan_to_num(0.0), 0.0).sum()
    if not num_counted:
        return torch.tensor(float('nan'), dtype=torch.float64), 0
    return total / num_counted, num_counted


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
