"""Every validation's metrics with its iteration, kept for selection."""
import json
import os.path as osp
from typing import Dict, Optional

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ValidationHistoryHook(Hook):
    """Records the metrics of every validation run during training, with
    the iteration whose weights were validated, in
    ``{work_dir}/{filename}`` (a JSON list of ``{'iter': t, metric: value,
    ...}``, rewritten after each validation) and in :attr:`history`.

    What a selection (the best validation checkpoint, a sweep) reads: the
    validation loader's queries are drawn from the training images, so the
    test set is never consulted. The validation at iteration t scores the
    weights that ``CheckpointHook`` saves as ``iter_{t}.pth``.

    Args:
        filename (str): the JSON file in the work dir (default
            ``'validation_history.json'``).
    """

    priority = 'LOW'

    def __init__(self, filename: str = 'validation_history.json'):
        self.filename = filename
        self.history = []

    def before_run(self, runner) -> None:
        self.history = []

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if not metrics:
            return
        self.history.append(
            dict(
                iter=runner.iter,
                **{
                    k: float(v)
                    for k, v in metrics.items() if isinstance(v, (int, float))
                }))
        with open(osp.join(runner.work_dir, self.filename), 'w') as f:
            json.dump(self.history, f, indent=1)
