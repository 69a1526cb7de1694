"""ITQ: PCA, then the rotation that best quantizes to binary codes."""
from ..registry import HASHERS
from .base import FeatureHasher
from .linalg import itq_rotation, principal_directions


@HASHERS.register_module()
class ITQ(FeatureHasher):
    """Iterative quantization (Gong & Lazebnik, CVPR 2011).

    V = (X - mu) W keeps the K leading principal directions W; R is the
    rotation of :func:`itq_rotation` (alternating B and R);
    h(x) = sgn((x - mu) W R). ``quantization_losses`` holds ||B - V R||_F^2
    after every iteration (never increasing). Subclasses change W by
    overriding ``_directions``.

    Args:
        num_bits (int): K <= min(feature dimension, training rows).
        num_iters (int): alternations; the paper uses 50.
        seed (int): seed of the initial random rotation.
    """

    def __init__(self, num_bits: int, num_iters: int = 50, seed: int = 0):
        super().__init__(num_bits, seed)
        if num_iters < 1:
            raise ValueError(f'{type(self).__name__}: num_iters must be '
                             f'>= 1, got {num_iters}')
        self.num_iters = num_iters

    def _directions(self, centered, labels):
        """(d, K) projection applied before the rotation: PCA."""
        self.check_num_bits(centered.shape[0], 'PCA of '
                            f'{centered.shape[0]} training rows')
        return principal_directions(centered, self.num_bits)[0]

    def _fit(self, features, labels):
        self.check_num_bits(
            features.shape[1], 'one projection per feature '
            f'dimension, and there are {features.shape[1]}')
        self.mean = features.mean(dim=0)
        centered = features - self.mean
        directions = self._directions(centered, labels)
        rotation, self.quantization_losses = itq_rotation(
            centered @ directions, self.num_iters, self.generator())
        self.projection = directions @ rotation

    def _project(self, features):
        return (features - self.mean) @ self.projection
