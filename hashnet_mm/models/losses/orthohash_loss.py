"""OrthoHash's loss: margin cosine softmax towards orthogonal class codes."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ...codes import sign_codes
from .class_target_loss import CenterTargetLoss, quantization_penalty

QUANTIZATION_TYPES = ('l2', 'cs')


@MODELS.register_module()
class OrthoHashLoss(CenterTargetLoss):
    """OrthoHash (Hoe et al., NeurIPS 2021): one loss to rule them all.

    The codes u are the batch-normalised hash-layer outputs
    (``OrthoHashHead``). Each class has a target code, here the hash
    centers (orthogonal rows of [H; -H] where they fit). The logit of
    class c is the scaled cosine with an additive margin on the image's
    classes,

        l_ic = s * (cos(u_i, c_c) - m * y_ic),

    and the loss is the softmax cross-entropy with the label-smoothed
    target y_i / sum_c y_ic (the paper's multi-label form; one-hot labels
    give plain cross-entropy), plus an optional quantization term,
    ``quantization_weight`` times the mean over the images of

    - ``'l2'``: mean_k (|u_ik| - 1)^2 (= (u - sign u)^2), or
    - ``'cs'``: 1 - cos(u_i, sign(u_i)), the sign held constant,

    off by default (weight 0): the paper's single objective.

    Defaults: s = sqrt(K) (``scale=None``), chosen on validation queries
    over the released code's fixed 8 (kamwoh/orthohash, main.py
    ``--scale 8``; ``scale=8`` is that switch): on both feature-track
    datasets sqrt(K) validates higher at 16 and 32 bits and the same at 64,
    where the two are equal (``docs/en/benchmarks/feature_track.md``);
    m = 0.2 and no quantization term as released (``--margin 0.2``,
    ``--quan 0``), centers
    ``'auto'`` (the released code draws Bernoulli codes: ``'random'`` is
    the nearest, balanced). The released code's quantization type, when its
    weight is set, is ``'cs'``; ``'l2'`` is the default here (its ``'l2'``
    and this are the same function).

    Per rank under DDP (:class:`ClassTargetLoss`); the head's batch
    normalisation is too unless the model is converted to SyncBN
    (``sync_bn='torch'``).

    Args:
        num_classes (int): C.
        num_bits (int): K (given by the head).
        scale (float, optional): s (> 0); None (default) is sqrt(K).
        margin (float): m, default 0.2.
        quantization_weight (float): weight of the quantization term (>= 0).
        quantization_type (str): ``'l2'`` (default) or ``'cs'``.
        centers, seed, min_distance, balanced_centers: the
            :class:`HashCenters` (:class:`CenterTargetLoss`).
        loss_weight (float): multiplier of the whole loss.
    """

    def __init__(self,
                 num_classes: int,
                 num_bits: int,
                 scale: Optional[float] = None,
                 margin: float = 0.2,
                 quantization_weight: float = 0.0,
                 quantization_type: str = 'l2',
                 centers: str = 'auto',
                 seed: int = 0,
                 min_distance: Optional[int] = None,
                 loss_weight: float = 1.0,
                 balanced_centers: bool = False):
        super().__init__(num_classes, num_bits, centers, seed, min_distance,
                         loss_weight, balanced_centers)
        if scale is not None and not scale > 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        if not quantization_weight >= 0:
            raise ValueError('quantization_weight must be >= 0, got '
                             f'{quantization_weight}')
        if quantization_type not in QUANTIZATION_TYPES:
            raise ValueError(f'quantization_type must be one of '
                             f'{QUANTIZATION_TYPES}, got '
                             f'{quantization_type!r}')
        self.scale = math.sqrt(num_bits) if scale is None else float(scale)
        self.margin = margin
        self.quantization_weight = quantization_weight
        self.quantization_type = quantization_type

    def image_losses(self, codes: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of softmax(l_i) against y_i / sum_c y_ic."""
        centers = self.hash_centers.centers.to(codes.dtype)
        cosine = F.normalize(codes, dim=1) @ F.normalize(centers, dim=1).t()
        logits = self.scale * (cosine - self.margin * (labels > 0).float())
        targets = labels / labels.sum(dim=1, keepdim=True).clamp(min=1)
        return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1)

    def code_penalty(self, codes: torch.Tensor) -> torch.Tensor:
        """quantization_weight * the mean quantization term."""
        if self.quantization_type == 'l2':
            return self.quantization_weight * quantization_penalty(codes, 2)
        cosine = F.cosine_similarity(codes, sign_codes(codes.detach()), dim=1)
        return self.quantization_weight * (1 - cosine).mean()
