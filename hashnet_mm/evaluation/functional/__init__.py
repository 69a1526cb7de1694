"""Retrieval math as plain torch functions (no Runner, no registry)."""
from .hamming import hamming_distance
from .ranking import (average_precision_at_r, hamming_ranking,
                      mean_average_precision)
from .validation import check_retrieval_inputs

__all__ = [
    'hamming_distance', 'hamming_ranking', 'average_precision_at_r',
    'mean_average_precision', 'check_retrieval_inputs'
]
