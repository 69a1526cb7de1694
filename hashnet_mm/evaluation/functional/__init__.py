"""Retrieval math as plain torch functions (no Runner, no registry)."""
from .average_precision import mean_over_queries, ranked_average_precision
from .hamming import hamming_distance
from .precision_recall import (precision_recall_at_n,
                               precision_recall_by_radius,
                               precision_within_radius)
from .ranking import (average_precision_at_r, hamming_ranking,
                      mean_average_precision)
from .statistics import RankingStatistics, ranking_statistics
from .tie_aware import tie_aware_average_precision
from .validation import check_retrieval_inputs

__all__ = [
    'hamming_distance', 'hamming_ranking', 'average_precision_at_r',
    'mean_average_precision', 'check_retrieval_inputs', 'RankingStatistics',
    'ranking_statistics', 'ranked_average_precision', 'mean_over_queries',
    'tie_aware_average_precision', 'precision_recall_by_radius',
    'precision_within_radius', 'precision_recall_at_n'
]
