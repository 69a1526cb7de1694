"""The grid engine (hashnet_mm.experiments.grid) and its command line
tools/analysis/run_grid.py: schedule compression, the table, and a real
(tiny) CNNH run through stage 1, training, validation and testing."""
import json
import os
import os.path as osp
import runpy
import statistics
import sys

import pytest
from mmengine.config import Config

from hashnet_mm.engine.hooks import ContinuationHook
from hashnet_mm.experiments import grid
from hashnet_mm.utils.cli import override_config
from ..tool_modules import load_tool
from .test_train_test import CONFIGS, write_config

run_grid = load_tool('analysis/run_grid.py')


def schedule_config(**changes):
    cfg = Config(
        dict(
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=2000),
            param_scheduler=[
                dict(type='LinearLR', by_epoch=False, begin=0, end=100),
                dict(type='StepLR', by_epoch=False, step_size=500, gamma=0.5),
                dict(
                    type='MultiStepLR', by_epoch=False, milestones=[600,
                                                                    1500]),
            ],
            custom_hooks=[dict(type='ContinuationHook', gamma=0.02,
                               step=100)]))
    cfg.merge_from_dict(changes)
    return cfg


def test_compressed_continuation_reaches_the_same_betas():
    original = schedule_config()
    hook = original.custom_hooks[0]
    cfg = grid.compress_schedule(schedule_config(), 400)
    assert cfg.train_cfg.max_iters == 400
    assert cfg.custom_hooks[0] == dict(
        type='ContinuationHook', gamma=0.1, step=20)
    before = ContinuationHook(**{k: v for k, v in hook.items() if k != 'type'})
    after = ContinuationHook(**{
        k: v
        for k, v in cfg.custom_hooks[0].items() if k != 'type'
    })
    for new in range(0, 400, 20):
        assert after.beta_at(new) == pytest.approx(before.beta_at(new * 5))
    assert after.beta_at(399) == pytest.approx(before.beta_at(1999))


def test_compressed_lr_schedulers_and_stages():
    cfg = grid.compress_schedule(
        schedule_config(custom_hooks=[
            dict(
                type='ContinuationHook',
                schedule='stages',
                stages=[(0, 1.0), (1000, 4.0)])
        ]), 200)
    linear, step, multistep = cfg.param_scheduler
    assert (linear.begin, linear.end) == (0, 10)
    assert step.step_size == 50 and multistep.milestones == [60, 150]
    assert cfg.custom_hooks[0].stages == [(0, 1.0), (100, 4.0)]


def test_budget_continuation_is_left_to_fit_itself():
    hook = dict(type='ContinuationHook', schedule='budget', final_beta=8.0)
    cfg = grid.compress_schedule(schedule_config(custom_hooks=[hook]), 300)
    assert cfg.custom_hooks[0] == hook
    budget = ContinuationHook(schedule='budget', final_beta=8.0)
    assert budget.beta_at(299, max_iters=300) == pytest.approx(8.0)
    # The released shape at 2,000 iterations ends lower, compressed or not.
    released = ContinuationHook(gamma=0.02, step=100)
    assert released.beta_at(1999) == pytest.approx(41**0.5)


def test_compressing_an_epoch_schedule_is_an_error():
    cfg = schedule_config()
    cfg.param_scheduler = dict(type='StepLR', by_epoch=True, step_size=3)
    with pytest.raises(ValueError, match='iteration-based'):
        grid.compress_schedule(cfg, 100)


def test_data_root_moves_every_dataset_and_cnnh_targets():
    """--data-root of run_grid and the other tools (override_config)."""
    cfg = override_config(
        Config.fromfile(
            osp.join(CONFIGS, 'cnnh',
                     'cnnh_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py')),
        data_root='data/small_mosaic/')
    roots = {cfg.train_dataloader.dataset.data_root} | {
        cfg[loader].dataset[split].data_root
        for loader in ('val_dataloader', 'test_dataloader')
        for split in ('query', 'database')
    }
    assert roots == {'data/small_mosaic/'}
    assert cfg.model.head.targets_file == \
        'data/small_mosaic/cnnh_targets_{num_bits}bit.npz'
    hashnet = override_config(
        Config.fromfile(
            osp.join(
                CONFIGS,
                'hashnet/hashnet_resnet18cifar_1xb64_fashionmnist_64bit.py')),
        data_root='/d/')
    assert 'targets_file' not in hashnet.model.head
    assert hashnet.test_dataloader.dataset.query.data_root == '/d/'


@pytest.mark.parametrize('path,method,run', [
    ('configs/hashnet_w/hashnet-w_resnet18cifar_1xb64_fashionmnist_64bit.py',
     'HashNet-W', 'hashnet-w_resnet18cifar_1xb64_fashionmnist'),
    ('configs/dhn/dhn_resnet50_1xb64_coco_64bit.py', 'DHN',
     'dhn_resnet50_1xb64_coco'),
    ('configs/cnnh/cnnh_resnet18cifar_1xb64_fashionmnist-demo_32bit.py',
     'CNNH', 'cnnh_resnet18cifar_1xb64_fashionmnist-demo'),
    ('configs/hashnet/hashnet_resnet50_1xb64_coco_64bit.py', 'HashNet',
     'hashnet_resnet50_1xb64_coco'),
    ('configs/hashnet_resnet50_coco_64bit.py', 'HashNet',
     'hashnet_resnet50_coco'),
    ('configs/hashnet/hashnet_efficientnetlite0_1xb64_coco_64bit.py',
     'HashNet', 'hashnet_efficientnetlite0_1xb64_coco'),
    ('mine_16bit.py', 'mine', 'mine'),
    ('mine.py', 'mine', 'mine'),
])
def test_names(path, method, run):
    """Names with and without a bit length: one row, one folder a
    method."""
    assert grid.method_name(path) == method
    assert grid.run_name(path) == run


@pytest.mark.parametrize('config', [
    'dhn/dhn_resnet18cifar_1xb64_fashionmnist_64bit.py',
    'cnnh/cnnh_resnet18cifar_1xb64_fashionmnist_64bit.py',
    'hashnet/hashnet_resnet18cifar_1xb64_fashionmnist_64bit.py',
])
def test_bits_set_the_length_of_every_config(tmp_path, monkeypatch, config):
    """``--bits K``: the run's config is K bits whatever the file's length;
    a CNNH run gets its K-bit targets from stage 1 on that config."""
    calls = []
    monkeypatch.setattr(grid, 'run_tool',
                        lambda args, log: calls.append(args) or 1.5)
    path = grid.run_config(osp.join(CONFIGS, config), 16, 0, str(tmp_path))
    cfg = Config.fromfile(path)
    assert cfg.model.head.num_bits == 16
    assert grid.ensure_cnnh_targets(
        path,
        str(tmp_path)) == (1.5 if 'targets_file' in cfg.model.head else 0.0)
    if calls:
        assert calls == [['cnnh_targets.py', path]]
        assert cfg.model.head.targets_file.format(
            num_bits=16).endswith('cnnh_targets_16bit.npz')


def finished_run(work_dir, config, **options):
    """A run folder as run_one leaves it, without training: the run's
    config written, a result saved."""
    run_dir = osp.join(work_dir, grid.run_name(config), '16bit_seed0')
    path = grid.run_config(config, 16, 0, run_dir, **options)
    result = dict(
        config=config,
        bits=16,
        seed=0,
        metrics={'m': 0.5},
        max_iters=Config.fromfile(path).train_cfg.max_iters)
    with open(osp.join(run_dir, grid.RESULT_FILE), 'w') as f:
        json.dump(result, f)
    return run_dir, result


DEMO = osp.join(
    CONFIGS, 'hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py')


@pytest.mark.parametrize('changed', [
    dict(max_iters=400),
    dict(cfg_options={'model.head.loss.alpha': 0.5}),
    dict(data_root='data/elsewhere/'),
])
def test_a_finished_run_of_other_settings_is_refused(tmp_path, changed):
    """Read back only when the folder's run had the asked settings: a
    changed --max-iters, --cfg-options or --data-root names the folder."""
    work_dir = str(tmp_path)
    asked = dict(max_iters=300)
    run_dir, result = finished_run(work_dir, DEMO, **asked)
    assert grid.run_one(DEMO, 16, 0, work_dir, **asked) == result
    with pytest.raises(ValueError, match=f'{run_dir} holds a run of other'):
        grid.run_one(DEMO, 16, 0, work_dir, **{**asked, **changed})
    # The same check before an interrupted run would be resumed.
    os.remove(osp.join(run_dir, grid.RESULT_FILE))
    with pytest.raises(ValueError, match='grid_config.py differs'):
        grid.run_config(DEMO, 16, 0, run_dir, **{**asked, **changed})


def test_a_folder_from_before_the_request_file_is_checked_by_iterations(
        tmp_path):
    work_dir = str(tmp_path)
    run_dir, result = finished_run(work_dir, DEMO, max_iters=300)
    os.remove(osp.join(run_dir, grid.REQUEST_FILE))
    assert grid.run_one(DEMO, 16, 0, work_dir, max_iters=300) == result
    with pytest.raises(ValueError, match='ran 300 iterations, not 4000'):
        grid.run_one(DEMO, 16, 0, work_dir, max_iters=4000)


def fake_result(method, bits, seed, value):
    return dict(
        method=method,
        bits=bits,
        seed=seed,
        metrics={
            'retrieval/mAP@all': value,
            'retrieval/tie_aware_mAP@all': value / 2,
            'retrieval/P@H<=2': 1 - value,
            'retrieval/P@100': 0.5
        })


def test_table_means_and_deviations_over_seeds():
    results = [
        fake_result('DHN', 16, 0, 0.5),
        fake_result('DHN', 16, 1, 0.7),
        fake_result('HashNet', 16, 0, 0.9),
        fake_result('HashNet', 32, 0, 0.8)
    ]
    lines = grid.markdown_table(results).splitlines()
    # Validation first (none in these results), then the test metrics.
    assert lines[0] == (
        '| method | val mAP 16 bits | val mAP 32 bits | mAP@all 16 bits | '
        'mAP@all 32 bits | tie_aware_mAP@all 16'
        ' bits | tie_aware_mAP@all 32 bits | P@H<=2 16 bits | P@H<=2 32 bits'
        ' |')
    std = statistics.stdev([0.5, 0.7])
    assert lines[2] == (
        f'| DHN | n/a | n/a | 0.6000 ± {std:.4f} | n/a | 0.3000 ± '
        f'{std / 2:.4f} | n/a | 0.4000 ± {std:.4f} | n/a |')
    assert lines[3] == ('| HashNet | n/a | n/a | 0.9000 | 0.8000 | 0.4500 | '
                        '0.4000 | 0.1000 | 0.2000 |')


def test_latest_saved_test_results_are_read(tmp_path):
    for stamp, value in (('20260101_000000', 0.1), ('20260102_000000', 0.2)):
        os.makedirs(tmp_path / stamp / 'vis_data')
        with open(tmp_path / stamp / f'{stamp}.json', 'w') as f:
            json.dump({'retrieval/mAP@all': value}, f)
        with open(tmp_path / stamp / 'vis_data' / 'scalars.json', 'w') as f:
            f.write('{}')
    assert grid.saved_test_metrics(str(tmp_path)) == {'retrieval/mAP@all': 0.2}
    with pytest.raises(FileNotFoundError, match='no saved test results'):
        grid.saved_test_metrics(str(tmp_path / 'none'))


def test_failed_tool_names_its_log(tmp_path):
    log = str(tmp_path / 'x.log')
    with pytest.raises(RuntimeError, match='x.log'):
        grid.run_tool(['no_such_tool.py'], log)
    assert 'no_such_tool.py' in open(log).read()


def run_tool_in_process(args, log_path):
    """grid.run_tool without a new interpreter (saves the imports)."""
    argv = sys.argv
    sys.argv = [args[0], *args[1:]]
    try:
        runpy.run_path(osp.join(grid.TOOLS, args[0]), run_name='__main__')
    finally:
        sys.argv = argv
    return 0.0


@pytest.mark.slow
def test_grid_runs_cnnh_stages_and_resumes(tmp_path, tiny_single_label,
                                           monkeypatch):
    monkeypatch.setattr(grid, 'run_tool', run_tool_in_process)
    base = write_config(str(tmp_path / 'tiny.py'), tiny_single_label, 20)
    config = tmp_path / 'cnnh_tiny_16bit.py'
    config.write_text(f"""
_base_ = ['{base}', '{CONFIGS}/_base_/methods/cnnh.py']
model = dict(head=dict(**_base_.method_head,
                       targets_file='{tmp_path}/targets_{{num_bits}}.npz'))
custom_hooks = _base_.method_hooks
""")
    work_dir = str(tmp_path / 'grid')
    args = [
        str(config), '--bits', '8', '--max-iters', '2', '--work-dir', work_dir,
        '--out',
        str(tmp_path / 'table.md')
    ]
    table = run_grid.main(args)
    run_dir = osp.join(work_dir, 'cnnh_tiny', '8bit_seed0')
    with open(osp.join(run_dir, 'grid_result.json')) as f:
        result = json.load(f)
    assert result['method'] == 'CNNH' and result['max_iters'] == 2
    # The selected (last) checkpoint validated beside its test; this
    # config validates on its test queries: warned about, recorded.
    assert result['selected']['checkpoint'] == 'iter_2.pth'
    assert 0 <= result['validation']['retrieval/mAP@all'] <= 1
    assert 'Selection on the test set' in result['selection_warnings'][0]
    val_cfg = Config.fromfile(osp.join(run_dir, grid.VALIDATION_CONFIG))
    assert val_cfg.test_dataloader.dataset.query.ann_file == 'query.txt'
    assert val_cfg.model.head.num_bits == 8
    assert osp.isfile(tmp_path / 'targets_8.npz')
    run_cfg = Config.fromfile(osp.join(run_dir, 'config.py'))
    assert run_cfg.model.head.num_bits == 8
    assert run_cfg.model.head.objective_interval == 1
    assert run_cfg.val_cfg is None  # tested once, by tools/test.py
    header = table.splitlines()[0].split(' | ')
    assert header[1:3] == ['val mAP@all 8 bits', 'mAP@all 8 bits']
    row = table.splitlines()[2].split(' | ')
    assert row[0] == '| CNNH' and 0 <= float(row[1]) <= 1
    assert float(row[1]) == pytest.approx(
        result['validation']['retrieval/mAP@all'], abs=5e-5)
    assert 0 <= float(row[2]) <= 1
    assert (tmp_path / 'table.md').read_text() == table
    # A finished run is read back, not run again.
    os.remove(osp.join(run_dir, 'last_checkpoint'))
    assert run_grid.main(args) == table
    # One interrupted after its checkpoint resumes from it (a fresh start
    # would refuse to overwrite iter_2.pth).
    os.remove(osp.join(run_dir, 'grid_result.json'))
    assert run_grid.main(args) == table
