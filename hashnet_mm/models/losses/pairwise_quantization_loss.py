"""Pairwise likelihood plus a quantization penalty: the form of DHN, DPSH."""
import torch
import torch.nn as nn

from ...codes import check_codes_and_labels
from .global_batch import gather_global_batch
from .weighted_pairwise_loss import WeightedPairwiseLoss


class PairwiseQuantizationLoss(nn.Module):
    """mean_pairs(l_ij) + quantization_weight * mean_i(q(u_i)).

    l_ij = log(1 + exp(alpha <u_i, u_j>)) - alpha s_ij <u_i, u_j> is the
    negative log of the pairwise logistic likelihood (HashNet eq. 3),
    unweighted, over the ordered pairs i != j of the batch
    (``WeightedPairwiseLoss(use_weights=False)``, exact for any u); q is the
    subclass's :meth:`quantization` of one code. The papers write the
    objective over a training set of n images, sum over its n(n - 1)
    ordered pairs of l_ij + lambda sum over its n images of q(u_i); the
    value here, per batch, estimates that objective divided by n(n - 1)
    when ``quantization_weight = lambda / (n - 1)`` (e.g. lambda = 10 on
    5,000 training images is 0.002). The defaults, 0.1 for DHN and 0.01
    for DPSH, are not the papers' values; how they were chosen is in
    ``docs/en/benchmarks/methods.md`` ("Loss weights").

    Under DDP both terms are computed on the global batch, gathered from
    all ranks as in :class:`WeightedPairwiseLoss`, so the value and the
    gradient equal one process's on the same images.

    Args:
        alpha (float): bandwidth of the pairwise logistic (> 0).
        quantization_weight (float): weight of the penalty (>= 0).
        loss_weight (float): multiplier of the whole loss.
        across_ranks (bool): under DDP, the global batch (True) or each
            rank's own batch (False).
    """

    def __init__(self,
                 alpha: float,
                 quantization_weight: float,
                 loss_weight: float = 1.0,
                 across_ranks: bool = True):
        super().__init__()
        if not quantization_weight >= 0:
            raise ValueError('quantization_weight must be >= 0, got '
                             f'{quantization_weight}')
        self.likelihood = WeightedPairwiseLoss(
            alpha=alpha, use_weights=False, across_ranks=False)
        self.quantization_weight = quantization_weight
        self.loss_weight = loss_weight
        self.across_ranks = across_ranks

    def quantization(self, codes: torch.Tensor) -> torch.Tensor:
        """(N,) penalty of each code."""
        raise NotImplementedError

    def forward(self, codes: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Loss of (N, K) codes given (N, C) multi-hot labels."""
        check_codes_and_labels(codes, labels)
        if self.across_ranks:
            codes, labels = gather_global_batch(codes, labels)
        loss = self.likelihood(codes, labels) + \
            self.quantization_weight * self.quantization(codes).mean()
        return self.loss_weight * loss
