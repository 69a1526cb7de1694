"""A bad run stops with a message: NaN training, mismatched or diverged
checkpoints, unsafe resumes, images that cannot be read."""
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from hashnet_mm.utils.checkpoint import CheckpointError
from hashnet_mm.utils.cli import share_num_classes
from hashnet_mm.utils.resume import ResumeError
from ..tool_modules import load_tool
from .test_encode_search import run_in_process
from .test_train_test import REPO, logged_scalars, run_tool, write_config

pytestmark = pytest.mark.slow


def failing_tool(*args):
    """stdout + stderr of a tool run that must exit non-zero."""
    result = subprocess.run([sys.executable, *args],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode != 0, result.stdout[-2000:]
    return result.stdout + result.stderr


def train_in_process(*args):
    load_tool('train.py').main(list(map(str, args)))


def test_nan_loss_stops_training_before_a_checkpoint(tmp_path,
                                                     tiny_single_label):
    """A NaN loss weight: NaN loss at iteration 1."""
    config = write_config(
        str(tmp_path / 'cfg.py'),
        tiny_single_label,
        3,
        checkpoint_interval=1,
        extra="model['head']['loss'] = dict(loss_weight=float('nan'))")
    work_dir = tmp_path / 'work'
    output = failing_tool('tools/train.py', config, '--work-dir',
                          str(work_dir))
    assert 'NonFiniteLossError: non-finite loss at training iteration 1 ' \
        '(0-based 0): loss=nan' in output
    assert 'batch images: ' + osp.join(tiny_single_label, 'images') in output
    assert not list(work_dir.glob('*.pth'))


def test_test_tool_is_strict_and_refuses_nan_weights(tmp_path, model_files):
    config, checkpoint, root = model_files
    output = failing_tool('tools/test.py', config, checkpoint, '--work-dir',
                          str(tmp_path / 'wide'), '--cfg-options',
                          'model.head.num_bits=32')
    assert 'CheckpointError: ' + checkpoint + ' does not match the model' \
        in output
    assert 'head.fch.weight: checkpoint (16, ' in output
    assert 'head.fch.bias: checkpoint (16,), model (32,)' in output

    state = torch.load(checkpoint, weights_only=True)['state_dict']
    state['head.fch.weight'][0, 0] = float('nan')
    diverged = str(tmp_path / 'diverged.pth')
    save_checkpoint(dict(state_dict=state, meta={}), diverged)
    for tool, extra in (('test.py', []), ('encode.py', [
            '--list',
            osp.join(root, 'query.txt'), '--out',
            str(tmp_path / 'c.npz')
    ])):
        with pytest.raises(
                CheckpointError,
                match='1 weight tensors hold NaN'
                ' or inf .*: head.fch.weight'):
            run_in_process(tool, config, diverged, *extra, '--work-dir',
                           str(tmp_path / tool))


def test_partial_load_is_explicit(tmp_path, model_files, capsys):
    config, checkpoint, _ = model_files
    run_in_process('test.py', config, checkpoint, '--partial-load',
                   '--work-dir', str(tmp_path / 'partial'), '--cfg-options',
                   'model.head.num_bits=32')
    assert '"retrieval/mAP@all"' in capsys.readouterr().out


def test_resume_continues_copied_checkpoints_and_refuses_changes(
        tmp_path, tiny_single_label):
    hook = "custom_hooks = [dict(type='ContinuationHook', gamma=1.0, step=1)]"
    config = write_config(
        str(tmp_path / 'cfg.py'),
        tiny_single_label,
        4,
        checkpoint_interval=2,
        extra=hook)
    full = tmp_path / 'full'
    run_tool('tools/train.py', config, '--work-dir', str(full))
    copied = tmp_path / 'copied'  # checkpoints, but no last_checkpoint
    copied.mkdir()
    shutil.copy(full / 'iter_2.pth', copied / 'iter_2.pth')

    with pytest.raises(
            ResumeError,
            match=r'already holds checkpoints '
            r'\(iter_2.pth\); a fresh run would overwrite them'):
        train_in_process(config, '--work-dir', copied)
    for option, named in (('train_cfg.max_iters=8', 'train_cfg.max_iters: 4 '
                           "in the checkpoint's run, 8 now"),
                          ('model.head.num_bits=32', 'model.head.num_bits: '
                           '16')):
        with pytest.raises(ResumeError, match=named):
            train_in_process(config, '--work-dir', copied, '--resume',
                             '--cfg-options', option)

    run_tool('tools/train.py', config, '--work-dir', str(copied), '--resume')
    assert sorted(s['iter'] for s in logged_scalars(str(copied))
                  if 'loss' in s) == [3, 4]
    assert (copied / 'iter_4.pth').exists()


def test_empty_image_to_encode_and_search_is_named(tmp_path, model_files):
    config, checkpoint, root = model_files
    folder = tmp_path / 'photos'
    folder.mkdir()
    shutil.copy(osp.join(root, 'images', '00000.png'), folder / 'a.png')
    (folder / 'b.png').write_bytes(b'')
    with pytest.raises(
            RuntimeError,
            match=r'cannot load image .*b.png: the '
            r'file is empty \(0 bytes\)'):
        run_in_process('encode.py', config, checkpoint, '--dir', str(folder),
                       '--out', str(tmp_path / 'c.npz'), '--work-dir',
                       str(tmp_path / 'work'))
    from hashnet_mm.search import HammingIndex
    index = HammingIndex(16)
    index.save(str(tmp_path / 'db.index'))
    with pytest.raises(
            RuntimeError,
            match=r'cannot load image .*b.png: the '
            r'file is empty \(0 bytes\)'):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'db.index'), '--query',
                       str(folder / 'a.png'), str(folder / 'b.png'))


def test_tools_give_list_datasets_the_preprocessor_classes():
    cfg = Config(
        dict(
            data_preprocessor=dict(num_classes=5),
            train_dataloader=dict(dataset=dict(type='HashListDataset')),
            test_dataloader=dict(
                dataset=dict(
                    type='QueryDatabaseDataset',
                    query=dict(type='HashListDataset'),
                    database=dict(type='HashListDataset', classes=['a', 'b'
                                                                   ]))),
            val_dataloader=dict(
                dataset=dict(
                    type='ConcatDataset',
                    datasets=[
                        dict(type='HashListDataset', num_classes=3),
                        dict(type='CustomDataset')
                    ]))))
    share_num_classes(cfg)
    assert cfg.train_dataloader.dataset.num_classes == 5
    assert cfg.test_dataloader.dataset['query'].num_classes == 5
    assert 'num_classes' not in cfg.test_dataloader.dataset['database']
    assert cfg.val_dataloader.dataset.datasets[0].num_classes == 3
    assert 'num_classes' not in cfg.val_dataloader.dataset.datasets[1]
