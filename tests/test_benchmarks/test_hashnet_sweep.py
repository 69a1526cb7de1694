"""benchmarks/hashnet_sweep.py: what each variant trains (no training)."""
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from hashnet_mm.utils.cli import override_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'hashnet_sweep', osp.join(ROOT, 'benchmarks', 'hashnet_sweep.py'))
sweep = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sweep)


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
    (hook, ) = [h for h in cfg.custom_hooks
                if h['type'] == 'ContinuationHook']
    assert hook == dict(type='ContinuationHook', schedule='budget',
                        final_beta=final_beta)


@pytest.mark.parametrize('method,loss', [('dpsh', 'DPSHLoss'),
                                         ('dhn', 'DHNLoss'),
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
    results = [dict(variant=v, bits=k, metrics={sweep.METRIC: m})
               for v, k, m in [('hashnet', 32, 0.7), ('hashnet', 32, 0.8),
                               ('dpsh', 32, 0.5), ('hashnet', 16, 0.6)]]
    table = sweep.markdown_table(results, ['hashnet', 'dpsh'], [16, 32])
    assert table.splitlines()[2:] == [
        '| hashnet | 0.6000 | 0.7500 ± 0.0707 |', '| dpsh | n/a | 0.5000 |']


def test_a_failed_run_stops_the_sweep_with_its_error(monkeypatch, capsys,
                                                     tmp_path):
    def refuse(job, args):
        raise ValueError(f'{job[0]} holds a run of other settings')

    monkeypatch.setattr(sweep, 'run', refuse)
    monkeypatch.setenv('OMP_NUM_THREADS', '1')  # main() sets it; restored
    with pytest.raises(SystemExit, match='1 of 1 runs failed') as stop:
        sweep.main(['--data', 'demo', '--bits', '32', '--seeds', '0',
                    '--max-iters', '10', '--variants', 'hashnet',
                    '--work-dir', str(tmp_path)])
    assert 'only the failed ones' in str(stop.value)
    assert 'hashnet holds a run of other settings' in capsys.readouterr().err
    assert not (tmp_path / 'demo' / 'sweep.json').exists()
