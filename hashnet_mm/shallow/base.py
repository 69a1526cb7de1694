"""The fit / encode interface every feature-based hashing method shares.

Features are (n, d) float matrices, labels (n, C) multi-hot 0/1 matrices;
codes are (n, K) float32 matrices in {-1, +1}, ``sign_codes`` of a
projection (zero maps to +1). Bad input raises ``ValueError`` naming what is
wrong (which matrix, which row); nothing is scored on it. Every method
registers in :data:`hashnet_mm.registry.HASHERS` under its class name.
"""
from typing import Optional, Union

import numpy as np
import torch

from ..codes import sign_codes

ArrayLike = Union[torch.Tensor, np.ndarray]


def check_features(features: ArrayLike,
                   name: str = 'features',
                   dim: Optional[int] = None) -> torch.Tensor:
    """``features`` as a float tensor, after checking shape and values.

    Raises ValueError unless it is a non-empty (n, d) real matrix (with
    ``d == dim`` when given) whose entries are all finite.
    """
    features = torch.as_tensor(features)
    if features.dim() != 2 or 0 in features.shape:
        raise ValueError(f'{name} must be a non-empty (n, d) matrix, got '
                         f'shape {tuple(features.shape)}')
    if not (features.is_floating_point() or features.dtype in
            (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)):
        raise ValueError(f'{name} must be real numbers, got {features.dtype}')
    if features.is_floating_point():
        bad = (~torch.isfinite(features)).any(dim=1).nonzero()
        if len(bad):
            raise ValueError(f'{name}: row {int(bad[0])} has a NaN or '
                             f'infinite value ({len(bad)} such rows)')
    if dim is not None and features.shape[1] != dim:
        raise ValueError(f'{name} have {features.shape[1]} dimensions, the '
                         f'method was fitted on {dim}')
    return features


def check_labels(labels: ArrayLike,
                 num_rows: int,
                 name: str = 'labels') -> torch.Tensor:
    """``labels`` as a bool (n, C) tensor; raises unless 0/1 with n rows."""
    if labels is None:
        raise ValueError(f'{name} are required by a supervised method')
    labels = torch.as_tensor(labels)
    if labels.dim() != 2 or labels.shape[0] != num_rows or \
            labels.shape[1] == 0:
        raise ValueError(f'{name} must be a ({num_rows}, C) multi-hot '
                         f'matrix, got shape {tuple(labels.shape)}')
    if not ((labels == 0) | (labels == 1)).all():
        raise ValueError(f'{name} must contain only 0 and 1')
    return labels.bool()


class FeatureHasher:
    """Base class: ``fit`` on training features, ``encode`` any features.

    Subclasses implement ``_fit(features, labels)`` and ``_project(features)``
    on float64 tensors (labels: bool (n, C), or None for unsupervised
    methods); ``encode`` returns ``sign(_project(x))``.

    Args:
        num_bits (int): K, the code length.
        seed (int): seed of the method's random choices (projections,
            initial rotations, anchor points); the same seed gives the same
            codes on CPU and GPU.
    """

    #: whether ``fit`` needs labels
    supervised = False

    def __init__(self, num_bits: int, seed: int = 0):
        if isinstance(
                num_bits,
                bool) or not isinstance(num_bits,
                                        (int, np.integer)) or num_bits < 1:
            raise ValueError(f'{type(self).__name__}: num_bits must be an '
                             f'integer >= 1, got {num_bits!r}')
        self.num_bits = int(num_bits)
        self.seed = seed
        self.feature_dim = None

    def generator(self) -> torch.Generator:
        """A fresh CPU generator seeded with ``seed`` (draws are moved to
        the data's device, so results do not depend on the device)."""
        return torch.Generator().manual_seed(self.seed)

    def check_num_bits(self, limit: int, what: str) -> None:
        """Raise ValueError if K exceeds ``limit`` (``what`` says why)."""
        if self.num_bits > limit:
            raise ValueError(
                f'{type(self).__name__} cannot produce {self.num_bits} bits: '
                f'at most {limit} ({what})')

    def fit(self,
            features: ArrayLike,
            labels: Optional[ArrayLike] = None) -> 'FeatureHasher':
        """Learn the hash functions from training features (and labels)."""
        features = check_features(features, 'training features').double()
        if features.shape[0] < 2:
            raise ValueError('training features: need at least 2 rows')
        if self.supervised:
            labels = check_labels(labels, features.shape[0],
                                  'training labels').to(features.device)
        self._fit(features, labels if self.supervised else None)
        self.feature_dim = features.shape[1]
        return self

    def encode(self, features: ArrayLike) -> torch.Tensor:
        """(n, K) float32 codes in {-1, +1} of ``features``."""
        if self.feature_dim is None:
            raise RuntimeError(f'{type(self).__name__}: call fit() before '
                               'encode()')
        features = check_features(features, 'features', self.feature_dim)
        return sign_codes(self._project(features.double())).float()

    def _fit(self, features: torch.Tensor,
             labels: Optional[torch.Tensor]) -> None:
        raise NotImplementedError

    def _project(self, features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
