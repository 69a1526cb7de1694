"""mmengine's LoggerHook, with test results written once and curves kept
out of the text log."""
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.fileio import dump
from mmengine.hooks import LoggerHook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RetrievalLoggerHook(LoggerHook):
    """``LoggerHook`` for retrieval tests.

    After a test epoch the text log gets the scalars only (mAP@R, P@H<=r,
    P@N, ... rounded by the log processor); the curves (PR lists over the
    Hamming radii) go, with everything else, to
    ``{timestamp}/{timestamp}.json``. Only the main process writes: the
    metrics are the same on every rank (gathered before scoring), and
    mmengine 0.10.7 lets every rank dump into the same file, which
    concurrent writes can leave corrupt. ``configs/_base_/default_runtime.py``
    uses it, and the tools put it in place of a plain ``LoggerHook``.
    """

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        if not is_main_process():
            return
        everything, line = runner.log_processor.get_log_after_epoch(
            runner, len(runner.test_dataloader), 'test', with_non_scalar=True)
        # mmengine joins 'name: value' items with two spaces, lists too.
        curves = {
            name
            for name, value in everything.items()
            if isinstance(value, (list, tuple, dict))
        }
        runner.logger.info('  '.join(
            item for item in line.split('  ')
            if item.split(': ', 1)[0] not in curves))
        dump(
            self._process_tags(everything),
            osp.join(runner.log_dir, self.json_log_path))
