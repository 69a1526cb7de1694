"""CSQ's loss: binary cross-entropy towards hash centers plus quantization."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .class_target_loss import CenterTargetLoss, quantization_penalty


@MODELS.register_module()
class CSQLoss(CenterTargetLoss):
    """Central Similarity Quantization (Yuan et al., CVPR 2020).

    The codes given are the hash layer's z (use ``LinearHashHead``); CSQ's
    code is u = tanh(z). With c_i the image's hash center
    (:meth:`HashCenters.targets`: its class's center; on multi-label data
    the sign of the sum of its classes' centers, zeros taking a fixed
    random bit), the paper's central similarity loss L_C plus its
    quantization loss L_Q:

        mean_{i,k} BCE((u_ik + 1) / 2, (c_ik + 1) / 2)
            + lambda * mean_{i,k} (|u_ik| - 1)^2,

    lambda = 1e-4 by default: the value of the peer library
    DeepHash-pytorch (CSQ.py, ``"lambda": 0.0001``) and of the authors'
    64-bit AlexNet ImageNet command. The authors' released code
    (yuanli2333/Hadamard-Matrix-for-hashing) computes the same two terms
    (train.py, ``train``: ``nn.BCELoss`` on (y + 1) / 2 and
    ``torch.mean((|y| - 1)^2)``, both means as here) with lambda =
    ``--lambda2``: 0.05 in options.py and in its README's ResNet-50 commands
    (ImageNet, COCO, NUS-WIDE), 1e-3 / 1e-4 in its AlexNet commands; set
    ``quantization_weight=0.05`` for the released ResNet-50 setting. Its
    ``--lambda1`` pairwise term is 0 in all those commands (not offered
    here). (u + 1) / 2 = sigmoid(2z), so L_C is computed as cross-entropy
    with logits 2z: exact and finite for any z.
    Centers: ``'auto'`` by default (CSQ's rule: [H; -H] where they fit,
    else random codes). Per rank under DDP (:class:`ClassTargetLoss`).

    Args:
        num_classes (int): C.
        num_bits (int): K (given by the head).
        quantization_weight (float): lambda (>= 0), default 1e-4; the
            released ResNet-50 runs use 0.05.
        centers, seed, min_distance, balanced_centers: the
            :class:`HashCenters` (:class:`CenterTargetLoss`).
        loss_weight (float): multiplier of the whole loss.
    """

    def __init__(self,
                 num_classes: int,
                 num_bits: int,
                 quantization_weight: float = 1e-4,
                 centers: str = 'auto',
                 seed: int = 0,
                 min_distance: Optional[int] = None,
                 loss_weight: float = 1.0,
                 balanced_centers: bool = False):
        super().__init__(num_classes, num_bits, centers, seed, min_distance,
                         loss_weight, balanced_centers)
        if not quantization_weight >= 0:
            raise ValueError('quantization_weight must be >= 0, got '
                             f'{quantization_weight}')
        self.quantization_weight = quantization_weight

    def image_losses(self, codes: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
        """mean_k BCE(sigmoid(2 z_ik), (c_ik + 1) / 2) of each image."""
        targets = (self.hash_centers.targets(labels).to(codes.dtype) + 1) / 2
        return F.binary_cross_entropy_with_logits(
            2 * codes, targets, reduction='none').mean(dim=1)

    def code_penalty(self, codes: torch.Tensor) -> torch.Tensor:
        """lambda * mean (|tanh z| - 1)^2."""
        return self.quantization_weight * quantization_penalty(
            torch.tanh(codes), 2)
