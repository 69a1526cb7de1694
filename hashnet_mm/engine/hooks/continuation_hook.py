"""Continuation of HashNet: tanh(beta z) approaches sign(z) as beta grows."""
import operator
from typing import Optional, Sequence, Tuple

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

SCHEDULES = ('power', 'stages')


@HOOKS.register_module()
class ContinuationHook(Hook):
    """Sets ``beta`` of the hash head before every training iteration.

    beta is a pure function of ``runner.iter``, so a resumed run has exactly
    the beta of an uninterrupted one. Two schedules:

    - ``'power'`` (authors' released code): beta = beta0 * (1 + gamma * t)
      ** power, with t = ``runner.iter + counter_offset`` rounded down to a
      multiple of ``step`` (beta changes every ``step`` iterations). The
      released PyTorch ``network.py`` and Caffe ``ScaleTanH`` layer both
      increment their iteration counter before they update beta, so with
      the default ``counter_offset=1`` beta first changes at 0-based
      iteration 199 (1.4142) and is 7.1414 at iteration 9,999, exactly as
      there; ``counter_offset=0`` changes it at 200, 400, ... (7.0711 at
      9,999).
    - ``'stages'`` (paper Algorithm 1): ``stages`` lists (start_iter, beta)
      with increasing start_iter, the first at 0; beta is that of the last
      stage started.

    The value is logged as ``beta`` with the training scalars.

    Args:
        schedule (str): ``'power'`` or ``'stages'``.
        stages (list[tuple[int, float]], optional): for ``'stages'``.
        beta0, gamma, power (float), step (int), counter_offset (int): for
            ``'power'``; defaults are the released code's.
        module_name (str): attribute path of the head in the model.
    """

    priority = 'NORMAL'

    def __init__(self,
                 schedule: str = 'power',
                 stages: Optional[Sequence[Tuple[int, float]]] = None,
                 beta0: float = 1.0,
                 gamma: float = 0.005,
                 power: float = 0.5,
                 step: int = 200,
                 counter_offset: int = 1,
                 module_name: str = 'head'):
        if schedule not in SCHEDULES:
            raise ValueError(
                f'schedule must be one of {SCHEDULES}, got {schedule!r}')
        if schedule == 'stages':
            stages = [(int(start), float(beta)) for start, beta in stages or ()]
            starts = [start for start, _ in stages]
            if not stages or starts[0] != 0 or sorted(set(starts)) != starts:
                raise ValueError(
                    'stages must be (start_iter, beta) pairs with strictly '
                    f'increasing start_iter beginning at 0, got {stages}')
            if any(beta <= 0 for _, beta in stages):
                raise ValueError(f'every stage beta must be > 0: {stages}')
        else:
            if stages is not None:
                raise ValueError("stages are only used by schedule='stages'")
            if beta0 <= 0 or gamma < 0 or step < 1 or counter_offset < 0:
                raise ValueError(
                    'need beta0 > 0, gamma >= 0, step >= 1 and '
                    f'counter_offset >= 0, got {beta0}, {gamma}, {step}, '
                    f'{counter_offset}')
        self.schedule = schedule
        self.stages = stages
        self.beta0 = beta0
        self.gamma = gamma
        self.power = power
        self.step = step
        self.counter_offset = counter_offset
        self.module_getter = operator.attrgetter(module_name)

    def beta_at(self, iteration: int) -> float:
        """beta for a training iteration (0-based)."""
        if self.schedule == 'stages':
            return [beta for start, beta in self.stages
                    if start <= iteration][-1]
        t = (iteration + self.counter_offset) // self.step * self.step
        return self.beta0 * (1.0 + self.gamma * t)**self.power

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        beta = self.beta_at(runner.iter)
        self.module_getter(get_ori_model(runner.model)).beta = beta
        runner.message_hub.update_scalar('train/beta', beta)
