"""ResumableCheckpointHook: the best checkpoint is never missing, and a
resumed run validates where the interrupted one had still to."""
import os
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger
from mmengine.runner import IterBasedTrainLoop

from hashnet_mm.engine.hooks import ResumableCheckpointHook
from hashnet_mm.engine.hooks import resumable_checkpoint_hook as module
from hashnet_mm.engine.hooks.resumable_checkpoint_hook import validation_due


class Killed(Exception):
    """Stands for the process being killed."""


class FakeRunner:
    """What CheckpointHook uses of a Runner; ``save_checkpoint`` writes a
    file holding the iteration, or half of one and dies when ``kill``."""

    def __init__(self, work_dir, name):
        self.work_dir = str(work_dir)
        self.message_hub = MessageHub.get_instance(name)
        self.logger = MMLogger.get_instance(name)
        self.iter, self.epoch = 0, 0
        self.val_loop = None
        self.kill = False
        self.events = []

    def save_checkpoint(self, out_dir, filename, **kwargs):
        path = osp.join(out_dir, filename)
        self.events.append(('save', filename))
        if self.kill:
            with open(path, 'wb') as f:
                f.write(b'half a checkp')
            raise Killed
        torch.save(dict(meta=dict(iter=self.iter)), path)


def best_files(work_dir):
    return sorted(
        name for name in os.listdir(work_dir) if name.startswith('best_'))


@pytest.fixture
def hook_and_runner(tmp_path, request):
    runner = FakeRunner(tmp_path, request.node.name)
    hook = ResumableCheckpointHook(
        interval=2, by_epoch=False, save_best='acc', rule='greater')
    hook.before_train(runner)
    return hook, runner


def validate(hook, runner, iteration, score):
    runner.iter = iteration
    hook.after_val_epoch(runner, dict(acc=score))


def test_new_best_is_written_before_the_old_one_is_removed(
        hook_and_runner, tmp_path, monkeypatch):
    hook, runner = hook_and_runner
    validate(hook, runner, 2, 0.5)
    assert best_files(tmp_path) == ['best_acc_iter_2.pth']
    removed = []

    def remove(path):
        # The new best is already complete under its own name.
        assert torch.load(
            str(tmp_path / 'best_acc_iter_4.pth'),
            weights_only=True)['meta'] == dict(iter=4)
        removed.append(osp.basename(path))
        os.unlink(path)

    monkeypatch.setattr(module.os, 'remove', remove)
    validate(hook, runner, 4, 0.7)
    assert removed == ['best_acc_iter_2.pth']
    assert best_files(tmp_path) == ['best_acc_iter_4.pth']
    assert runner.message_hub.get_info('best_ckpt') == str(
        tmp_path / 'best_acc_iter_4.pth')
    assert runner.message_hub.get_info('best_score') == 0.7
    validate(hook, runner, 6, 0.6)  # not better: nothing written
    assert best_files(tmp_path) == ['best_acc_iter_4.pth']
    assert runner.events == [('save', 'best_acc_iter_2.pth.part'),
                             ('save', 'best_acc_iter_4.pth.part')]


def test_a_kill_while_the_new_best_is_written_keeps_the_old_one(
        hook_and_runner, tmp_path):
    hook, runner = hook_and_runner
    validate(hook, runner, 2, 0.5)
    runner.kill = True
    with pytest.raises(Killed):
        validate(hook, runner, 4, 0.7)
    assert torch.load(
        str(tmp_path / 'best_acc_iter_2.pth'),
        weights_only=True)['meta'] == dict(iter=2)
    assert not (tmp_path / 'best_acc_iter_4.pth').exists()
    # The half-written file is removed when the run is resumed.
    assert (tmp_path / 'best_acc_iter_4.pth.part').exists()
    resumed = ResumableCheckpointHook(
        interval=2, by_epoch=False, save_best='acc', rule='greater')
    resumed.before_train(runner)
    assert sorted(os.listdir(tmp_path)) == ['best_acc_iter_2.pth']


def test_the_same_step_validated_again_keeps_one_best_file(
        hook_and_runner, tmp_path):
    """A resumed run repeats a finished validation: an equal score writes
    nothing, and a better one replaces the file of the same name."""
    hook, runner = hook_and_runner
    validate(hook, runner, 4, 0.5)
    validate(hook, runner, 4, 0.5)
    validate(hook, runner, 4, 0.6)
    assert best_files(tmp_path) == ['best_acc_iter_4.pth']
    assert len(runner.events) == 2


def reference_validation_steps(max_iters, val_begin, val_interval):
    """The iterations after which IterBasedTrainLoop.run validates: its
    loop's rule, step by step."""
    validated = []
    for done in range(1, max_iters + 1):
        if done >= val_begin and (done % val_interval == 0
                                  or done == max_iters):
            validated.append(done)
    return validated


@pytest.mark.parametrize('max_iters,val_begin,val_interval', [(10, 1, 3),
                                                              (8, 1, 4),
                                                              (7, 5, 2),
                                                              (5, 1, 10)])
def test_validation_due_follows_the_loop_rule(max_iters, val_begin,
                                              val_interval):
    loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    loop._max_iters, loop.val_begin = max_iters, val_begin
    loop.val_interval = val_interval
    loop.dynamic_milestones, loop.dynamic_intervals = [0], [val_interval]
    due = []
    for step in range(max_iters + 1):
        loop._iter = step
        runner = SimpleNamespace(
            train_loop=loop, val_loop=object(), iter=step, epoch=0)
        if validation_due(runner):
            due.append(step)
    assert due == reference_validation_steps(max_iters, val_begin,
                                             val_interval)
    runner.val_loop = None  # --no-validate
    assert not validation_due(runner)
