"""Retrieval math as plain torch functions (no Runner, no registry).

- ``rankers/``: two backends that rank a database by Hamming distance and
  count its items at every distance (numba on CPU, torch elsewhere);
- ``statistics.py``: one chunked pass of a backend over the queries, which
  gives a ``RankingStatistics`` (``ranking_counts.py``);
- ``measures.py``: AP and the MAP conventions, P@H<=r, the PR curve, P@N
  and R@N, from that pass's counts;
- ``tie_aware.py``: the expected AP@R over all orders of tied items;
- ``validation.py``: the checks of inputs and settings.
"""
from .measures import (map_over_queries, mean_over_queries,
                       precision_recall_at_n, precision_recall_by_radius,
                       precision_within_radius, ranked_average_precision)
from .rankers import database_ranker
from .statistics import RankingStatistics, ranking_statistics
from .tie_aware import tie_aware_average_precision
from .validation import check_retrieval_inputs

__all__ = [
    'check_retrieval_inputs', 'database_ranker', 'RankingStatistics',
    'ranking_statistics', 'ranked_average_precision', 'mean_over_queries',
    'map_over_queries', 'tie_aware_average_precision',
    'precision_recall_by_radius', 'precision_within_radius',
    'precision_recall_at_n'
]
