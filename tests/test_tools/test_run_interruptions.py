"""tools/train.py: runs that are resumed, killed or started from given
weights either go on exactly as the run they continue, or stop with a
message."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.runner import Runner, ValLoop, save_checkpoint

from hashnet_mm.engine.hooks import NonFiniteLossError
from hashnet_mm.utils.checkpoint import CheckpointError
from hashnet_mm.utils.resume import ResumeError
from ..tiny_data import one_hot, write_tiny_dataset
from ..tool_modules import load_tool
from .test_train_test import run_tool, write_config

train_tool = load_tool('train.py')
BEST = 'best_retrieval_mAP@all_iter_*.pth'


def train_in_process(*args):
    train_tool.main(list(map(str, args)))


@pytest.fixture(scope='module')
def finished_run(tmp_path_factory):
    """(config, work dir) of a 4-iteration run validated at 2 and 4, with
    iter_2.pth, iter_4.pth and the best checkpoint."""
    root = tmp_path_factory.mktemp('finished')
    rng = np.random.default_rng(1)
    data = write_tiny_dataset(
        str(root / 'data'), {
            name: one_hot(
                np.repeat(np.arange(4), n // 4)[rng.permutation(n)], 4)
            for name, n in (('train', 32), ('query', 8), ('database', 32))
        })
    config = write_config(
        str(root / 'cfg.py'),
        data,
        4,
        checkpoint_interval=2,
        extra='train_cfg = dict(max_iters=4, '
        'val_interval=2)')
    work_dir = str(root / 'work')
    run_tool('tools/train.py', config, '--work-dir', work_dir)
    return config, work_dir


@pytest.mark.slow
def test_resuming_a_best_checkpoint_is_refused(tmp_path, finished_run):
    """It holds no optimiser or lr-schedule state: mmengine would restart
    both at the saved iteration and exit 0."""
    config, work_dir = finished_run
    (best, ) = glob.glob(osp.join(work_dir, BEST))
    assert 'optimizer' not in torch.load(best, weights_only=True)
    expected = (
        r'--resume .*best_retrieval_mAP@all_iter_\d.pth: the checkpoint '
        r'holds no optimiser or lr schedule state \(a best checkpoint of '
        r'save_best keeps only the weights\).* start a new run in '
        r'another work dir: --cfg-options load_from=.*best_')
    with pytest.raises(ResumeError, match=expected):
        train_in_process(config, '--work-dir', tmp_path / 'resumed',
                         '--resume', best)
    assert not (tmp_path / 'resumed').exists()


def nan_copy(checkpoint, path):
    state = torch.load(checkpoint, weights_only=True)
    state['state_dict']['head.fch.bias'][0] = float('nan')
    save_checkpoint(state, str(path))
    return str(path)


def test_nan_weights_are_refused_by_resume_and_load_from(
        tmp_path, finished_run):
    config, work_dir = finished_run
    diverged = nan_copy(
        osp.join(work_dir, 'iter_2.pth'), tmp_path / 'iter_2.pth')
    expected = (
        r'--resume: .*iter_2.pth: 1 weight tensors hold NaN or inf \(the '
        r'training run diverged\): head.fch.bias')
    with pytest.raises(ResumeError, match=expected):
        train_in_process(config, '--work-dir', tmp_path / 'resumed',
                         '--resume', diverged)
    with pytest.raises(
            CheckpointError,
            match=(
                r'iter_2.pth: 1 weight tensors hold NaN or inf .*head.fch.bias'
            )):
        train_in_process(config, '--work-dir', tmp_path / 'fresh',
                         '--cfg-options', f'load_from={diverged}')
    # --resume without a path finds the same file, and refuses it too.
    with pytest.raises(ResumeError, match='hold NaN or inf'):
        train_in_process(config, '--work-dir', tmp_path, '--resume')


def test_resume_refuses_another_preprocessor(tmp_path, finished_run):
    config, work_dir = finished_run
    with pytest.raises(
            ResumeError,
            match=(r"data_preprocessor.mean: \[128.0, 128.0, 128.0\] in the "
                   r"checkpoint's run, \[100.0, 100.0, 100.0\] now")):
        train_in_process(config, '--work-dir', tmp_path, '--resume',
                         osp.join(work_dir, 'iter_2.pth'), '--cfg-options',
                         'model.data_preprocessor.mean=[100.,100.,100.]')


@pytest.mark.parametrize('key',
                         ['model.data_preprocessor', 'data_preprocessor'])
def test_one_preprocessor_option_changes_that_key_only(tmp_path, finished_run,
                                                       key):
    config, _ = finished_run
    cfg = train_tool.training_config(
        train_tool.parse_args([
            config, '--work-dir',
            str(tmp_path), '--cfg-options', f'{key}.mean=[100.,90.,80.]'
        ]))
    preprocessor = Runner.from_cfg(cfg).model.data_preprocessor
    assert preprocessor.mean.flatten().tolist() == [100., 90., 80.]
    assert preprocessor.std.flatten().tolist() == [64.] * 3  # the config's
    assert (preprocessor.num_classes, preprocessor.to_onehot) == (4, True)


@pytest.mark.parametrize('option,named', [
    ('model.data_preprocessor.std=[0.,0.,0.]',
     r'data_preprocessor.std=\[0.0, 0.0, 0.0\]: every std must be a positive'),
    ('data_preprocessor.std=[64.,-1.,64.]',
     r'data_preprocessor.std=\[64.0, -1.0, 64.0\]: every std must be'),
    ('data_preprocessor.mean=[0.,0.,inf]',
     r'data_preprocessor.mean=\[0.0, 0.0, inf\]: every mean must be a '
     'finite number'),
])
def test_a_preprocessor_that_makes_pixels_inf_is_refused(
        tmp_path, finished_run, option, named):
    """Before: a NaN loss naming 16 batch images, or (given as a model
    option) a silently unnormalised run that exited 0."""
    config, _ = finished_run
    with pytest.raises(ValueError, match=named):
        train_in_process(config, '--work-dir', tmp_path / 'work',
                         '--cfg-options', option)
    assert not (tmp_path / 'work').exists()


def test_a_nan_loss_from_the_preprocessor_names_it(tmp_path,
                                                   tiny_single_label):
    """A std that passes the check (positive) but overflows the pixels."""
    config = write_config(
        str(tmp_path / 'cfg.py'),
        tiny_single_label,
        2,
        extra='data_preprocessor.update(std=[1e-40] * 3)')
    expected = (
        r'loss=nan; batch images: .*; the data preprocessor makes NaN/inf '
        r'inputs of 16 of 16 images \(mean=\[128.0, 128.0, 128.0\], '
        r'std=\[.*\]\): check data_preprocessor.mean and std')
    with pytest.raises(NonFiniteLossError, match=expected):
        train_in_process(config, '--work-dir', tmp_path / 'work')


class Killed(Exception):
    """Stands for the process being killed."""


@pytest.mark.slow
def test_a_run_killed_before_its_final_validation_validates_on_resume(
        tmp_path, tiny_single_label, monkeypatch):
    """The checkpoint of the last iteration is saved, then the run dies
    during its validation: no scores and no best checkpoint. Resumed, it
    validates at that iteration and saves the best checkpoint."""
    config = write_config(
        str(tmp_path / 'cfg.py'), tiny_single_label, 4, checkpoint_interval=2)
    work_dir = tmp_path / 'work'

    def killed(self):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(ValLoop, 'run', killed)
        with pytest.raises(Killed):
            train_in_process(config, '--work-dir', work_dir)
    assert (work_dir / 'iter_4.pth').exists()
    assert not glob.glob(str(work_dir / 'best_*'))

    log = run_tool('tools/train.py', config, '--work-dir', str(work_dir),
                   '--resume')
    assert 'Resumed at iteration 4, where the run validates: validating ' \
        'now' in log
    assert [osp.basename(p) for p in glob.glob(str(work_dir / BEST))] == \
        ['best_retrieval_mAP@all_iter_4.pth']
    assert len([
        s for s in logged_scalars_of_last_run(work_dir)
        if 'retrieval/mAP@all' in s
    ]) == 1

    # Resumed again, the finished validation is run again and agrees:
    # the best checkpoint stays the same file.
    best = work_dir / 'best_retrieval_mAP@all_iter_4.pth'
    saved = torch.load(str(best), weights_only=True)['state_dict']
    run_tool('tools/train.py', config, '--work-dir', str(work_dir), '--resume')
    assert [osp.basename(p) for p in glob.glob(str(work_dir / 'best_*'))] \
        == [best.name]
    again = torch.load(str(best), weights_only=True)['state_dict']
    assert all(torch.equal(saved[k], again[k]) for k in saved)


def logged_scalars_of_last_run(work_dir):
    """The scalars of the newest run (timestamp folder) of a work dir."""
    newest = sorted(
        glob.glob(osp.join(str(work_dir), '*', 'vis_data',
                           'scalars.json')))[-1]
    with open(newest) as f:
        return [json.loads(line) for line in f]
