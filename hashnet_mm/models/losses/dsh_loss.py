"""DSH's loss: contrastive loss on real codes plus an L1 regulariser."""
from typing import Optional

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from ...codes import check_codes_and_labels, share_label
from .global_batch import gather_global_batch


@MODELS.register_module()
class DSHLoss(nn.Module):
    """Deep Supervised Hashing (Liu et al., CVPR 2016).

    For real codes u = z (use ``LinearHashHead``) and every ordered pair
    i != j of the batch, with D_ij = ||u_i - u_j||^2 and s_ij = 1 iff the
    images share a label (the paper's y = 1 - s), the paper's per-pair
    loss

        1/2 s_ij D_ij + 1/2 (1 - s_ij) max(m - D_ij, 0)
            + alpha (|| |u_i| - 1 ||_1 + || |u_j| - 1 ||_1)

    averaged over the pairs (``regulariser='pair'``, default: the paper's
    per-pair loss, so each image's || |u_i| - 1 ||_1 weighs 2 alpha in
    the mean). The authors' released Caffe layer (lhmRyan/
    deep-supervised-hashing-DSH, src/caffe/layers/hashing_loss_layer.cpp,
    ``Forward_cpu``) adds the regulariser once per image instead:

        mean_{i != j} [contrastive_ij] + alpha * mean_i || |u_i| - 1 ||_1

    (``regulariser='image'``: half the default's regulariser). Defaults
    m = 2K and alpha = 0.01, the paper's and the released code's
    (CIFAR-10/train_test.prototxt: ``bi_margin: 24`` for 12 bits,
    ``tradeoff: 0.01``); the peer library DeepHash-pytorch (DSH.py) uses
    alpha = 0.1 on a mean over bits. A batch of one image has no pair and a
    loss of 0.

    Under DDP (``across_ranks=True``, default) the pairs span ranks, as in
    :class:`WeightedPairwiseLoss`: every rank gathers the global batch
    (:func:`gather_global_batch`, codes with autograd), so W processes
    train exactly as one on all their images. Runs in float32 (float64
    codes stay float64).

    Args:
        margin (float, optional): m (> 0); None is 2K.
        quantization_weight (float): alpha (>= 0), default 0.01.
        regulariser (str): ``'pair'`` (default, the paper's) or
            ``'image'`` (the released code's).
        loss_weight (float): multiplier of the whole loss.
        across_ranks (bool): under DDP, the global batch (True) or each
            rank's own batch (False).
    """

    def __init__(self,
                 margin: Optional[float] = None,
                 quantization_weight: float = 0.01,
                 loss_weight: float = 1.0,
                 across_ranks: bool = True,
                 regulariser: str = 'pair'):
        super().__init__()
        if margin is not None and not margin > 0:
            raise ValueError(f'margin must be > 0, got {margin}')
        if not quantization_weight >= 0:
            raise ValueError('quantization_weight must be >= 0, got '
                             f'{quantization_weight}')
        if regulariser not in ('pair', 'image'):
            raise ValueError("regulariser must be 'pair' or 'image', got "
                             f'{regulariser!r}')
        self.margin = margin
        self.regulariser = regulariser
        self.quantization_weight = quantization_weight
        self.loss_weight = loss_weight
        self.across_ranks = across_ranks

    def forward(self, codes: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Loss of (N, K) real codes given (N, C) multi-hot labels."""
        check_codes_and_labels(codes, labels)
        with torch.autocast(codes.device.type, enabled=False):
            codes = codes.to(torch.promote_types(codes.dtype, torch.float32))
            if self.across_ranks:
                codes, labels = gather_global_batch(codes, labels)
            return self.loss_weight * self.batch_loss(codes, labels)

    def batch_loss(self, codes: torch.Tensor,
                   labels: torch.Tensor) -> torch.Tensor:
        """The mean per-pair loss over the ordered pairs i != j."""
        num_samples, num_bits = codes.shape
        if num_samples < 2:
            return codes.sum() * 0.0
        margin = 2.0 * num_bits if self.margin is None else self.margin
        similar = share_label(labels).float()
        distance = (codes[:, None, :] - codes[None, :, :]).pow(2).sum(dim=2)
        contrastive = 0.5 * similar * distance + \
            0.5 * (1 - similar) * (margin - distance).clamp(min=0)
        regulariser = (codes.abs() - 1).abs().sum(dim=1)
        pairs = ~torch.eye(num_samples, dtype=torch.bool, device=codes.device)
        if self.regulariser == 'image':
            return contrastive[pairs].mean() + \
                self.quantization_weight * regulariser.mean()
        per_pair = contrastive + self.quantization_weight * (
            regulariser[:, None] + regulariser[None, :])
        return per_pair[pairs].mean()
