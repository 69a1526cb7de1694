"""A progress bar over the test batches."""
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """mmengine's ``ProgressBar`` over the test loop's batches, on the main
    process (the test loop logs nothing until its end; encoding a large
    database takes minutes). ``tools/test.py`` and ``tools/encode.py`` add
    it."""

    priority = 'VERY_LOW'

    def before_test_epoch(self, runner) -> None:
        self.bar = ProgressBar(len(runner.test_dataloader)) \
            if is_main_process() else None

    def after_test_iter(self,
                        runner,
                        batch_idx,
                        data_batch=None,
                        outputs=None) -> None:
        if self.bar is not None:
            self.bar.update()

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self.bar is not None:
            print(flush=True)
