"""The grid engine's validation (hashnet_mm.experiments.grid): the run's
validation config, the selection check, the result's validation beside its
test, the choice on validation. The tools are stood in for (no training;
tests/test_tools/test_run_grid.py runs them for real)."""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from hashnet_mm.experiments import grid
from ..test_tools.test_train_test import CONFIGS

DEMO = osp.join(CONFIGS, 'hashnet',
                'hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py')


def fake_tools(monkeypatch, calls):
    """train.py leaves a checkpoint; test.py saves metrics that tell the
    validation (queries from train.txt) from the test (query.txt)."""

    def run_tool(args, log_path):
        calls.append(args)
        if args[0] == 'train.py':
            return 2.0
        config, _, _, folder = args[1:]
        query = Config.fromfile(config).test_dataloader.dataset.query
        value = 0.25 if query.ann_file == 'train.txt' else 0.75
        stamp = osp.join(folder, '20260101_000000')
        os.makedirs(stamp, exist_ok=True)
        with open(osp.join(stamp, '20260101_000000.json'), 'w') as f:
            json.dump({'retrieval/mAP@all': value, 'time': 'x'}, f)
        return 1.0

    monkeypatch.setattr(grid, 'run_tool', run_tool)
    monkeypatch.setattr(grid, 'find_resume_checkpoint',
                        lambda run_dir: osp.join(run_dir, 'iter_5.pth'))


def test_validation_config_tests_on_the_held_out_queries(tmp_path):
    path = grid.run_config(DEMO, 16, 0, str(tmp_path), max_iters=5)
    run_cfg = Config.fromfile(path)
    assert run_cfg.val_dataloader is None  # no validation loop in training
    val_cfg = Config.fromfile(str(tmp_path / grid.VALIDATION_CONFIG))
    query = val_cfg.test_dataloader.dataset.query
    assert (query.ann_file, query.subset) == ('train.txt', 'val_query')
    assert val_cfg.test_dataloader.dataset.database.subset == 'val_database'
    assert val_cfg.model.head.num_bits == 16
    assert val_cfg.train_cfg.max_iters == 5
    assert run_cfg.test_dataloader.dataset.query.ann_file == 'query.txt'


def test_a_run_records_validation_beside_test(tmp_path, monkeypatch):
    calls = []
    fake_tools(monkeypatch, calls)
    result = grid.run_one(DEMO, 16, 0, str(tmp_path), max_iters=5)
    assert [c[0] for c in calls] == ['train.py', 'test.py', 'test.py']
    assert result['validation'] == {'retrieval/mAP@all': 0.25}
    assert result['metrics'] == {'retrieval/mAP@all': 0.75}
    assert result['selected']['checkpoint'] == 'iter_5.pth'
    assert result['selection_warnings'] == []
    assert grid.run_one(DEMO, 16, 0, str(tmp_path), max_iters=5) == result
    assert len(calls) == 3  # read back
    table = grid.markdown_table([result])
    assert table.splitlines()[2].startswith('| HashNet | 0.2500 | 0.7500 |')
    assert 'validation 0.2500, test 0.7500' in grid.best_lines([result])


def on_test_config(folder, allow=False):
    path = folder / 'hashnet_on_test_16bit.py'
    path.write_text(
        f"_base_ = ['{DEMO}']\n"
        'val_dataloader = dict(_delete_=True, **_base_.test_dataloader)\n' +
        ('allow_test_selection = True\n' if allow else ''))
    return str(path)


def test_a_config_validating_on_test_data(tmp_path, monkeypatch):
    """Warned about and recorded; refused before anything runs with
    strict (a sweep that chooses), unless allow_test_selection."""
    calls = []
    fake_tools(monkeypatch, calls)
    config = on_test_config(tmp_path)
    with pytest.raises(ValueError, match=f'{config}: Selection on the test'):
        grid.run_one(
            config, 16, 0, str(tmp_path / 'a'), strict=True, max_iters=5)
    assert calls == [] and not (tmp_path / 'a').exists()
    result = grid.run_one(config, 16, 0, str(tmp_path / 'b'), max_iters=5)
    assert 'Selection on the test set' in result['selection_warnings'][0]
    assert result['validation'] == result['metrics']
    allowed = on_test_config(tmp_path / 'b', allow=True)
    assert grid.run_one(
        allowed, 16, 0, str(tmp_path / 'c'), strict=True,
        max_iters=5)['selection_warnings'] == []


def test_a_config_without_validation_is_tested_only(tmp_path, monkeypatch):
    calls = []
    fake_tools(monkeypatch, calls)
    config = tmp_path / 'hashnet_noval_16bit.py'
    config.write_text(f"_base_ = ['{DEMO}']\nval_dataloader = None\n"
                      'val_cfg = None\nval_evaluator = None\n')
    result = grid.run_one(str(config), 16, 0, str(tmp_path), max_iters=5)
    assert [c[0] for c in calls] == ['train.py', 'test.py']
    assert result['validation'] is None and result['val_seconds'] is None
    assert grid.best_on_validation([result], 'method', 16) is None
