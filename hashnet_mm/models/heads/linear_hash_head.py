"""A hash head whose continuous codes are the hash layer's real outputs."""
from mmpretrain.registry import MODELS

from .hash_head import HashHead


@MODELS.register_module()
class LinearHashHead(HashHead):
    """Hash layer trained on u = z itself, no tanh (DPSH, Li et al. 2016).

    DPSH's codes are u_i = W^T phi(x_i) + v, real-valued; its loss
    (:class:`DPSHLoss`) keeps them near sgn(u) by a quantization term
    instead of squashing them. Binary codes, ``predict`` and L(h) are as
    :class:`HashHead`'s (sgn(z), z = 0 -> +1); ``beta`` is not used.

    Args:
        loss (dict | nn.Module): defaults to :class:`DPSHLoss`.
        **kwargs: as :class:`HashHead`.
    """

    def __init__(self, *args, loss: dict = dict(type='DPSHLoss'), **kwargs):
        super().__init__(*args, loss=loss, **kwargs)

    def continuous_codes(self, logits):
        """u = z."""
        return logits
