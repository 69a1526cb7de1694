"""The test loop of ``tools/encode.py``: mmengine's, under inference mode."""
from typing import Sequence

import torch
from mmengine.runner import TestLoop, autocast
from mmengine.runner.loops import _update_losses
from mmpretrain.registry import LOOPS


@LOOPS.register_module()
class EncodeLoop(TestLoop):
    """mmengine's ``TestLoop`` with each batch run under
    ``torch.inference_mode()`` rather than ``torch.no_grad()``: encoding
    keeps no tensor for autograd, so PyTorch skips its view and version
    bookkeeping. The same hooks, evaluator calls and outputs (``fp16`` as
    there)."""

    def run_iter(self, idx, data_batch: Sequence[dict]) -> None:
        with torch.inference_mode():
            self.runner.call_hook(
                'before_test_iter', batch_idx=idx, data_batch=data_batch)
            with autocast(enabled=self.fp16):
                outputs = self.runner.model.test_step(data_batch)
            outputs, self.test_loss = _update_losses(outputs, self.test_loss)
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
            self.runner.call_hook(
                'after_test_iter',
                batch_idx=idx,
                data_batch=data_batch,
                outputs=outputs)
