"""DNNH's divide-and-encode hash module."""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .hash_head import HashHead


@MODELS.register_module()
class DivideEncodeHashHead(HashHead):
    """Divide-and-encode module of DNNH (Lai et al., CVPR 2015).

    The input feature is divided into K slices (as equal as possible, as
    ``torch.tensor_split``); slice k alone feeds bit k through its own
    fully connected unit, so each bit depends on a different part of the
    feature (the block-diagonal part of ``fch``; the rest of its weight is
    masked out and gets no gradient). Training codes are in [0, 1]^K: the
    sigmoid s = sigma(z_k) through DNNH's piece-wise threshold function::

        g(s) = 0 if s < 0.5 - epsilon, s if |s - 0.5| <= epsilon,
               1 if s > 0.5 + epsilon,

    whose gradient is that of the formula (0 outside the band, so saturated
    units stop changing). The binary code is bit k = 1 iff s >= 0.5, i.e.
    z_k >= 0: ``predict`` stores sgn(z) in {-1, +1} as every head does, and
    L(h) is computed on the {0, 1} codes the loss sees.

    Args:
        num_bits (int): K, the code length (at most ``in_channels``).
        in_channels (int): width of the input feature.
        loss (dict | nn.Module): defaults to DNNH's triplet ranking loss.
        epsilon (float): half-width of the threshold's linear band, in
            [0, 0.5).
        **kwargs: as :class:`HashHead`.
    """

    def __init__(self,
                 num_bits: int,
                 in_channels: int,
                 loss: dict = dict(type='TripletRankingLoss'),
                 epsilon: float = 0.1,
                 **kwargs):
        super().__init__(num_bits, in_channels, loss=loss, **kwargs)
        if in_channels < num_bits:
            raise ValueError(
                f'DivideEncodeHashHead: in_channels ({in_channels}) must be '
                f'at least num_bits ({num_bits}): one slice per bit')
        if not 0 <= epsilon < 0.5:
            raise ValueError(f'epsilon must be in [0, 0.5), got {epsilon}')
        self.epsilon = epsilon
        mask = torch.zeros(num_bits, in_channels)
        for bit, channels in enumerate(
                torch.tensor_split(torch.arange(in_channels), num_bits)):
            mask[bit, channels] = 1.0
        self.register_buffer('slice_mask', mask, persistent=False)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """z_k = w_k . x[slice k] + b_k, shape (N, K)."""
        return F.linear(
            self.pre_logits(feats), self.fch.weight * self.slice_mask,
            self.fch.bias)

    def continuous_codes(self, logits: torch.Tensor) -> torch.Tensor:
        """g(sigma(z)) in [0, 1], the piece-wise threshold of the sigmoid."""
        s = torch.sigmoid(logits)
        return torch.where(s < 0.5 - self.epsilon, 0.0,
                           torch.where(s > 0.5 + self.epsilon, 1.0, s))

    def binary_codes(self, logits: torch.Tensor) -> torch.Tensor:
        """1 where z >= 0 (sigma(z) >= 0.5), else 0."""
        return (logits >= 0).to(logits.dtype)
