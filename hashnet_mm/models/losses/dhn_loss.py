"""DHN's loss: pairwise cross-entropy plus a smooth quantization penalty."""
import math

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .pairwise_quantization_loss import PairwiseQuantizationLoss


@MODELS.register_module()
class DHNLoss(PairwiseQuantizationLoss):
    """Deep Hashing Network (Zhu et al., AAAI 2016): min L + lambda Q.

    For continuous codes u = tanh(z) (N, K) and multi-hot labels:

    - L, pairwise cross-entropy: log(1 + exp(alpha <u_i, u_j>))
      - alpha s_ij <u_i, u_j> for every ordered pair i != j, the negative
      log of p(s_ij | u_i, u_j) = sigma(alpha <u_i, u_j>) with alpha = 1 in
      DHN, unweighted;
    - Q, quantization: ``sum_k log cosh(|u_ik| - 1)``, DHN's smooth surrogate
      of ``|| |u_i| - 1 ||_1``.

    The value is mean_pairs(L) + lambda * mean_images(Q); see
    :class:`PairwiseQuantizationLoss` for how lambda maps to the paper's.
    log cosh x is computed as ``|x| + log(1 + exp(-2|x|)) - log 2``, exact and
    finite for any x (cosh itself overflows beyond ``|x| = 710``).

    Args:
        quantization_weight (float): lambda (>= 0); see
            :class:`PairwiseQuantizationLoss` for the default.
        alpha (float): bandwidth of the pairwise logistic; DHN uses 1.
        loss_weight (float): multiplier of the whole loss.
        across_ranks (bool): under DDP, the global batch (True) or each
            rank's own batch (False).
    """

    def __init__(self,
                 quantization_weight: float = 0.1,
                 alpha: float = 1.0,
                 loss_weight: float = 1.0,
                 across_ranks: bool = True):
        super().__init__(alpha, quantization_weight, loss_weight, across_ranks)

    def quantization(self, codes: torch.Tensor) -> torch.Tensor:
        """``sum_k log cosh(|u_ik| - 1)`` of each code."""
        x = (codes.abs() - 1.0).abs()
        return (x + F.softplus(-2.0 * x) - math.log(2.0)).sum(dim=1)
