"""--resume picks a checkpoint that loads, never overwrites, and refuses a
run whose settings changed."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import hashnet_mm  # noqa: F401
from hashnet_mm.utils import resume
from hashnet_mm.utils.resume import (ResumeError, changed_settings,
                                     check_fresh_work_dir,
                                     find_resume_checkpoint, flat_settings,
                                     saved_checkpoints)

CONFIG = """
model = dict(type='ImageClassifier', head=dict(type='HashHead', num_bits=16,
             in_channels=8), backbone=dict(type='ResNet', depth=18,
             init_cfg=dict(type='Pretrained', checkpoint='a.pth')))
train_cfg = dict(by_epoch=False, max_iters=10)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
param_scheduler = [dict(type='StepLR', step_size=5, end=10)]
custom_hooks = [dict(type='ContinuationHook', gamma=0.1)]
train_dataloader = dict(batch_size=8, dataset=dict(data_root='data/a'))
work_dir = 'work_dirs/a'
"""


def write_checkpoint(path, meta=None):
    torch.save(
        dict(state_dict={'w': torch.zeros(1)}, meta=meta or {}), str(path))
    return str(path)


def test_checkpoints_newest_first(tmp_path):
    for name in ('iter_2.pth', 'iter_10.pth', 'iter_9.pth', 'best.pth',
                 'epoch_3.pth'):
        write_checkpoint(tmp_path / name)
    names = [osp.basename(p) for p in saved_checkpoints(str(tmp_path))]
    assert names == ['iter_10.pth', 'iter_9.pth', 'epoch_3.pth', 'iter_2.pth']


def test_last_checkpoint_is_used_when_it_loads(tmp_path):
    write_checkpoint(tmp_path / 'iter_10.pth')
    named = write_checkpoint(tmp_path / 'iter_5.pth')
    (tmp_path / 'last_checkpoint').write_text(named)
    assert find_resume_checkpoint(str(tmp_path)) == named


def test_without_last_checkpoint_the_newest_that_loads(tmp_path):
    write_checkpoint(tmp_path / 'iter_5.pth')
    ten = write_checkpoint(tmp_path / 'iter_10.pth')
    assert find_resume_checkpoint(str(tmp_path)) == ten
    (tmp_path / 'iter_15.pth').write_bytes(b'cut off')  # killed mid-write
    assert find_resume_checkpoint(str(tmp_path)) == ten


def test_empty_or_stale_last_checkpoint_falls_back(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(resume, 'print_log',
                        lambda message, *a, **k: logged.append(message))
    five = write_checkpoint(tmp_path / 'iter_5.pth')
    (tmp_path / 'last_checkpoint').write_text('')
    assert find_resume_checkpoint(str(tmp_path)) == five
    assert 'last_checkpoint is empty' in logged.pop()
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_99.pth'))
    assert find_resume_checkpoint(str(tmp_path)) == five
    assert 'iter_99.pth not found' in logged.pop()


def test_nothing_loads_is_an_error(tmp_path):
    (tmp_path / 'iter_5.pth').write_bytes(b'junk')
    with pytest.raises(
            ResumeError,
            match=r'no checkpoint .* can be resumed '
            r'from:\n  .*iter_5.pth: cannot read'):
        find_resume_checkpoint(str(tmp_path))
    (tmp_path / 'iter_5.pth').unlink()
    (tmp_path / 'last_checkpoint').write_text('')
    with pytest.raises(ResumeError, match='last_checkpoint is empty'):
        find_resume_checkpoint(str(tmp_path))


def test_weights_only_file_is_not_resumable(tmp_path):
    torch.save({'w': torch.zeros(1)}, str(tmp_path / 'iter_3.pth'))
    with pytest.raises(ResumeError, match='holds no training state'):
        find_resume_checkpoint(str(tmp_path))


def test_empty_work_dir_starts_fresh(tmp_path):
    assert find_resume_checkpoint(str(tmp_path / 'new')) is None
    check_fresh_work_dir(str(tmp_path / 'new'))
    check_fresh_work_dir(str(tmp_path))


def test_fresh_start_never_overwrites(tmp_path):
    write_checkpoint(tmp_path / 'iter_10.pth')
    with pytest.raises(
            ResumeError,
            match=r'already holds checkpoints '
            r'\(iter_10.pth\); a fresh run would overwrite'):
        check_fresh_work_dir(str(tmp_path))


def test_unchanged_settings_and_free_ones():
    cfg = Config.fromstring(CONFIG, '.py')
    assert changed_settings(cfg.pretty_text, cfg) == []
    cfg.work_dir = 'elsewhere'
    cfg.train_dataloader.dataset.data_root = 'moved'
    cfg.model.backbone.init_cfg.checkpoint = 'b.pth'
    cfg.custom_hooks.append(dict(type='FiniteLossHook'))
    assert changed_settings(Config.fromstring(CONFIG, '.py').pretty_text,
                            cfg) == []


@pytest.mark.parametrize('key, value, named', [
    ('train_cfg.max_iters', 20, "train_cfg.max_iters: 10 in the checkpoint's "
     'run, 20 now'),
    ('model.head.num_bits', 32, 'model.head.num_bits: 16'),
    ('optim_wrapper.optimizer.lr', 0.2, 'optim_wrapper.optimizer.lr: 0.1'),
    ('train_dataloader.batch_size', 16, 'train_dataloader.batch_size: 8'),
])
def test_changed_settings_are_named(key, value, named):
    saved = Config.fromstring(CONFIG, '.py').pretty_text
    cfg = Config.fromstring(CONFIG, '.py')
    cfg.merge_from_dict({key: value})
    (change, ) = changed_settings(saved, cfg)
    assert change.startswith(named)


def test_hook_and_scheduler_changes_are_named():
    saved = Config.fromstring(CONFIG, '.py').pretty_text
    cfg = Config.fromstring(CONFIG, '.py')
    cfg.custom_hooks[0].gamma = 0.2
    cfg.param_scheduler[0].end = 20
    changes = changed_settings(saved, cfg)
    assert changes[0].startswith('custom_hooks[ContinuationHook].gamma: 0.1')
    assert changes[1].startswith('param_scheduler:')
    assert flat_settings(cfg.to_dict())['train_cfg.max_iters'] == 10
