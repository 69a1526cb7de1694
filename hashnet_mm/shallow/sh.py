"""SH: spectral hashing with the analytical eigenfunctions of a box."""
import math

import torch

from ..registry import HASHERS
from .base import FeatureHasher
from .linalg import principal_directions


@HASHERS.register_module()
class SpectralHashing(FeatureHasher):
    """Spectral hashing (Weiss, Torralba & Fergus, NIPS 2008).

    PCA to p = min(K, d) directions; the data are taken as uniform on the
    box [a_j, b_j] spanned by the training projections. The 1-D Laplacian
    eigenfunctions on [a, b] are Phi_k(v) = sin(pi/2 + k pi (v - a) / (b - a))
    with eigenvalues increasing in omega = k pi / (b - a), so
    the K bits are the K (direction j, mode k >= 1) pairs with the smallest
    omega (ties: smaller k, then leading direction first), and
    h(x) = sgn(Phi_k(v_j(x))). K may exceed the feature dimension.

    Args:
        num_bits (int): K.
    """

    def _fit(self, features, labels):
        self.mean = features.mean(dim=0)
        centered = features - self.mean
        num_dirs = min(self.num_bits, features.shape[1])
        self.directions, _ = principal_directions(centered, num_dirs)
        projected = centered @ self.directions
        self.low = projected.min(dim=0).values
        width = projected.max(dim=0).values - self.low
        if (width <= 0).any():
            raise ValueError('SpectralHashing: the training features have no '
                             'spread along a principal direction; more '
                             'bits than informative dimensions')
        modes = torch.arange(1, self.num_bits + 1).to(features)
        omega = modes[:, None] * math.pi / width[None, :]  # (mode, direction)
        flat_order = omega.flatten().argsort(stable=True)[:self.num_bits]
        self.bit_direction = flat_order % num_dirs
        self.bit_omega = omega.flatten()[flat_order]

    def _project(self, features):
        projected = (features - self.mean) @ self.directions
        offset = projected[:,
                           self.bit_direction] - self.low[self.bit_direction]
        return torch.sin(math.pi / 2 + self.bit_omega * offset)
