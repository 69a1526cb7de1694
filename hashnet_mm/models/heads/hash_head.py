"""HashNet's hash layer on top of any backbone + neck."""
import inspect
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...codes import sign_codes
from ..utils import check_positive_integers


def batch_multi_hot_labels(data_samples: Sequence[DataSample]) -> torch.Tensor:
    """(N, C) multi-hot labels of a batch.

    Uses ``gt_score`` (set by ``ClsDataPreprocessor(to_onehot=True)``) when
    present, else one-hot ``gt_label`` indices; C is then only as wide as the
    batch needs, which is enough to tell whether two samples share a label.
    """
    if 'gt_score' in data_samples[0]:
        return torch.stack([sample.gt_score for sample in data_samples]) > 0
    indices = [sample.gt_label for sample in data_samples]
    num_classes = int(
        max((i.max() for i in indices if i.numel()), default=-1)) + 1
    labels = torch.zeros(
        len(indices),
        max(num_classes, 1),
        dtype=torch.bool,
        device=indices[0].device)
    for row, index in zip(labels, indices):
        row[index] = True
    return labels


def check_finite_logits(logits: torch.Tensor,
                        data_samples: Sequence[DataSample]) -> None:
    """A ValueError naming the samples whose hash-layer output z is NaN or
    infinite (NaN weights, or an input the backbone overflowed on)."""
    bad_rows = (~torch.isfinite(logits)).any(dim=1)
    if not bool(bad_rows.any()):
        return
    rows = bad_rows.nonzero().flatten().tolist()
    paths = [data_samples[i].get('img_path', f'sample {i}') for i in rows]
    shown = ', '.join(map(str, paths[:5])) + (' ...' if len(paths) > 5 else '')
    raise ValueError(
        f'HashHead.predict: {int((~torch.isfinite(logits)).sum())} of '
        f'{logits.numel()} hash-layer outputs are NaN or inf, in '
        f'{len(rows)} of {len(logits)} images ({shown}); no code is made '
        'from them. NaN weights come from a diverged training run.')


@MODELS.register_module()
class HashHead(BaseModule):
    """Hash layer ``fch`` producing K-bit codes (HashNet, Cao et al. 2017).

    z = fch(x) is a linear map of the last backbone/neck feature. Training
    uses the continuous codes h = tanh(beta * z) (paper eq. 5 with the
    continuation of Algorithm 1; ``beta`` is set every iteration by
    :class:`ContinuationHook`). ``predict`` stores in each DataSample:

    - ``hash_code``: the binary code sign(z) in {-1, +1}^K (float32), with
      z = 0 mapped to +1;
    - ``hash_logits``: z itself, for analysis (e.g. code histograms).

    Give the hash layer its own learning rate with
    ``paramwise_cfg=dict(custom_keys={'head.fch': dict(lr_mult=10.)})``.

    With ``objective_interval=n``, every n-th training iteration also
    returns, detached and from the batch in hand, the loss module's value on
    the continuous codes, ``objective_continuous`` = J(g), and on the
    binarised codes h = sgn(z), ``objective_binary`` = L(h) (paper fig. 6).
    They are logged, not optimised (their names hold no 'loss'). They are
    returned at 0-based iterations i with (i + 1) % n == 0; mmengine logs
    their latest value, so set n to the LoggerHook's interval (or a divisor
    of it) to log each at the iteration it was computed.

    Other methods' heads subclass this one and override
    :meth:`continuous_codes`, :meth:`binary_codes` and
    :meth:`loss_targets`.

    Args:
        num_bits (int): K, the code length.
        in_channels (int): width of the input feature.
        loss (dict | nn.Module): loss on (codes, multi-hot labels); one
            taking ``num_bits`` gets K (:meth:`build_loss`).
        objective_interval (int, optional): log J(g) and L(h) every this
            many iterations; None never.
        init_cfg (dict): initialisation of ``fch``; N(0, 0.01) weights and
            zero bias as in the authors' released code.
    """

    def __init__(self,
                 num_bits: int,
                 in_channels: int,
                 loss: dict = dict(type='WeightedPairwiseLoss'),
                 objective_interval: Optional[int] = None,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.01, bias=0.)):
        super().__init__(init_cfg=init_cfg)
        integers = dict(num_bits=num_bits, in_channels=in_channels)
        if objective_interval is not None:
            integers['objective_interval'] = objective_interval
        check_positive_integers('HashHead', **integers)
        self.num_bits = num_bits
        self.objective_interval = objective_interval
        self.beta = 1.0
        self.fch = nn.Linear(in_channels, num_bits)
        self.loss_module = self.build_loss(loss)

    def build_loss(self, loss) -> nn.Module:
        """The loss module of a config; a loss whose constructor takes
        ``num_bits`` (the class-target losses: centers or a classifier K
        wide) is given this head's K, so ``model.head.num_bits`` alone sets
        the code length."""
        if isinstance(loss, nn.Module):
            return loss
        loss_type = loss['type']
        loss_class = loss_type if inspect.isclass(loss_type) \
            else MODELS.get(loss_type)
        if loss_class is None or 'num_bits' not in inspect.signature(
                loss_class).parameters:
            return MODELS.build(loss)
        if loss.get('num_bits', self.num_bits) != self.num_bits:
            raise ValueError(f'the loss is set to {loss["num_bits"]} bits, '
                             f'the head to {self.num_bits}; set only '
                             'model.head.num_bits')
        return MODELS.build(loss, default_args=dict(num_bits=self.num_bits))

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The last stage's feature."""
        return feats[-1]

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """z = fch(x), the hash layer's net input, shape (N, K)."""
        return self.fch(self.pre_logits(feats))

    def continuous_codes(self, logits: torch.Tensor) -> torch.Tensor:
        """g = tanh(beta * z), the codes trained on (eq. 5, Algorithm 1)."""
        return torch.tanh(self.beta * logits)

    def binary_codes(self, logits: torch.Tensor) -> torch.Tensor:
        """h = sgn(z), the limit of the continuous codes, for L(h)."""
        return sign_codes(logits)

    def loss_targets(self, data_samples: List[DataSample]) -> torch.Tensor:
        """What the loss compares the codes with: (N, C) multi-hot labels."""
        return batch_multi_hot_labels(data_samples)

    def objectives_due(self) -> bool:
        """Whether this training iteration logs J(g) and L(h)."""
        if self.objective_interval is None:
            return False
        iteration = MessageHub.get_current_instance().get_info('iter', 0)
        return (iteration + 1) % self.objective_interval == 0

    def loss(self, feats: Tuple[torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """The loss module's value on the continuous codes (+ J(g), L(h))."""
        logits = self(feats)
        targets = self.loss_targets(data_samples)
        loss = self.loss_module(self.continuous_codes(logits), targets)
        losses = dict(loss=loss)
        if self.objectives_due():
            with torch.no_grad():
                binary = self.loss_module(self.binary_codes(logits), targets)
            losses.update(
                objective_continuous=loss.detach(), objective_binary=binary)
        return losses

    def predict(
            self,
            feats: Tuple[torch.Tensor],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        """Binary codes sign(z) (z = 0 -> +1) into each DataSample.

        A NaN or infinite z has no sign: it raises a ValueError with the
        count (and the images) instead of becoming a code.
        """
        logits = self(feats).float()
        if data_samples is None:
            data_samples = [DataSample() for _ in range(logits.shape[0])]
        check_finite_logits(logits, data_samples)
        codes = sign_codes(logits)
        for sample, code, logit in zip(data_samples, codes, logits):
            sample.set_field(code, 'hash_code')
            sample.set_field(logit, 'hash_logits')
        return data_samples
