"""GreedyHash's loss: a classifier on straight-through binary codes."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ...codes import straight_through_sign
from .class_target_loss import ClassTargetLoss, quantization_penalty


@MODELS.register_module()
class GreedyHashLoss(ClassTargetLoss):
    """GreedyHash (Su et al., NeurIPS 2018).

    For real codes u = z (use ``LinearHashHead``), b = sgn(u) (0 -> +1) in
    the forward pass, its gradient passed to u unchanged
    (:func:`straight_through_sign`: the paper's greedy update), and

        CE(W b_i, y_i) + alpha * mean_{i,k} | |u_ik| - 1 |^3,

    W a linear classifier (C x K, no bias, owned by this loss so it is
    saved with the model; the head's ``init_cfg`` initialises it) and the
    penalty the paper's || |H| - 1 ||_3^3 as a mean. Single-label data
    (``multi_label=False``, default): softmax cross-entropy, every
    labelled image must have exactly one label. Multi-label data
    (``multi_label=True``): a sigmoid per class, binary cross-entropy
    averaged over the C classes. Default alpha = 0.1. Per rank under DDP
    (:class:`ClassTargetLoss`: every term is per image).

    The authors' released code (ssppp/GreedyHash) takes the penalty as this
    mean too (``torch.mean(torch.abs(torch.pow(torch.abs(feature) - 1,
    3)))``) and weights it 0.1 in its CIFAR-10 scripts (cifar1.py,
    cifar2.py: ``loss1 + 0.1 * loss2``) but 1 in its ImageNet script
    (imagenet.py: ``loss1 + 1 * loss2``); the peer library DeepHash-pytorch
    (GreedyHash.py) likewise sets alpha 0.1, and 1 on ImageNet. The default
    is the CIFAR value; ``alpha=1`` is the released ImageNet setting.

    Args:
        num_classes (int): C.
        num_bits (int): K (given by the head).
        alpha (float): weight of the penalty (>= 0), default 0.1; the
            released ImageNet script uses 1.
        multi_label (bool): sigmoid (True) or softmax (False) classifier.
        loss_weight (float): multiplier of the whole loss.
    """

    def __init__(self,
                 num_classes: int,
                 num_bits: int,
                 alpha: float = 0.1,
                 multi_label: bool = False,
                 loss_weight: float = 1.0):
        super().__init__(num_classes, num_bits, loss_weight)
        if not alpha >= 0:
            raise ValueError(f'alpha must be >= 0, got {alpha}')
        self.alpha = alpha
        self.multi_label = multi_label
        self.classifier = nn.Linear(num_bits, num_classes, bias=False)

    def image_losses(self, codes: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the classifier on b = sgn(u), per image."""
        binary = straight_through_sign(codes)
        logits = self.classifier(binary.to(self.classifier.weight.dtype))
        logits = logits.to(codes.dtype)
        if self.multi_label:
            return F.binary_cross_entropy_with_logits(
                logits, labels, reduction='none').mean(dim=1)
        counts = labels.bool().sum(dim=1)
        if bool((counts > 1).any()):
            raise ValueError(
                f'GreedyHashLoss(multi_label=False): {int((counts > 1).sum())}'
                ' images carry several labels; a softmax classifier needs '
                'one; set multi_label=True for multi-label data')
        return F.cross_entropy(logits, labels.argmax(dim=1), reduction='none')

    def code_penalty(self, codes: torch.Tensor) -> torch.Tensor:
        """alpha * mean | |u| - 1 |^3."""
        return self.alpha * quantization_penalty(codes, 3)
