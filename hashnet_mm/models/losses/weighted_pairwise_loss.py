"""HashNet's weighted pairwise cross-entropy (Cao et al., ICCV 2017)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .global_batch import gather_global_batch
from .label_similarity import check_codes_and_labels


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

    Under DDP (``across_ranks=True``, the default) pairs span processes:
    every rank gathers all ranks' codes (with autograd) and labels
    (:func:`gather_global_batch`) and computes the loss, c_ij included, on
    the global batch, so W processes with N / W images each train exactly
    as one process on the N images. Local pairs only would estimate eq. 2
    from N / W images and drop the (W - 1) / W of the pairs that cross
    ranks. The cost is a few collectives of (N, K) and (N, C) tensors per
    step (sizes, codes, labels; the codes' gradients in backward).

    The loss runs in float32 even inside autocast: a bf16 inner product of
    K-bit codes can be off by the order of ``2**-8 * K`` before ``alpha``,
    and at batch 256 the (N, N) matrices cost next to nothing.

    Args:
        alpha (float, optional): sigmoid bandwidth; None uses ``10 / K``
            (released code). Must be > 0.
        use_weights (bool): weight pairs (HashNet) or not (HashNet-W).
        similar_weight (float, optional): fixed weight of similar pairs
            instead of eq. 2.
        loss_weight (float): multiplier of the loss.
        across_ranks (bool): under DDP, pairs over the global batch (True)
            or over each rank's own batch (False).
    """

    def __init__(self,
                 alpha: Optional[float] = None,
                 use_weights: bool = True,
                 similar_weight: Optional[float] = None,
                 loss_weight: float = 1.0,
                 across_ranks: bool = True):
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
        self.across_ranks = across_ranks

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
        check_codes_and_labels(codes, labels)
        with torch.autocast(codes.device.type, enabled=False):
            codes = codes.float()
            if self.across_ranks:
                codes, labels = gather_global_batch(codes, labels)
            return self.loss_weight * self.batch_loss(codes, labels.float())

    def batch_loss(self, codes: torch.Tensor,
                   labels: torch.Tensor) -> torch.Tensor:
        """Eq. 4 / sum c_ij over the ordered pairs i != j of one batch."""
        num_samples, num_bits = codes.shape
        if num_samples < 2:
            return codes.sum() * 0.0
        alpha = self.alpha if self.alpha is not None else 10.0 / num_bits
        similar = labels @ labels.t() > 0
        pairs = ~torch.eye(num_samples, dtype=torch.bool, device=codes.device)
        weights = self.pair_weights(similar, pairs)
        logits = alpha * (codes @ codes.t())
        per_pair = F.binary_cross_entropy_with_logits(
            logits, similar.float(), reduction='none')
        return (weights * per_pair).sum() / weights.sum()
