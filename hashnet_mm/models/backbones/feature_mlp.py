"""The trunk of the feature track: identity or a small MLP on feature
vectors."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class FeatureMLP(BaseModule):
    """(N, d) feature vectors -> ``(x, )``, as an mmpretrain backbone, for
    a hash head (``in_channels`` = :attr:`out_channels`).

    The input is L2-normalised first when ``l2_normalize`` (default: a
    pretrained network's embeddings differ in scale from image to image),
    then each width of ``hidden_channels`` adds Linear -> ReLU -> Dropout.
    ``hidden_channels=()`` is the identity trunk: the head's hash layer
    alone learns on the features.

    Args:
        in_channels (int): d, the feature length.
        hidden_channels (sequence[int]): widths of the hidden layers
            (default ``()``, none).
        dropout (float): dropout probability after each hidden layer.
        l2_normalize (bool): divide each input by its L2 norm (default
            True; a zero vector stays zero).
        init_cfg (dict, optional): mmengine initialisation.
    """

    def __init__(self, in_channels: int, hidden_channels: Sequence[int] = (),
                 dropout: float = 0.0, l2_normalize: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg)
        widths = [in_channels, *hidden_channels]
        if any(isinstance(w, bool) or not isinstance(w, int) or w < 1
               for w in widths):
            raise ValueError('FeatureMLP: in_channels and hidden_channels '
                             f'must be integers >= 1, got {widths}')
        if not 0 <= dropout < 1:
            raise ValueError(f'FeatureMLP: dropout must be in [0, 1), got '
                             f'{dropout}')
        self.in_channels, self.l2_normalize = in_channels, l2_normalize
        layers = []
        for width_in, width_out in zip(widths, widths[1:]):
            layers += [torch.nn.Linear(width_in, width_out),
                       torch.nn.ReLU(inplace=True)]
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
        self.layers = torch.nn.Sequential(*layers)
        self.out_channels = widths[-1]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f'FeatureMLP: expected (N, {self.in_channels}) '
                             f'features, got shape {tuple(x.shape)}')
        if self.l2_normalize:
            x = F.normalize(x, dim=1)
        return (self.layers(x), )
