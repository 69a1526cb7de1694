from .arguments import check_positive_integers
from .hash_centers import (CENTER_KINDS, HashCenters,
                           gilbert_varshamov_distance, hadamard_centers,
                           min_distance_centers, random_balanced_centers)

__all__ = [
    'check_positive_integers', 'CENTER_KINDS', 'HashCenters',
    'gilbert_varshamov_distance', 'hadamard_centers', 'min_distance_centers',
    'random_balanced_centers'
]
