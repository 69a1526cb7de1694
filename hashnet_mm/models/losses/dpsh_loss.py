"""DPSH's loss: pairwise likelihood of real-valued codes plus quantization."""
import torch
from mmpretrain.registry import MODELS

from ...codes import sign_codes
from .pairwise_quantization_loss import PairwiseQuantizationLoss


@MODELS.register_module()
class DPSHLoss(PairwiseQuantizationLoss):
    """Deep Pairwise-Supervised Hashing (Li, Wang and Kang, IJCAI 2016).

    The codes u are the hash layer's real outputs (no tanh; use
    ``LinearHashHead``). With Theta_ij = <u_i, u_j> / 2, DPSH's relaxed
    objective is

        J = -sum_{s_ij} (s_ij Theta_ij - log(1 + exp(Theta_ij)))
            + eta * sum_i ||b_i - u_i||^2,   b_i = sgn(u_i),

    the negative log-likelihood of the pairwise labels under
    p(s_ij | B) = sigma(Theta_ij) (the pairwise logistic with alpha = 1/2)
    plus the quantization error of the relaxation. b is the discrete
    variable of DPSH's alternating optimisation: held fixed, its gradient
    is not taken; sgn(0) = +1. The value is mean_pairs + eta *
    mean_images; see :class:`PairwiseQuantizationLoss` for how eta maps to
    the paper's.

    Args:
        quantization_weight (float): eta (>= 0); see
            :class:`PairwiseQuantizationLoss` for the default.
        loss_weight (float): multiplier of the whole loss.
        across_ranks (bool): under DDP, the global batch (True) or each
            rank's own batch (False).
    """

    def __init__(self,
                 quantization_weight: float = 0.01,
                 loss_weight: float = 1.0,
                 across_ranks: bool = True):
        super().__init__(0.5, quantization_weight, loss_weight, across_ranks)

    def quantization(self, codes: torch.Tensor) -> torch.Tensor:
        """||sgn(u_i) - u_i||^2 of each code, sgn(u_i) held fixed."""
        return (codes - sign_codes(codes)).pow(2).sum(dim=1)
