"""Stop training at the first non-finite loss."""
import math
from typing import List, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss."""


def image_paths(data_batch: Optional[dict]) -> List[str]:
    """``img_path`` of every sample of a batch that has one."""
    samples = (data_batch or {}).get('data_samples') or []
    return [s.img_path for s in samples if 'img_path' in s]


def describe(paths: Sequence[str], shown: int = 8) -> str:
    more = f' ... ({len(paths) - shown} more)' if len(paths) > shown else ''
    return ', '.join(paths[:shown]) + more


def non_finite_inputs(data_batch: Optional[dict]) -> List[int]:
    """Indices of the batch's floating-point inputs holding NaN or inf."""
    inputs = (data_batch or {}).get('inputs')
    if torch.is_tensor(inputs):
        inputs = list(inputs)
    return [
        i for i, x in enumerate(inputs or ()) if torch.is_tensor(x)
        and x.is_floating_point() and not bool(torch.isfinite(x).all())
    ]


def preprocessor_problem(runner, data_batch: Optional[dict]) -> str:
    """``'; ...'`` naming the data preprocessor and its ``mean`` / ``std``
    when it turns the batch's finite pixels into NaN / inf inputs (a tiny
    std), else ``''``."""
    model = getattr(runner, 'model', None)
    if model is None or not data_batch:
        return ''
    model = model.module if is_model_wrapper(model) else model
    preprocessor = getattr(model, 'data_preprocessor', None)
    try:
        with torch.no_grad():
            processed = preprocessor(dict(data_batch), False)
    except Exception:  # the loss is the error being reported
        return ''
    broken = non_finite_inputs(processed)
    if not broken:
        return ''
    settings = ', '.join(
        f'{name}={getattr(preprocessor, name).flatten().tolist()}'
        for name in ('mean', 'std')
        if torch.is_tensor(getattr(preprocessor, name, None)))
    return (f'; the data preprocessor makes NaN/inf inputs of {len(broken)} '
            f'of {len(processed["inputs"])} images ({settings}): check '
            'data_preprocessor.mean and std')


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raises :class:`NonFiniteLossError` at the first NaN / inf loss.

    Without it a diverged run trains on to the end and saves NaN weights,
    whose sign codes are all -1 and still get a MAP. The check runs after
    each iteration, before the checkpoint hook (priority ``VERY_HIGH``), so
    no checkpoint of the diverged weights is written. The message names the
    iteration, the non-finite loss terms and the batch's images (first the
    ones whose input holds NaN / inf, when the inputs are float), and the
    data preprocessor's mean and std when they turn the pixels into NaN /
    inf (tools check them when the config is loaded, but a tiny std
    passes).
    ``tools/train.py`` adds this hook to every config that lacks it.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        losses = {
            name: torch.as_tensor(value).detach().float()
            for name, value in (outputs or {}).items() if 'loss' in name
        }
        if not losses or bool(
                torch.stack(list(losses.values())).isfinite().all()):
            return  # one device sync, as mmengine's own logging makes
        bad = {
            name: value.item()
            for name, value in losses.items()
            if not math.isfinite(value.item())
        }
        paths = image_paths(data_batch)
        broken = [
            paths[i] for i in non_finite_inputs(data_batch) if i < len(paths)
        ]
        where = (f'images with NaN/inf pixels: {describe(broken)}'
                 if broken else f'batch images: {describe(paths)}'
                 if paths else 'batch images unknown')
        where += preprocessor_problem(runner, data_batch)
        terms = ', '.join(f'{name}={value}' for name, value in bad.items())
        raise NonFiniteLossError(
            f'non-finite loss at training iteration {runner.iter + 1} '
            f'(0-based {runner.iter}): {terms}; {where}. Training stopped '
            'before any checkpoint of these weights was saved. Common '
            'causes: a corrupt image, a learning rate too high, float16 '
            'overflow (try --amp, which uses bfloat16).')
