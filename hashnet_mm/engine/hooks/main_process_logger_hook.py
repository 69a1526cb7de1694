"""mmengine's LoggerHook with the test results written once, by rank 0."""
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import LoggerHook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class MainProcessLoggerHook(LoggerHook):
    """``LoggerHook`` whose test results JSON only the main process writes.

    mmengine 0.10.7 dumps ``{timestamp}/{timestamp}.json`` after a test
    epoch from every rank into the same file; concurrent writes can leave
    it corrupt. The metrics are the same on every rank (gathered before
    scoring), so rank 0 alone logs and saves them. The command-line tools
    put this hook in place of a plain ``LoggerHook`` when they run on
    several processes (:func:`hashnet_mm.utils.cli.load_runner_config`).
    """

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        if is_main_process():
            super().after_test_epoch(runner, metrics)
