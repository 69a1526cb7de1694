"""Kernel features on anchor points, shared by KSH and BRE."""
import torch


class AnchorKernel:
    """Zero-mean Gaussian-kernel features on m anchor points.

    k(x) = [exp(-||x - a_j||^2 / (2 sigma^2))]_j - mu, with the anchors a_j
    drawn from the training rows, sigma the mean training-to-anchor distance
    and mu the mean of k over the training rows (as in KSH, Liu et al.
    CVPR 2012: the hash bias is the mean kernel response).

    Args:
        num_anchors (int): m.
        chunk_size (int): rows whose kernel features are computed at once.
    """

    def __init__(self, num_anchors: int, chunk_size: int = 4096):
        if num_anchors < 1:
            raise ValueError(f'num_anchors must be >= 1, got {num_anchors}')
        self.num_anchors = num_anchors
        self.chunk_size = chunk_size

    def fit(self, features: torch.Tensor,
            generator: torch.Generator) -> 'AnchorKernel':
        if features.shape[0] < self.num_anchors:
            raise ValueError(f'{self.num_anchors} anchor points need at least '
                             f'as many training rows, got {features.shape[0]}')
        pick = torch.randperm(features.shape[0], generator=generator)
        self.anchors = features[pick[:self.num_anchors].to(features.device)]
        distances = torch.cat([
            torch.cdist(chunk, self.anchors)
            for chunk in features.split(self.chunk_size)
        ])
        self.sigma = distances.mean()
        self.mean = self._uncentred(features).mean(dim=0)
        return self

    def fit_and_sample(self, features: torch.Tensor, num_rows: int,
                       generator: torch.Generator):
        """Fit on ``features``; return a random sample of ``num_rows`` of
        their row indices (all rows if fewer) and its kernel features."""
        self.fit(features, generator)
        pick = torch.randperm(features.shape[0], generator=generator)
        pick = pick[:num_rows].to(features.device)
        return pick, self(features[pick])

    def _uncentred(self, features: torch.Tensor) -> torch.Tensor:
        return torch.cat([
            torch.exp(-torch.cdist(chunk, self.anchors)**2 /
                      (2 * self.sigma**2))
            for chunk in features.split(self.chunk_size)
        ])

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """(n, m) centred kernel features."""
        return self._uncentred(features) - self.mean
