"""HashNet's weighted pairwise cross-entropy (Cao et al., ICCV 2017)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


@MODELS.register_module()
class WeightedPairwiseLoss(nn.Module):
    """Weighted maximum likelihood over all pairs of a batch (paper eq. 4).

    For codes h (N, K) in [-1, 1] and multi-hot labels y, every ordered pair
    i != j of the batch contributes

        c_ij * (log(1 + exp(alpha <h_i, h_j>)) - alpha s_ij <h_i, h_j>),

    the negative log of the pairwise logistic likelihood (eq. 3) with
    adaptive bandwidth ``alpha``, where s_ij = 1 iff y_i and y_j share a
    label. The term is computed as binary cross-entropy with logits, which
    is exact and finite for any value of ``alpha <h_i, h_j>``.

    Pair weights c_ij balance similar and dissimilar pairs:

    - default: eq. 2 on the pairs of the batch, ``c_ij = |S| / |S1|`` for
      similar and ``|S| / |S0|`` for dissimilar pairs;
    - ``similar_weight=w``: ``c_ij = w`` for similar and 1 for dissimilar
      pairs (the fixed weight of the authors' released code);
    - ``use_weights=False``: ``c_ij = 1`` (HashNet-W, plain likelihood).

    The loss is the weighted mean ``sum c_ij l_ij / sum c_ij``: eq. 4 divided
    by a per-batch constant, so its scale does not depend on the batch size.

    The diagonal i = j is excluded: s_ii = 1 always, so those terms only push
    each code towards saturation, say nothing about similarity, and would
    inflate |S1| (and so distort c_ij) most for the small batches used in
    fine-tuning. A batch of one image has no pair and a loss of 0.

    Args:
        alpha (float, optional): sigmoid bandwidth; None uses ``10 / K``
            (released code). Must be > 0.
        use_weights (bool): weight pairs (HashNet) or not (HashNet-W).
        similar_weight (float, optional): fixed weight of similar pairs
            instead of eq. 2.
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self,
                 alpha: Optional[float] = None,
                 use_weights: bool = True,
                 similar_weight: Optional[float] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        if alpha is not None and not alpha > 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        if similar_weight is not None:
            if not use_weights:
                raise ValueError(
                    'similar_weight is a pair weighting; it cannot be set '
                    'with use_weights=False')
            if not similar_weight > 0:
                raise ValueError(
                    f'similar_weight must be > 0, got {similar_weight}')
        self.alpha = alpha
        self.use_weights = use_weights
        self.similar_weight = similar_weight
        self.loss_weight = loss_weight

    def pair_weights(self, similar: torch.Tensor,
                     pairs: torch.Tensor) -> torch.Tensor:
        """c_ij for every entry of the (N, N) pair matrix, 0 off ``pairs``."""
        pairs = pairs.float()
        if not self.use_weights:
            return pairs
        if self.similar_weight is not None:
            return pairs * torch.where(similar, self.similar_weight, 1.0)
        num_pairs = pairs.sum()
        num_similar = (similar.float() * pairs).sum()
        num_dissimilar = num_pairs - num_similar
        # A class of pairs absent from the batch gets weight 0, never 1/0.
        similar_c = num_pairs / num_similar.clamp(min=1)
        dissimilar_c = num_pairs / num_dissimilar.clamp(min=1)
        return pairs * torch.where(similar, similar_c, dissimilar_c)

    def forward(self, codes: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Loss of (N, K) continuous codes given (N, C) multi-hot labels."""
        if codes.dim() != 2 or labels.dim() != 2 or \
                labels.shape[0] != codes.shape[0]:
            raise ValueError(
                'expected codes (N, K) and labels (N, C), got '
                f'{tuple(codes.shape)} and {tuple(labels.shape)}')
        num_samples, num_bits = codes.shape
        if num_samples < 2:
            return codes.sum() * 0.0
        alpha = self.alpha if self.alpha is not None else 10.0 / num_bits
        codes = codes.float()
        labels = labels.float()
        similar = labels @ labels.t() > 0
        pairs = ~torch.eye(num_samples, dtype=torch.bool, device=codes.device)
        weights = self.pair_weights(similar, pairs)
        logits = alpha * (codes @ codes.t())
        per_pair = F.binary_cross_entropy_with_logits(
            logits, similar.float(), reduction='none')
        loss = (weights * per_pair).sum() / weights.sum()
        return self.loss_weight * loss
