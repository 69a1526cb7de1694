"""OrthoHash's hash layer: a linear map then batch normalisation."""
from typing import Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .hash_head import HashHead


@MODELS.register_module()
class OrthoHashHead(HashHead):
    """Hash layer whose codes are batch-normalised (OrthoHash, Hoe et al.
    2021).

    u = BN(fch(x)), BatchNorm1d over the K bits: in training each bit is
    centred on the batch (the paper's route to balanced bits), in testing
    on the running mean. The codes trained on are u itself (no tanh;
    ``beta`` is not used), and ``predict`` stores sign(u) (u = 0 -> +1)
    and u as ``hash_logits``: :meth:`forward` returns u, so every path of
    :class:`HashHead` sees the normalised code.

    Args:
        num_bits (int): K.
        in_channels (int): width of the input feature.
        loss (dict | nn.Module): usually :class:`OrthoHashLoss`.
        affine (bool): learn a per-bit scale and shift after the
            normalisation; default False, so a bit's running mean is its
            threshold (the paper's route to balanced bits). The authors'
            released code (kamwoh/orthohash, models/alexnet.py,
            ``hash_fc``) uses ``nn.BatchNorm1d``'s default, affine=True,
            after a bias-free linear layer: ``affine=True`` follows it.
        **kwargs: as :class:`HashHead`.
    """

    def __init__(self,
                 num_bits: int,
                 in_channels: int,
                 loss: dict,
                 affine: bool = False,
                 **kwargs):
        super().__init__(num_bits, in_channels, loss=loss, **kwargs)
        self.bn = nn.BatchNorm1d(num_bits, affine=affine)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """u = BN(fch(x)), shape (N, K)."""
        return self.bn(self.fch(self.pre_logits(feats)))

    def continuous_codes(self, logits: torch.Tensor) -> torch.Tensor:
        """u itself."""
        return logits
