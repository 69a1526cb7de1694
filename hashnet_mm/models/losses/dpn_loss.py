"""DPN's polarization loss: a per-bit hinge towards the hash centers."""
from typing import Optional

import torch
from mmpretrain.registry import MODELS

from .class_target_loss import CenterTargetLoss

BIT_REDUCTIONS = ('mean', 'sum')
MULTI_LABEL_FORMS = ('center_sign', 'per_class')


@MODELS.register_module()
class DPNLoss(CenterTargetLoss):
    """Deep Polarized Network (Fan et al., IJCAI 2020), polarization loss.

    For real codes u = z (use ``LinearHashHead``) and each image's target
    t_i in {-1, +1}^K, every bit is pushed to the target's side beyond the
    margin m; the paper's loss sums the per-bit hinges over the K bits:

        mean_i sum_k max(0, m - u_ik t_ik)          (bit_reduction='sum')
        mean_i mean_k max(0, m - u_ik t_ik)         (bit_reduction='mean')

    ``'sum'`` is the paper's and the released code's scale (kamwoh/DPN,
    scripts/train_hashing.py, ``calculate_loss``); ``'mean'`` (default,
    as the peer library DeepHash-pytorch, DPN.py) is that value / K, kept
    as the default so the loss scale, and so the step size a config's
    learning rate gives, does not change with K (the minimiser is the
    same).

    Multi-label images (``multi_label_target``):

    - ``'center_sign'`` (default, as CSQ and DeepHash-pytorch): one target,
      the sign of the sum of the image's classes' centers, ties taking a
      fixed random bit (:meth:`HashCenters.targets`);
    - ``'per_class'`` (the released code's): the hinge towards each of the
      image's classes' centers, summed over those classes.

    Both forms agree on one-label images. Default m = 1 (the released
    code's ``--margin 1.0``, main.py; DeepHash-pytorch ``"m": 1``); centers
    ``'auto'`` (the released code draws signs of Gaussian codes:
    ``'random'`` is the nearest, balanced). Per rank under DDP
    (:class:`ClassTargetLoss`: every term is per image).

    Args:
        num_classes (int): C.
        num_bits (int): K (given by the head).
        margin (float): m (>= 0), default 1.
        bit_reduction (str): ``'mean'`` (default) or ``'sum'`` over bits.
        multi_label_target (str): ``'center_sign'`` (default) or
            ``'per_class'``.
        centers, seed, min_distance, balanced_centers: the
            :class:`HashCenters` (:class:`CenterTargetLoss`).
        loss_weight (float): multiplier of the whole loss.
    """

    def __init__(self,
                 num_classes: int,
                 num_bits: int,
                 margin: float = 1.0,
                 bit_reduction: str = 'mean',
                 multi_label_target: str = 'center_sign',
                 centers: str = 'auto',
                 seed: int = 0,
                 min_distance: Optional[int] = None,
                 loss_weight: float = 1.0,
                 balanced_centers: bool = False):
        super().__init__(num_classes, num_bits, centers, seed, min_distance,
                         loss_weight, balanced_centers)
        if not margin >= 0:
            raise ValueError(f'margin must be >= 0, got {margin}')
        if bit_reduction not in BIT_REDUCTIONS:
            raise ValueError(f'bit_reduction must be one of {BIT_REDUCTIONS}'
                             f', got {bit_reduction!r}')
        if multi_label_target not in MULTI_LABEL_FORMS:
            raise ValueError(f'multi_label_target must be one of '
                             f'{MULTI_LABEL_FORMS}, got '
                             f'{multi_label_target!r}')
        self.margin = margin
        self.bit_reduction = bit_reduction
        self.multi_label_target = multi_label_target

    def image_losses(self, codes: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
        """The hinges of each image, reduced over its bits (and, for
        ``'per_class'``, summed over its classes)."""
        if self.multi_label_target == 'center_sign':
            targets = self.hash_centers.targets(labels)  # (N, K)
            hinges = (self.margin - codes * targets).clamp(min=0)
        else:  # (N, C, K): towards every class, kept for the image's own
            centers = self.hash_centers.centers.to(codes.dtype)
            hinges = (self.margin - codes[:, None, :] * centers).clamp(min=0)
        per_target = hinges.sum(dim=-1) if self.bit_reduction == 'sum' \
            else hinges.mean(dim=-1)
        if self.multi_label_target == 'center_sign':
            return per_target
        return (per_target * (labels > 0).to(codes.dtype)).sum(dim=1)
