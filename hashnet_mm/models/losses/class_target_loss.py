"""Per-image losses towards each image's classes: the form of CSQ, DPN,
OrthoHash and GreedyHash."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...codes import check_codes_and_labels
from ..utils import HashCenters, check_positive_integers


def quantization_penalty(codes: torch.Tensor, power: float) -> torch.Tensor:
    """mean over images and bits of | |u_ik| - 1 |^p: p = 2 in CSQ and
    OrthoHash, p = 3 in GreedyHash."""
    return (codes.abs() - 1.0).abs().pow(power).mean()


class ClassTargetLoss(nn.Module):
    """mean over labelled images of l(u_i, y_i) + :meth:`code_penalty`.

    l is the subclass's :meth:`image_losses` of one code u_i (N, K) and its
    multi-hot labels y_i (N, C; narrower labels, made from ``gt_label``
    indices without ``to_onehot``, are padded with zeros). An image with
    no label (NUS-WIDE keeps some) has no class to aim at: it is left out
    of the first term, not of the penalty; a batch without labels has a
    first term of 0. Runs in float32 (float64 codes stay float64) even
    inside autocast.

    Under DDP each rank computes the loss on its own images (every term is
    per image, no pair crosses ranks): DDP's average of the ranks'
    gradients is the gradient on the global batch when the ranks hold
    equally many labelled images.

    Args:
        num_classes (int): C, the width of the labels.
        num_bits (int): K, set by the head (:meth:`HashHead.build_loss`).
        loss_weight (float): multiplier of the whole loss.
    """

    def __init__(self,
                 num_classes: int,
                 num_bits: int,
                 loss_weight: float = 1.0):
        super().__init__()
        check_positive_integers(
            type(self).__name__, num_classes=num_classes, num_bits=num_bits)
        self.num_classes = num_classes
        self.num_bits = num_bits
        self.loss_weight = loss_weight

    def image_losses(self, codes: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
        """(N,) loss of each image; only labelled rows are kept."""
        raise NotImplementedError

    def code_penalty(self, codes: torch.Tensor) -> torch.Tensor:
        """A term on the codes of all images (default none)."""
        return codes.new_zeros(())

    def forward(self, codes: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Loss of (N, K) codes given (N, C) multi-hot labels."""
        check_codes_and_labels(codes, labels)
        if labels.shape[1] < self.num_classes:  # from gt_label indices
            labels = F.pad(labels, (0, self.num_classes - labels.shape[1]))
        if codes.shape[1] != self.num_bits or \
                labels.shape[1] != self.num_classes:
            raise ValueError(
                f'{type(self).__name__} is built for {self.num_bits}-bit '
                f'codes and {self.num_classes} classes, got codes '
                f'{tuple(codes.shape)} and labels {tuple(labels.shape)}')
        with torch.autocast(codes.device.type, enabled=False):
            codes = codes.to(torch.promote_types(codes.dtype, torch.float32))
            labels = labels.to(codes.dtype)
            labelled = labels.bool().any(dim=1)
            per_image = torch.where(labelled, self.image_losses(codes, labels),
                                    0.0)
            loss = per_image.sum() / labelled.sum().clamp(min=1) + \
                self.code_penalty(codes)
            return self.loss_weight * loss


class CenterTargetLoss(ClassTargetLoss):
    """A :class:`ClassTargetLoss` whose targets are hash centers.

    Owns a :class:`HashCenters` (``self.hash_centers``): C centers in
    {-1, +1}^K and a tie-breaking vector, drawn once from ``seed`` and
    stored in the checkpoint.

    Args:
        num_classes (int): C.
        num_bits (int): K.
        centers (str): construction (``'auto'``: Hadamard rows where K is a
            power of two and C <= 2K, else random balanced codes;
            ``'hadamard'``, ``'random'``, ``'min_distance'``).
        seed (int): seed of the centers.
        min_distance (int, optional): target of ``'min_distance'``.
        balanced_centers (bool): ``'min_distance'`` centers with K // 2 bits
            +1 each (default False).
        loss_weight (float): multiplier of the whole loss.
    """

    def __init__(self,
                 num_classes: int,
                 num_bits: int,
                 centers: str = 'auto',
                 seed: int = 0,
                 min_distance: Optional[int] = None,
                 loss_weight: float = 1.0,
                 balanced_centers: bool = False):
        super().__init__(num_classes, num_bits, loss_weight)
        self.hash_centers = HashCenters(
            num_classes,
            num_bits,
            centers,
            seed,
            min_distance,
            balanced=balanced_centers)
