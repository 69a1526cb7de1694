"""Hashing methods on precomputed features: fit on training features,
encode query and database features into {-1, +1} codes.

Not imported by ``hashnet_mm`` itself: ``from hashnet_mm.shallow import
build_hasher``.
"""
from .base import FeatureHasher, check_features, check_labels, sign_codes
from .bre import BRE
from .itq import ITQ
from .itq_cca import ITQCCA
from .ksh import KSH
from .lsh import LSH
from .sh import SpectralHashing
from .vdsh import VDSH, BackpropHashMLP

#: name on the command line -> class
METHODS = {
    'lsh': LSH,
    'sh': SpectralHashing,
    'itq': ITQ,
    'itq-cca': ITQCCA,
    'ksh': KSH,
    'bre': BRE,
    'vdsh': VDSH,
    'vdsh-backprop': BackpropHashMLP,
}


def build_hasher(name: str, num_bits: int, **options) -> FeatureHasher:
    """The method ``name`` (a key of :data:`METHODS`) for K = num_bits."""
    if name not in METHODS:
        raise ValueError(f'unknown hashing method {name!r}; choose from '
                         f'{sorted(METHODS)}')
    return METHODS[name](num_bits, **options)


__all__ = [
    'FeatureHasher', 'check_features', 'check_labels', 'sign_codes', 'LSH',
    'SpectralHashing', 'ITQ', 'ITQCCA', 'KSH', 'BRE', 'VDSH',
    'BackpropHashMLP', 'METHODS', 'build_hasher'
]
