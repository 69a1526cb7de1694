"""CNNH stage 2: fit the network's codes to per-image target codes."""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS


@MODELS.register_module()
class CodeRegressionLoss(nn.Module):
    """Squared error between codes and target codes (CNNH, Xia et al. 2014).

    CNNH's second stage trains the network to output, for each training
    image, the code its first stage learned (``tools/cnnh_targets.py``).
    The value is the mean over images of ||u_i - t_i||^2 for codes u in
    [-1, 1]^K and targets t in {-1, +1}^K; on binary codes it is 4 times
    the mean Hamming distance to the targets. (Sigmoid outputs fitted to
    0/1 bits by squared error give the same loss up to a factor 4.)

    Args:
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, codes: torch.Tensor,
                targets: torch.Tensor) -> torch.Tensor:
        """Loss of (N, K) codes given (N, K) target codes."""
        if codes.shape != targets.shape or codes.dim() != 2:
            raise ValueError('expected codes and target codes of the same '
                             f'shape (N, K), got {tuple(codes.shape)} and '
                             f'{tuple(targets.shape)}')
        squared = (codes - targets.to(codes.dtype)).pow(2).sum(dim=1)
        return self.loss_weight * squared.mean()
