"""DPN's polarization loss: a per-bit hinge towards the hash centers."""
from typing import Optional

import torch
from mmpretrain.registry import MODELS

from .class_target_loss import CenterTargetLoss


@MODELS.register_module()
class DPNLoss(CenterTargetLoss):
    """Deep Polarized Network (Fan et al., IJCAI 2020), polarization loss.

    For real codes u = z (use ``LinearHashHead``) and each image's target
    t_i in {-1, +1}^K (:meth:`HashCenters.targets`, as CSQ: its class's
    center, on multi-label data the sign of the sum of its classes'
    centers), every bit is pushed to the target's side beyond the margin m:

        mean_i mean_k max(0, m - u_ik t_ik)

    (the paper sums over the K bits; the mean divides that by K). Default
    m = 1; centers ``'auto'``. Per rank under DDP (:class:`ClassTargetLoss`).

    Args:
        num_classes (int): C.
        num_bits (int): K (given by the head).
        margin (float): m (>= 0), default 1.
        centers, seed, min_distance: the :class:`HashCenters`.
        loss_weight (float): multiplier of the whole loss.
    """

    def __init__(self, num_classes: int, num_bits: int, margin: float = 1.0,
                 centers: str = 'auto', seed: int = 0,
                 min_distance: Optional[int] = None,
                 loss_weight: float = 1.0):
        super().__init__(num_classes, num_bits, centers, seed, min_distance,
                         loss_weight)
        if not margin >= 0:
            raise ValueError(f'margin must be >= 0, got {margin}')
        self.margin = margin

    def image_losses(self, codes: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
        """mean_k max(0, m - u_ik t_ik) of each image."""
        targets = self.hash_centers.targets(labels)
        return (self.margin - codes * targets).clamp(min=0).mean(dim=1)
