"""benchmarks.hashnet_sweep: what each variant trains, the table, the
choice on validation (no training)."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from benchmarks import hashnet_sweep as sweep
from hashnet_mm.experiments import grid
from hashnet_mm.utils.cli import override_config


@pytest.mark.parametrize('variant,bits,alpha,final_beta', [
    ('hashnet', 32, 10 / 32, 6.4),
    ('hashnet', 16, 10 / 16, 6.4),
    ('alpha-5/K', 64, 5 / 64, 6.4),
    ('alpha-0.5', 16, 0.5, 6.4),
    ('beta-16', 32, 10 / 32, 16.0),
])
@pytest.mark.parametrize('data', ['demo', 'mosaic'])
def test_hashnet_variants(variant, bits, alpha, final_beta, data):
    config, options = sweep.variant_run(variant, data, bits)
    cfg = override_config(Config.fromfile(config), options, None)
    assert cfg.model.head.loss.type == 'WeightedPairwiseLoss'
    assert cfg.model.head.loss.alpha == pytest.approx(alpha)
    (hook, ) = [h for h in cfg.custom_hooks if h['type'] == 'ContinuationHook']
    assert hook == dict(
        type='ContinuationHook', schedule='budget', final_beta=final_beta)


@pytest.mark.parametrize('method,loss',
                         [('dpsh', 'DPSHLoss'), ('dhn', 'DHNLoss'),
                          ('hashnet-w', 'WeightedPairwiseLoss')])
@pytest.mark.parametrize('data', ['demo', 'mosaic'])
def test_method_variants_are_their_configs(method, loss, data):
    config, options = sweep.variant_run(method, data, 32)
    assert options == {} and osp.isfile(config)
    assert Config.fromfile(config).model.head.loss.type == loss


def test_unknown_variant():
    with pytest.raises(ValueError, match='unknown variant'):
        sweep.variant_run('hashnet-x', 'demo', 32)


def test_table_rows_are_variants_and_cells_mean_and_spread():
    results = [
        dict(variant=v, bits=k, metrics={sweep.METRIC: m})
        for v, k, m in [('hashnet', 32,
                         0.7), ('hashnet', 32,
                                0.8), ('dpsh', 32, 0.5), ('hashnet', 16, 0.6)]
    ]
    table = sweep.markdown_table(results, ['hashnet', 'dpsh'], [16, 32])
    # Validation columns first (none in these results), then test.
    assert table.splitlines()[2:] == [
        '| hashnet | n/a | n/a | 0.6000 | 0.7500 ± 0.0707 |',
        '| dpsh | n/a | n/a | n/a | 0.5000 |'
    ]


def test_a_failed_run_stops_the_sweep_with_its_error(monkeypatch, capsys,
                                                     tmp_path):

    def refuse(job, args):
        raise ValueError(f'{job[0]} holds a run of other settings')

    monkeypatch.setattr(sweep, 'run', refuse)
    monkeypatch.setenv('OMP_NUM_THREADS', '1')  # main() sets it; restored
    with pytest.raises(SystemExit, match='1 of 1 runs failed') as stop:
        sweep.main([
            '--data', 'demo', '--bits', '32', '--seeds', '0', '--max-iters',
            '10', '--variants', 'hashnet', '--work-dir',
            str(tmp_path)
        ])
    assert 'only the failed ones' in str(stop.value)
    assert 'hashnet holds a run of other settings' in capsys.readouterr().err
    assert not (tmp_path / 'demo' / 'sweep.json').exists()


def scored(variant, bits, seed, val, test):
    return dict(
        variant=variant,
        bits=bits,
        seed=seed,
        validation={sweep.METRIC: val},
        metrics={sweep.METRIC: test})


def test_the_best_variant_is_chosen_on_validation_not_test():
    results = [
        scored('hashnet', 32, 0, 0.70, 0.60),
        scored('hashnet', 32, 1, 0.72, 0.62),
        scored('dpsh', 32, 0, 0.65, 0.90),  # best on test only
        scored('dpsh', 32, 1, 0.66, 0.91),
        scored('dpsh', 16, 0, 0.50, 0.40)
    ]
    assert sweep.best_variants(results, [16, 32]) == {
        16: 'dpsh',
        32: 'hashnet'
    }
    table = sweep.markdown_table(results, ['hashnet', 'dpsh'], [16, 32])
    lines = table.splitlines()
    assert lines[0] == ('| variant | val mAP@all 16 bits | val mAP@all 32 '
                        'bits | mAP@all 16 bits | mAP@all 32 bits |')
    assert lines[2] == ('| hashnet | n/a | 0.7100 ± 0.0141 | n/a | '
                        '0.6100 ± 0.0141 |')
    best = grid.best_lines(results, 'variant')
    assert '- 32 bits: hashnet (validation 0.7100 ± 0.0141, test ' \
        '0.6100 ± 0.0141)' in best
    assert '- 16 bits: dpsh (validation 0.5000, test 0.4000)' in best


def test_without_validation_scores_nothing_is_chosen():
    results = [
        dict(variant='hashnet', bits=32, seed=0, metrics={sweep.METRIC: 0.6})
    ]
    assert sweep.best_variants(results, [32]) == {32: None}
    assert 'no validation scores' in grid.best_lines(results, 'variant')


def test_a_config_selecting_on_test_data_is_refused(tmp_path, monkeypatch):
    """check_selection_data(sweep=True) on each variant's config: one whose
    validation queries are its test queries stops the sweep before any
    run, unless it sets allow_test_selection."""
    demo, _ = sweep.variant_run('hashnet', 'demo', 32)
    on_test = tmp_path / 'on_test.py'
    on_test.write_text(
        f"_base_ = ['{demo}']\n"
        'val_dataloader = dict(_delete_=True, **_base_.test_dataloader)\n')
    monkeypatch.setattr(sweep, 'variant_run', lambda variant, data, bits:
                        (str(on_test), {}))
    monkeypatch.setattr(sweep, 'run', lambda job, args: pytest.fail('ran'))
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    args = [
        '--data', 'demo', '--bits', '32', '--seeds', '0', '--max-iters', '10',
        '--variants', 'hashnet', '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(tmp_path / 'sweep.json')
    ]
    with pytest.raises(ValueError, match='Selection on the test set'):
        sweep.main(args)
    with open(on_test, 'a') as f:
        f.write('allow_test_selection = True\n')
    monkeypatch.setattr(
        sweep, 'run', lambda job, args: dict(
            scored('hashnet', 32, 0, 0.5, 0.4), train_seconds=1.0))
    table = sweep.main(args)
    assert '- 32 bits: hashnet (validation 0.5000, test 0.4000)' in table
    record = json.loads((tmp_path / 'sweep.json').read_text())
    assert record['benchmark'] == 'hashnet_sweep'
    assert record['best_on_validation'] == {'32': 'hashnet'}
    assert record['runs'][0]['validation'] == {sweep.METRIC: 0.5}
    assert osp.isfile(tmp_path / 'work' / 'demo' / 'sweep.json')


def test_the_table_goes_to_table_and_out_is_json(tmp_path):
    with pytest.raises(SystemExit):
        sweep.parse_args([
            '--data', 'demo', '--bits', '32', '--max-iters', '10',
            '--variants', 'hashnet', '--out',
            str(tmp_path / 'demo.md')
        ])
