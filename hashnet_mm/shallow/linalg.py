"""Linear algebra the hashing methods share: PCA, ridge regression, random
orthogonal matrices, and the Procrustes-style rotation of ITQ."""
from typing import List, Tuple

import torch

from ..codes import sign_codes


def principal_directions(centered: torch.Tensor,
                         num: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The ``num`` leading eigenvectors (d, num) and eigenvalues (num,) of
    the covariance of ``centered`` (n, d) rows, largest variance first."""
    covariance = centered.t() @ centered / centered.shape[0]
    values, vectors = torch.linalg.eigh(covariance)
    order = values.argsort(descending=True)[:num]
    return vectors[:, order], values[order]


def ridge_regression(inputs: torch.Tensor, targets: torch.Tensor,
                     reg: float) -> torch.Tensor:
    """argmin_W ||targets - inputs W||^2 + reg ||W||^2, shape (d, m)."""
    gram = inputs.t() @ inputs
    gram.diagonal().add_(reg)
    return torch.linalg.solve(gram, inputs.t() @ targets)


def random_orthogonal(size: int, generator: torch.Generator,
                      like: torch.Tensor) -> torch.Tensor:
    """A random (size, size) orthogonal matrix (QR of a Gaussian matrix),
    drawn on the CPU, returned with ``like``'s dtype and device."""
    gaussian = torch.randn(
        size, size, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(gaussian)
    q = q * torch.sign(r.diagonal())  # Haar-distributed, not QR-biased
    return q.to(like)


def itq_rotation(
        projected: torch.Tensor, num_iters: int,
        generator: torch.Generator) -> Tuple[torch.Tensor, List[float]]:
    """ITQ (Gong & Lazebnik, CVPR 2011): the orthogonal R that
    minimises the quantization loss Q(B, R) = ||B - V R||_F^2
    over codes B in {-1, +1}^{n x K} and rotations R.

    Alternates, from a random orthogonal R: fix R, B = sgn(V R); fix B,
    R = S_hat S^T from the SVD B^T V = S Omega S_hat^T (orthogonal
    Procrustes). Each step minimises Q over one block, so Q never increases.

    Returns:
        R (K, K) and the loss after each iteration's R update.
    """
    rotation = random_orthogonal(projected.shape[1], generator, projected)
    losses = []
    for _ in range(num_iters):
        codes = sign_codes(projected @ rotation)
        left, _, right_t = torch.linalg.svd(codes.t() @ projected)
        rotation = right_t.t() @ left.t()
        losses.append(torch.sum((codes - projected @ rotation)**2).item())
    return rotation, losses
