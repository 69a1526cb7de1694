"""mmpretrain's tool arguments on tools/train.py and tools/test.py, and
--data-root for every dataset of a config."""
import glob
import json
import os.path as osp
import pickle

import pytest

from ..tool_modules import load_tool
from .test_encode_search import run_in_process
from .test_train_test import write_config

train_tool = load_tool('train.py')


def training_config(*args):
    return train_tool.training_config(train_tool.parse_args(list(args)))


def test_train_arguments(tmp_path, tiny_single_label):
    config = write_config(
        str(tmp_path / 'cfg.py'),
        tiny_single_label,
        2,
        extra='train_dataloader.update(num_workers=2, '
        'persistent_workers=True, pin_memory=True)')
    work = ['--work-dir', str(tmp_path / 'work')]
    cfg = training_config(config, *work)
    assert cfg.val_dataloader is not None
    assert not cfg.auto_scale_lr.enable
    assert cfg.train_dataloader.pin_memory
    assert [h['type'] for h in cfg.custom_hooks].count('FiniteLossHook') == 1
    assert cfg.default_hooks.logger.type == 'RetrievalLoggerHook'
    assert cfg.default_hooks.checkpoint.save_best == 'auto'

    cfg = training_config(config, *work, '--no-validate', '--auto-scale-lr',
                          '--no-pin-memory', '--no-persistent-workers')
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert cfg.val_evaluator is None
    assert cfg.auto_scale_lr == dict(base_batch_size=64, enable=True)
    for loader in ('train_dataloader', 'test_dataloader'):
        assert cfg[loader].pin_memory is False
        assert cfg[loader].persistent_workers is False

    no_base = write_config(
        str(tmp_path / 'nobase.py'),
        tiny_single_label,
        2,
        extra='auto_scale_lr = None')
    with pytest.raises(
            ValueError, match='nobase.py sets no auto_scale_lr.'
            'base_batch_size'):
        training_config(no_base, *work, '--auto-scale-lr')


def test_data_root_reaches_every_dataset(tmp_path, tiny_single_label):
    config = write_config(str(tmp_path / 'cfg.py'), tiny_single_label, 2)
    cfg = training_config(config, '--work-dir', str(tmp_path / 'w'),
                          '--data-root', '/elsewhere')
    test = cfg.test_dataloader.dataset
    roots = [
        cfg.train_dataloader.dataset.data_root, test.query.data_root,
        test.database.data_root, cfg.val_dataloader.dataset.query.data_root
    ]
    assert roots == ['/elsewhere'] * 4
    assert 'data_root' not in test  # the wrapper itself has none


@pytest.mark.slow
def test_test_outputs_progress_and_log(tmp_path, model_files,
                                       capsys):  # noqa: F811,E501
    config, checkpoint, _ = model_files
    out = tmp_path / 'metrics.json'
    work = tmp_path / 'work'
    run_in_process('test.py', config, checkpoint, '--work-dir', str(work),
                   '--out', str(out), '--out-item', 'metrics')
    printed = capsys.readouterr().out
    assert '3/3' in printed  # the progress bar over 40 images, 16 a batch
    summary = json.loads(printed[printed.rindex('{'):])
    with open(out) as f:
        metrics = json.load(f)
    assert summary['retrieval/mAP@all'] == round(metrics['retrieval/mAP@all'],
                                                 4)
    assert isinstance(metrics['retrieval/PR_precision'], list)
    (log, ) = glob.glob(str(work / '*' / '*.log'))
    with open(log) as f:
        final = [line for line in f if 'retrieval/mAP@all' in line][-1]
    assert 'PR_precision' not in final  # curves: in the JSON only
    (results, ) = glob.glob(str(work / '*' / '*.json'))
    with open(results) as f:
        assert 'retrieval/PR_precision' in json.load(f)

    predictions = tmp_path / 'pred.pkl'
    run_in_process('test.py', config, checkpoint, '--work-dir', str(work),
                   '--out', str(predictions), '--amp')
    with open(predictions, 'rb') as f:
        samples = pickle.load(f)
    assert len(samples) == 40
    assert samples[0]['hash_code'].shape == (16, )
    assert osp.getsize(predictions) > 0
