"""DNNH's triplet ranking loss over all triplets of a batch."""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from ...codes import check_codes_and_labels, share_label


@MODELS.register_module()
class TripletRankingLoss(nn.Module):
    """Triplet ranking hinge loss of DNNH (Lai et al., CVPR 2015).

    For an image I, an image I+ sharing a label with it and an image I-
    sharing none, with codes F in [0, 1]^K,

        l(I, I+, I-) = max(0, margin - (||F(I) - F(I-)||^2
                                        - ||F(I) - F(I+)||^2)),

    the paper's loss with margin 1 (the Hamming distance relaxed to the
    squared Euclidean distance of the continuous codes). Every valid
    triplet (i, j, k) of the batch counts, i != j; the value is the mean
    over them, 0 for a batch without one. Memory is O(N^3) for a batch of N.

    Args:
        margin (float): the hinge's margin (> 0).
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self, margin: float = 1.0, loss_weight: float = 1.0):
        super().__init__()
        if not margin > 0:
            raise ValueError(f'margin must be > 0, got {margin}')
        self.margin = margin
        self.loss_weight = loss_weight

    def forward(self, codes: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Loss of (N, K) codes given (N, C) multi-hot labels."""
        check_codes_and_labels(codes, labels)
        similar = share_label(labels)
        others = ~torch.eye(len(codes), dtype=torch.bool, device=codes.device)
        positive = similar & others
        negative = ~similar & others
        # valid[i, j, k]: j is a positive and k a negative of anchor i.
        valid = positive.unsqueeze(2) & negative.unsqueeze(1)
        if not valid.any():
            return codes.sum() * 0.0
        distance = (codes.unsqueeze(1) - codes.unsqueeze(0)).pow(2).sum(-1)
        hinge = (self.margin - distance.unsqueeze(1) +
                 distance.unsqueeze(2)).clamp(min=0)
        return self.loss_weight * hinge[valid].mean()
