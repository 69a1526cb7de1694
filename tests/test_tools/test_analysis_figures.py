"""tools/analysis/plot_losses.py (fig. 6) and code_histogram.py (fig. 7)."""
import json
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmpretrain.apis import get_model
from PIL import Image

from ..tool_modules import load_tool
from .test_train_test import write_config

plot_losses = load_tool('analysis/plot_losses.py')
code_histogram = load_tool('analysis/code_histogram.py')


def write_scalars(work_dir, stamp, entries):
    os.makedirs(work_dir / stamp / 'vis_data')
    with open(work_dir / stamp / 'vis_data' / 'scalars.json', 'w') as f:
        f.writelines(json.dumps(e) + '\n' for e in entries)


def test_objectives_read_from_every_log_later_wins(tmp_path):
    run = tmp_path / 'run'
    write_scalars(run, '20260101_000000', [
        dict(
            iter=50, loss=1.0, objective_continuous=0.9, objective_binary=1.5),
        dict(iter=60, loss=1.0),
        dict(iter=100, objective_continuous=0.8, objective_binary=1.2)
    ])
    write_scalars(run, '20260102_000000', [
        dict(iter=100, objective_continuous=0.7, objective_binary=1.1),
        dict(iter=150, objective_continuous=0.6, objective_binary=0.65)
    ])
    assert plot_losses.read_objectives(str(run)) == dict(
        iter=[50, 100, 150],
        objective_continuous=[0.9, 0.7, 0.6],
        objective_binary=[1.5, 1.1, 0.65])
    out = tmp_path / 'fig6.png'
    summary = plot_losses.main([f'HashNet={run}', '--out', str(out)])
    assert out.stat().st_size > 0
    assert summary['HashNet']['final'] == dict(
        objective_continuous=0.6, objective_binary=0.65)
    assert json.loads((tmp_path / 'fig6.json').read_text()) == summary


def test_log_without_objectives_is_a_clear_error(tmp_path):
    write_scalars(tmp_path / 'run', '20260101_000000', [dict(iter=1, loss=1)])
    with pytest.raises(ValueError, match='objective_interval'):
        plot_losses.read_objectives(str(tmp_path / 'run'))


def test_histogram_of_tanh_beta_z_at_the_last_iteration(
        tmp_path, tiny_single_label):
    # beta = (1 + 1 * t) ** 0.5 with t = 3 + 1 (the last of 4 iterations;
    # the released code's counter is one ahead): sqrt(5).
    beta = 5**0.5
    hook = ("custom_hooks = [dict(type='ContinuationHook', gamma=1.0, "
            'step=1)]')
    config = write_config(
        str(tmp_path / 'cfg.py'), tiny_single_label, 4, extra=hook)
    cfg = Config.fromfile(config)
    model = get_model(cfg)
    model.init_weights()
    torch.nn.init.normal_(model.head.fch.weight, std=0.5)
    checkpoint = str(tmp_path / 'model.pth')
    save_checkpoint(
        dict(state_dict=model.state_dict(), meta=dict(iter=4)), checkpoint)
    out = tmp_path / 'fig7.png'
    summary = code_histogram.main([
        f'HashNet={config}:{checkpoint}', '--split', 'query', '--bins', '10',
        '--out',
        str(out)
    ])['HashNet']

    # Reference: z of the 8 query images, straight through the model.
    with open(os.path.join(tiny_single_label, 'query.txt')) as f:
        names = [line.split()[0] for line in f if line.strip()]
    images = torch.stack([
        torch.from_numpy(
            np.array(
                Image.open(os.path.join(
                    tiny_single_label,
                    n)).convert('RGB'))[..., ::-1].copy()).permute(2, 0, 1)
        for n in names
    ]).float()
    model.eval()
    with torch.no_grad():
        z = model((images - 128) / 64, mode='tensor').numpy()
    values = np.tanh(beta * z).ravel()
    # The tool's values equal the reference's up to float rounding (another
    # batching may round differently, so compare values, not bin counts).
    tool_values = code_histogram.code_values(config, checkpoint, 'query',
                                             100)['values']
    np.testing.assert_allclose(tool_values, values, atol=1e-5)
    counts, edges = np.histogram(tool_values, bins=10)
    assert summary['beta'] == pytest.approx(beta)
    assert summary['num_images'] == 8
    assert summary['counts'] == counts.tolist()
    np.testing.assert_allclose(summary['edges'], edges, rtol=1e-5)
    sign = np.where(z >= 0, 1.0, -1.0)
    assert summary['binarisation_gap'] == pytest.approx(
        np.abs(np.tanh(beta * z) - sign).mean(), rel=1e-5)
    assert out.stat().st_size > 0


def test_bad_run_spec():
    with pytest.raises(ValueError, match='LABEL=CONFIG:CHECKPOINT'):
        code_histogram.parse_run('configs/x.py')


@pytest.mark.slow
def test_readme_command_on_a_budget_run_shorter_than_its_config(
        tmp_path, tiny_single_label):
    """The guide's fig. 7 command on a run trained, as run_grid.py does,
    for fewer iterations than its config file says: beta is the one the
    run ended at, the budget schedule's final_beta at its last iteration
    (the demo schedule: 6.4), from the run length saved in the checkpoint.
    """
    from .test_train_test import run_tool
    config = write_config(str(tmp_path / 'cfg.py'), tiny_single_label, 8)
    assert Config.fromfile(config).custom_hooks == [
        dict(type='ContinuationHook', schedule='budget', final_beta=6.4)
    ]
    work_dir = tmp_path / 'work'
    run_tool('tools/train.py', config, '--work-dir', str(work_dir),
             '--no-validate', '--cfg-options', 'train_cfg.max_iters=2',
             'default_hooks.checkpoint.interval=2')
    out = tmp_path / 'fig7.png'
    printed = run_tool('tools/analysis/code_histogram.py',
                       f'HashNet={config}:{work_dir / "iter_2.pth"}',
                       '--split', 'database', '--max-images', '2000', '--out',
                       str(out))
    assert 'HashNet: 32 database images, beta 6.400,' in printed
    assert json.loads(
        (tmp_path /
         'fig7.json').read_text())['HashNet']['beta'] == pytest.approx(6.4)
    assert out.stat().st_size > 0
