"""The comparison: a tiny grid through the Runner and the shallow methods;
selection on validation, resume, refusal, table and figure."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from hashnet_mm.experiments import comparison
from hashnet_mm.experiments.compare import dataset_name, main
from hashnet_mm.experiments.comparison import (BASE_METHOD, Comparison,
                                               default_methods, method_files,
                                               method_label, select_best)
from hashnet_mm.experiments.report import figure, markdown_table, mean_std
from ..feature_data import write_feature_files
from ..test_tools.test_train_test import CONFIGS
from ..tiny_data import write_tiny_dataset

HASHNET = osp.join(
    CONFIGS, 'feature_track',
    'hashnet_mlp_efficientnetlite0-features_fashion-mnist-'
    'demo.py')


def tiny_config(folder, name='tiny', multi_label=False):
    """A feature-track HashNet config on 8-d features of 3 classes: 9
    validation queries of 60 training rows, 6 iterations, validation every
    2."""
    data = str(folder / 'features')
    write_feature_files(folder / 'features', multi_label=multi_label)
    path = folder / f'hashnet_mlp_{name}.py'
    roots = 'dict(query=dict(data_root=r), database=dict(data_root=r))'
    path.write_text(f"""
_base_ = ['{HASHNET}']
r = '{data}'
split = dict(val_queries=9, val_seed=0)
data_preprocessor = dict(num_classes=3)
model = dict(backbone=dict(in_channels=8, hidden_channels=(16, )),
             head=dict(in_channels=16))
train_dataloader = dict(batch_size=16, dataset=dict(data_root=r, **split))
val_dataloader = dict(dataset=dict(
    query=dict(data_root=r, **split), database=dict(data_root=r, **split)))
test_dataloader = dict(dataset={roots})
train_cfg = dict(max_iters=6, val_interval=2)
default_hooks = dict(logger=dict(interval=2))
""")
    return str(path)


def test_method_files_and_labels():
    files = method_files()
    assert {'hashnet-w', 'hashnet-c', 'dhn', 'dpsh', 'dnnh', 'cnnh'} <= \
        set(files)
    labels = {name: method_label(name) for name in files}
    assert labels['hashnet-w'] == 'HashNet-W' and labels['dhn'] == 'DHN'
    assert labels['dpsh'] == 'DPSH' and labels['dnnh'] == 'DNNH'
    assert method_label(BASE_METHOD) == 'HashNet'
    assert method_label('itq-cca') == 'ITQ-CCA'
    assert dataset_name(HASHNET) == 'fashion-mnist-demo'
    assert dataset_name('configs/hashnet/hashnet_resnet18cifar_1xb64_'
                        'fashionmnist-demo_32bit.py') == 'fashionmnist-demo'


def test_default_methods_are_every_method_file_that_runs_on_features(tmp_path):
    """A new file in the methods folder joins without code changes; CNNH
    (target codes keyed by image path) is left out with its reason."""
    folder = tmp_path / 'methods'
    folder.mkdir()
    for name in ('dhn.py', 'cnnh.py'):
        (folder / name).write_text(
            open(osp.join(CONFIGS, '_base_', 'methods', name)).read())
    (folder / 'newhash.py').write_text(
        '# NewHash (someone, 2030): DPSH with another weight.\n'
        "method_head = dict(type='LinearHashHead', loss=dict(_delete_=True, "
        "type='DPSHLoss', quantization_weight=0.5))\n")
    methods, skipped = default_methods(HASHNET, str(folder))
    assert methods[:3] == ['hashnet', 'dhn', 'newhash']
    assert methods[3:] == list(comparison.SHALLOW_METHODS)
    assert list(skipped) == ['cnnh'] and 'image path' in skipped['cnnh']
    cfg = comparison.method_config(HASHNET, 'newhash',
                                   method_files(str(folder)))
    assert cfg.model.head.type == 'LinearHashHead'
    assert cfg.model.head.loss.quantization_weight == 0.5
    assert cfg.custom_hooks[0].type == 'ContinuationHook'  # no method_hooks
    dhn = comparison.method_config(HASHNET, 'dhn', method_files())
    assert dhn.custom_hooks == [] and dhn.model.head.loss.type == 'DHNLoss'
    assert comparison.method_label('newhash', str(folder / 'newhash.py')) \
        == 'NewHash'


@pytest.mark.parametrize('multi_label', [False, True])
def test_multi_label_of_an_image_config_read_from_its_training_list(
        tmp_path, multi_label):
    labels = np.eye(3, dtype=np.int64)[[0, 1, 2, 0, 1]]
    if multi_label:  # one image of two classes is enough
        labels[4] = [1, 1, 0]
    write_tiny_dataset(tmp_path, {'train': labels}, size=8)
    config = tmp_path / 'images.py'
    config.write_text(
        'train_dataloader = dict(dataset=dict(type="HashListDataset", '
        f'data_root={str(tmp_path)!r}, ann_file="train.txt", pipeline=[]))\n')
    assert comparison.is_multi_label(str(config)) is multi_label


@pytest.mark.parametrize('multi_label', [False, True])
def test_method_files_get_what_they_leave_to_dataset_configs(
        tmp_path, multi_label):
    """As configs/<method>/*.py do: num_classes for losses that take it,
    multi_label from the training labels, the file's paramwise_cfg."""
    config = tiny_config(tmp_path, multi_label=multi_label)
    folder = tmp_path / 'methods'
    folder.mkdir()
    (folder / 'classifier.py').write_text(
        '# Classifier: a loss with classes.\n'
        "method_head = dict(type='LinearHashHead', loss=dict(_delete_=True, "
        "type='CrossEntropyLoss', use_sigmoid=False))\n"
        "method_paramwise_cfg = dict(custom_keys=dict(_delete_=True, "
        "head=dict(lr_mult=3.0)))\n")
    cfg = comparison.method_config(config, 'classifier',
                                   method_files(str(folder)))
    assert cfg.optim_wrapper.paramwise_cfg == dict(
        custom_keys=dict(head=dict(lr_mult=3.0)))
    assert 'num_classes' not in cfg.model.head.loss
    assert comparison.is_multi_label(config) is multi_label
    files = method_files()
    for name in ('csq', 'greedyhash', 'orthohash', 'dpn'):
        if name not in files:
            continue
        cfg = comparison.method_config(config, name, files)
        assert cfg.model.head.loss.num_classes == 3
        if name == 'greedyhash':
            assert cfg.model.head.loss.multi_label is multi_label
    # Every method's head builds with what the engine gives its loss (CNNH
    # needs its stage-1 target file: not on the feature track).
    for name in set(files) - {'cnnh'}:
        cfg = comparison.method_config(config, name, files)
        cfg.model.head.num_bits = 8  # DNNH: a slice of the 16 inputs a bit
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            head = MODELS.build(cfg.model.head)
        assert head.num_bits == 8, name


def test_select_best_reads_only_validation_scores():
    """The test score would choose iteration 2; validation chooses 4 (and
    the earlier of equal scores)."""
    history = [
        dict(iter=2, **{'retrieval/mAP@all': 0.5}),
        dict(iter=4, **{'retrieval/mAP@all': 0.7}),
        dict(iter=6, **{'retrieval/mAP@all': 0.7}),
    ]
    test_scores = {2: 0.9, 4: 0.6, 6: 0.65}
    chosen = select_best(history)
    assert chosen['iter'] == 4
    assert max(test_scores, key=test_scores.get) != chosen['iter']
    with pytest.raises(ValueError, match='no validation scores'):
        select_best([])


def test_shallow_selection_uses_validation_then_tests_once(monkeypatch):
    """Validation (the validation queries against the validation
    database) prefers the second option set; only its codes are tested."""
    rng = np.random.default_rng(0)
    sizes = dict(train=30, val_query=10, val_database=20, query=5, database=25)
    parts = {
        part: (rng.normal(size=(n, 6)).astype(np.float32),
               np.eye(3, dtype=np.uint8)[rng.integers(3, size=n)])
        for part, n in sizes.items()
    }
    calls = []

    def fake_scorer(evaluator):

        def score(query_codes, query_labels, database_codes, database_labels):
            assert len(query_codes) == len(query_labels)
            assert len(database_codes) == len(database_labels)
            calls.append((len(query_codes), len(database_codes)))
            # Validation: 0.2 then 0.8; test: 0.1.
            return {'mAP@all': [0.2, 0.8, 0.1][len(calls) - 1]}

        return score

    monkeypatch.setattr(comparison, 'scorer', fake_scorer)
    result = comparison.fit_and_test_shallow(
        'itq', 4, 0, parts,
        [dict(l2_normalize=False),
         dict(l2_normalize=True)], {})
    assert result['selected']['options'] == dict(l2_normalize=True)
    assert result['selected']['validation'] == {'mAP@all': 0.8}
    assert result['test'] == {'mAP@all': 0.1}
    assert calls == [(10, 20), (10, 20), (5, 25)]


@pytest.mark.slow
def test_tiny_grid_resumes_refuses_and_reports(tmp_path, monkeypatch):
    config = tiny_config(tmp_path)
    work_dir = str(tmp_path / 'grid')
    out = str(tmp_path / 'report' / 'table')
    args = [
        config, '--methods', 'hashnet', 'dhn', 'lsh', 'itq', '--bits', '8',
        '--seeds', '0', '1', '--work-dir', work_dir, '--out', out
    ]
    table = main(args)
    results = json.load(open(out + '.json'))['results']
    assert len(results) == 8
    for r in results:
        assert 0 <= r['test']['mAP@all'] <= 1
        validation = r['selected']['validation']
        if r['kind'] == 'deep':
            # Three validations (iterations 2, 4, 6) of the 9 validation
            # queries; the one tested is the best of them, its checkpoint
            # the only one kept.
            history = r['validation_history']
            assert [h['iter'] for h in history] == [2, 4, 6]
            assert all(h['queries_in_mAP@all'] == 9 for h in history)
            best = max(history, key=lambda h: h['mAP@all'])
            assert r['selected']['iter'] == best['iter']
            assert validation['mAP@all'] == best['mAP@all']
            folder = osp.join(work_dir, 'tiny', r['method'],
                              f'8bit_seed{r["seed"]}')
            assert sorted(f for f in os.listdir(folder)
                          if f.startswith('iter_')) == \
                [f'iter_{best["iter"]}.pth']
            assert r['test']['queries_in_mAP@all'] == 12  # test queries
        else:
            assert validation['queries_in_mAP@all'] == 9
    lines = table.splitlines()
    assert lines[0] == '**tiny**, test mAP@all (mean ± std over seeds)'
    assert lines[2] == '| method | 8 bits |'
    rows = {line.split(' | ')[0][2:]: line for line in lines[4:8]}
    assert list(rows) == ['HashNet', 'DHN', 'LSH', 'ITQ']
    values = [r['test']['mAP@all'] for r in results if r['method'] == 'itq']
    assert rows['ITQ'] == f'| ITQ | {mean_std(values)} |'
    assert osp.getsize(out + '.png') > 1000
    assert json.load(open(out + '.json'))['machine']
    report = open(out + '.md').read()
    assert report.endswith(table) and 'Machine:' in report

    # Finished runs are read back: nothing runs again.
    monkeypatch.setattr(comparison, 'execute',
                        lambda *a: pytest.fail('a finished run was run again'))
    assert main(args) == table

    # A run folder of other settings is refused before anything runs.
    with pytest.raises(
            ValueError,
            match=r'grid/tiny/hashnet/8bit_seed0 '
            'holds a run of other settings'):
        main(args + ['--max-iters', '4'])


def test_held_out_validation_database_reaches_deep_and_shallow_runs(tmp_path):
    """``--val-database``: every deep config and the shallow split hold
    that many training rows out as the validation database."""
    from mmengine.config import Config
    config = tiny_config(tmp_path)
    work_dir = str(tmp_path / 'grid')
    grid = Comparison({'tiny': config}, ['hashnet', 'lsh'], [8], [0],
                      work_dir,
                      val_database=15)
    deep, shallow = (grid.request(run) for run in grid.runs())
    cfg = Config.fromstring(deep['config'], '.py')
    val = cfg.val_dataloader.dataset
    assert (cfg.train_dataloader.dataset.val_database, val.query.val_database,
            val.database.val_database) == (15, 15, 15)
    assert val.database.subset == 'val_database'
    assert shallow['val_split'] == dict(
        val_queries=9, val_seed=0, val_database=15)
    parts = comparison.shallow_split(shallow['feature_dir'],
                                     shallow['val_split'])
    assert [len(parts[p][0])
            for p in ('train', 'val_query', 'val_database')] == [36, 9, 15]
    # The default: the configs' own validation database (the trained-on
    # rest), as the requests of runs made before the option.
    plain = Comparison({'tiny': config}, ['lsh'], [8], [0], work_dir)
    assert plain.request(plain.runs()[0])['val_split']['val_database'] == 0
    out = str(tmp_path / 'report')
    main([
        config, '--methods', 'lsh', '--bits', '8', '--seeds', '0',
        '--val-database', '15', '--work-dir', work_dir, '--out', out
    ])
    assert '15 other training images held out of training' in open(
        out + '.md').read()
    assert json.load(open(out + '.json'))['val_database'] == 15


@pytest.mark.slow
def test_unfinished_runs_are_redone_in_worker_processes(tmp_path):
    config = tiny_config(tmp_path)
    work_dir = str(tmp_path / 'grid')
    grid = Comparison({'tiny': config}, ['hashnet', 'lsh'], [8], [0], work_dir)
    first = grid.run(jobs=1, logger=lambda *a: None)
    # An interrupted run: request written, no result, a stale file.
    folder = osp.join(work_dir, 'tiny', 'hashnet', '8bit_seed0')
    os.remove(osp.join(folder, comparison.RESULT_FILE))
    open(osp.join(folder, 'iter_999.pth'), 'w').close()
    again = grid.run(jobs=2, logger=lambda *a: None)
    assert not osp.exists(osp.join(folder, 'iter_999.pth'))
    # The same seed gives the same result in a worker process.
    assert again[0]['test'] == first[0]['test']
    assert again[1] == first[1]


def test_mean_std_and_table_cells():
    assert mean_std([]) == 'n/a' and mean_std([0.5]) == '0.5000'
    std = np.std([0.5, 0.7], ddof=1)
    assert mean_std([0.5, 0.7]) == f'0.6000 ± {std:.4f}'
    results = [
        dict(dataset='d', method='lsh', bits=k, seed=s, test={'mAP@all': v})
        for k, s, v in ((16, 0, 0.1), (16, 1, 0.3), (32, 0, 0.5))
    ]
    assert markdown_table(results).splitlines()[4] == \
        f'| LSH | {mean_std([0.1, 0.3])} | 0.5000 |'


def test_figure_spans_the_seeds(tmp_path):
    """Bars from the seeds' min to max around the mean; equal seeds (whose
    float mean can exceed them) give empty bars, not an error."""
    values = [0.1 + 0.2, 0.3, 0.30000000000000004]
    results = [
        dict(dataset='d', method='itq', bits=16, seed=s, test={'mAP@all': v})
        for s, v in enumerate(values)
    ]
    results += [
        dict(
            dataset='d',
            method='hashnet',
            bits=k,
            seed=0,
            test={'mAP@all': 0.5}) for k in (16, 32)
    ]
    summary = figure(results, str(tmp_path / 'f.png'))
    assert summary['values']['d'] == {
        'ITQ': {
            '16': values
        },
        'HashNet': {
            '16': [0.5],
            '32': [0.5]
        }
    }
    assert osp.getsize(tmp_path / 'f.png') > 1000
    assert json.load(open(tmp_path / 'f.json')) == summary


def test_unknown_and_unsupported_methods_are_named(tmp_path):
    config = tiny_config(tmp_path)
    with pytest.raises(ValueError, match="unknown methods \\['xyz'\\]"):
        Comparison({'tiny': config}, ['xyz'], [8], [0], str(tmp_path))
    with pytest.raises(ValueError, match='cnnh: its stage-1 target codes'):
        Comparison({'tiny': config}, ['cnnh'], [8], [0], str(tmp_path))
