"""The trunk of the feature track: identity or a small MLP on feature
vectors."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class FeatureMLP(BaseModule):
    """(N, d) feature vectors -> ``(x, )``, as an mmpretrain backbone, for
    a hash head (``in_channels`` = :attr:`out_channels`).

    The input is scaled first as ``input_norm`` says: ``'l2'`` (each vector
    divided by its L2 norm; a zero vector stays zero), ``'batchnorm'`` (each
    dimension standardised by BatchNorm1d without affine parameters:
    batch statistics in training, running ones in testing) or None. Then
    each width of ``hidden_channels`` adds Linear -> ReLU -> Dropout.
    ``hidden_channels=()`` is the identity trunk: the head's hash layer
    alone learns on the features.

    Args:
        in_channels (int): d, the feature length.
        hidden_channels (sequence[int]): widths of the hidden layers
            (default ``()``, none).
        dropout (float): dropout probability after each hidden layer.
        input_norm (str, optional): ``'l2'``, ``'batchnorm'`` (default)
            or None.
        init_cfg (dict, optional): mmengine initialisation.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: Sequence[int] = (),
                 dropout: float = 0.0,
                 input_norm: Optional[str] = 'batchnorm',
                 init_cfg=None):
        super().__init__(init_cfg)
        widths = [in_channels, *hidden_channels]
        if any(
                isinstance(w, bool) or not isinstance(w, int) or w < 1
                for w in widths):
            raise ValueError('FeatureMLP: in_channels and hidden_channels '
                             f'must be integers >= 1, got {widths}')
        if not 0 <= dropout < 1:
            raise ValueError(f'FeatureMLP: dropout must be in [0, 1), got '
                             f'{dropout}')
        if input_norm not in ('l2', 'batchnorm', None):
            raise ValueError("FeatureMLP: input_norm must be 'l2', "
                             f"'batchnorm' or None, got {input_norm!r}")
        self.in_channels, self.input_norm = in_channels, input_norm
        self.norm = torch.nn.BatchNorm1d(in_channels, affine=False) \
            if input_norm == 'batchnorm' else None
        layers = []
        for width_in, width_out in zip(widths, widths[1:]):
            layers += [
                torch.nn.Linear(width_in, width_out),
                torch.nn.ReLU(inplace=True)
            ]
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
        self.layers = torch.nn.Sequential(*layers)
        self.out_channels = widths[-1]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f'FeatureMLP: expected (N, {self.in_channels}) '
                             f'features, got shape {tuple(x.shape)}')
        if self.input_norm == 'l2':
            x = F.normalize(x, dim=1)
        elif self.norm is not None:
            x = self.norm(x)
        return (self.layers(x), )
