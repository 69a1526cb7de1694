"""Hashing methods on precomputed features: fit on training features,
encode query and database features into {-1, +1} codes.

Each method registers in :data:`hashnet_mm.registry.HASHERS` under its
class name; ``HASHERS.build(dict(type='ITQ', num_bits=32))`` imports this
package, which ``hashnet_mm`` itself does not.
"""
from .base import FeatureHasher, check_features, check_labels
from .bre import BRE
from .itq import ITQ
from .itq_cca import ITQCCA
from .ksh import KSH
from .lsh import LSH
from .sh import SpectralHashing
from .vdsh import VDSH, BackpropHashMLP

__all__ = [
    'FeatureHasher', 'check_features', 'check_labels', 'LSH',
    'SpectralHashing', 'ITQ', 'ITQCCA', 'KSH', 'BRE', 'VDSH', 'BackpropHashMLP'
]
