"""LSH: signs of random projections (Charikar, STOC 2002)."""
import torch

from ..registry import HASHERS
from .base import FeatureHasher


@HASHERS.register_module()
class LSH(FeatureHasher):
    """h_k(x) = sgn(w_k^T (x - mu)) with w_k ~ N(0, I) (sign random
    projections). For two vectors at angle theta after centring, a bit
    collides with probability 1 - theta / pi (Charikar 2002).

    Args:
        num_bits (int): K; any K >= 1.
        center (bool): subtract the training mean mu first (the usual
            choice for features that are not centred, e.g. after ReLU);
            with ``False`` mu = 0.
        seed (int): seed of the projections.
    """

    def __init__(self, num_bits: int, center: bool = True, seed: int = 0):
        super().__init__(num_bits, seed)
        self.center = center

    def _fit(self, features, labels):
        self.mean = features.mean(dim=0) if self.center \
            else torch.zeros_like(features[0])
        self.projection = torch.randn(
            features.shape[1],
            self.num_bits,
            generator=self.generator(),
            dtype=torch.float64).to(features)

    def _project(self, features):
        return (features - self.mean) @ self.projection
