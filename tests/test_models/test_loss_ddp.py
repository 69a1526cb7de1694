"""A DDP training step (torchrun, 2 CPU processes, gloo) equals 1 process.

Two processes holding the halves of a global batch (4 + 4 or 5 + 3 images)
must give the loss and the parameter gradients of one process on the whole
batch: the pair losses gather every rank's codes (pairs span processes).
Without the gather (``across_ranks=False``) they differ, which shows the
comparison can fail. The step is mmengine's
``MMDistributedDataParallel.train_step``, what the Runner's loop calls
(driving it directly controls each rank's rows exactly; tools/train.py under
torchrun is tested in tests/test_tools/test_train_test.py). The metric's
DDP test is tests/test_evaluation/test_metric_ddp.py.
"""
import pytest
import torch
from mmpretrain.registry import MODELS

from hashnet_mm.models.losses import dsh_loss, pairwise_quantization_loss
from ..torchrun import run_two_processes
from .ddp_loss_worker import (LOSSES, SPLITS, build_model, global_batch,
                              train_step)


@pytest.fixture(scope='module')
def two_process_steps(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp('ddp_loss')
    run_two_processes('test_models/ddp_loss_worker.py', out_dir, cwd=out_dir)
    return out_dir


def one_process_step(case):
    inputs, samples = global_batch()
    return train_step(build_model(LOSSES[case]), inputs, samples)


def load_ranks(out_dir, case, split):
    return [
        torch.load(out_dir / f'{case}_{split}_rank{rank}.pt')
        for rank in range(2)
    ]


@pytest.mark.slow
@pytest.mark.parametrize('split', sorted(SPLITS))
@pytest.mark.parametrize('case', ['hashnet', 'dhn', 'dsh'])
def test_two_processes_step_as_one(two_process_steps, case, split):
    loss, changes = one_process_step(case)
    assert any(c.abs().max() > 1e-4 for c in changes.values())
    for rank in load_ranks(two_process_steps, case, split):
        assert rank['loss'] == pytest.approx(loss, rel=1e-5)
        torch.testing.assert_close(
            rank['changes'], changes, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_local_pairs_differ(two_process_steps):
    loss, changes = one_process_step('hashnet_local')
    rank = load_ranks(two_process_steps, 'hashnet_local', 'even')[0]
    assert rank['loss'] != pytest.approx(loss, rel=1e-3)
    with pytest.raises(AssertionError):
        torch.testing.assert_close(
            rank['changes'], changes, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('loss_type', ['DHNLoss', 'DPSHLoss', 'DSHLoss'])
@pytest.mark.parametrize('across_ranks', [True, False])
def test_across_ranks_reaches_the_pair_loss(monkeypatch, loss_type,
                                            across_ranks):
    # A stand-in for a second rank holding the same rows: the global batch
    # is the local one twice.
    calls = []

    def gather_twice(codes, labels):
        calls.append(len(codes))
        return torch.cat([codes, codes]), torch.cat([labels, labels])

    for module in (pairwise_quantization_loss, dsh_loss):
        monkeypatch.setattr(module, 'gather_global_batch', gather_twice)
    codes = torch.randn(4, 6, generator=torch.Generator().manual_seed(0))
    labels = torch.eye(4)[[0, 1, 0, 2]]
    loss = MODELS.build(dict(type=loss_type, across_ranks=across_ranks))
    local = MODELS.build(dict(type=loss_type, across_ranks=False))
    expected = local(torch.cat([codes, codes]), torch.cat([labels, labels])) \
        if across_ranks else local(codes, labels)
    assert loss(codes, labels).item() == pytest.approx(expected.item())
    assert calls == ([4] if across_ranks else [])
