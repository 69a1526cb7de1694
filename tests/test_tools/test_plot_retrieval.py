"""tools/analysis/plot_retrieval.py on saved test-run JSONs."""
import importlib.util
import json
import os.path as osp

import matplotlib.pyplot as plt
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'plot_retrieval', osp.join(REPO, 'tools', 'analysis', 'plot_retrieval.py'))
plot_retrieval = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plot_retrieval)


def save_test_run(work_dir, num_bits, offset, timestamp='20260101_000000'):
    """The JSON a test run leaves in its work dir (plus training noise)."""
    metrics = {
        'retrieval/mAP@10':
        0.5 + offset,
        'retrieval/tie_aware_mAP@10':
        0.49 + offset,
        'retrieval/P@H<=2':
        0.3 + offset,
        'retrieval/P@100':
        0.6 + offset,
        'retrieval/P@20':
        0.7 + offset,
        'retrieval/R@20':
        0.1,
        'retrieval/PR_precision':
        [0.9 - i / (2 * num_bits) for i in range(num_bits + 1)],
        'retrieval/PR_recall': [i / num_bits for i in range(num_bits + 1)],
        'time':
        0.1,
    }
    run_dir = work_dir / timestamp
    (run_dir / 'vis_data').mkdir(parents=True)
    (run_dir / 'vis_data' / f'{timestamp}.json').write_text('{"loss": 1}\n')
    path = run_dir / f'{timestamp}.json'
    path.write_text(json.dumps(metrics))
    return metrics, str(path)


@pytest.fixture
def runs(tmp_path):
    """HashNet at 16 and 32 bits (work dirs), and a baseline (JSON file)."""
    saved = {}
    for name, bits, offset in (('hashnet_16bit', 16, 0.0),
                               ('hashnet_32bit', 32, 0.1), ('dhn', 32, -0.1)):
        saved[name] = save_test_run(tmp_path / name, bits, offset)
    return tmp_path, saved


def test_loads_runs_from_work_dirs_and_files(runs):
    root, saved = runs
    run = plot_retrieval.load_run(f'HashNet={root / "hashnet_16bit"}')
    metrics, path = saved['hashnet_16bit']
    assert (run.label, run.source, run.num_bits) == ('HashNet', path, 16)
    assert run.pr_precision == metrics['retrieval/PR_precision']
    assert run.precision_at_n == {20: 0.7, 100: 0.6}  # ordered by N
    assert (run.radius, run.precision_within_radius) == (2, 0.3)
    assert plot_retrieval.load_run(saved['dhn'][1]).label == 'dhn'


def test_newest_test_run_of_a_work_dir_is_used(runs):
    root, _ = runs
    _, newer = save_test_run(
        root / 'hashnet_16bit', 16, 0.2, timestamp='20260102_000000')
    assert plot_retrieval.load_run(str(root / 'hashnet_16bit')).source == newer


def test_plots_show_the_saved_curves(runs):
    root, saved = runs
    loaded = [
        plot_retrieval.load_run(spec)
        for spec in (f'HashNet={root / "hashnet_32bit"}',
                     f'HashNet={root / "hashnet_16bit"}',
                     f'DHN={saved["dhn"][1]}')
    ]
    fig, axes = plt.subplots(1, 3)
    plot_retrieval.plot_pr_curves(loaded, axes[0])
    plot_retrieval.plot_precision_at_n(loaded, axes[1])
    plot_retrieval.plot_precision_within_radius(loaded, axes[2])
    pr = axes[0].get_lines()[1]
    metrics = saved['hashnet_16bit'][0]
    assert list(pr.get_xdata()) == metrics['retrieval/PR_recall']
    assert list(pr.get_ydata()) == metrics['retrieval/PR_precision']
    assert pr.get_label() == 'HashNet (16 bits)'
    assert list(axes[1].get_lines()[0].get_xdata()) == [20, 100]
    # One line per label, over its code lengths in order.
    hashnet, dhn = axes[2].get_lines()
    assert list(hashnet.get_xdata()) == [16, 32]
    assert list(hashnet.get_ydata()) == pytest.approx([0.3, 0.4])
    assert (list(dhn.get_xdata()), dhn.get_label()) == ([32], 'DHN')
    plt.close(fig)


def test_main_writes_three_pngs(runs, tmp_path):
    root, _ = runs
    out_dir = tmp_path / 'plots'
    written = plot_retrieval.main([
        str(root / 'hashnet_16bit'),
        str(root / 'hashnet_32bit'), '--out-dir',
        str(out_dir)
    ])
    assert [osp.basename(p) for p in written] == [
        'pr_curve.png', 'precision_at_n.png', 'precision_within_radius.png'
    ]
    for path in written:
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_a_work_dir_without_test_run_is_an_error(tmp_path):
    (tmp_path / 'run' / '20260101_000000').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='tools/test.py'):
        plot_retrieval.load_run(str(tmp_path / 'run'))


def test_a_json_without_curves_is_an_error(tmp_path):
    path = tmp_path / 'metrics.json'
    path.write_text(json.dumps({'accuracy/top1': 0.5}))
    with pytest.raises(KeyError, match='PR_precision'):
        plot_retrieval.load_run(str(path))


def test_a_validation_scalars_log_is_refused_with_what_to_pass(tmp_path):
    """Training's vis_data/scalars.json: JSON lines, scalars only."""
    path = tmp_path / 'scalars.json'
    path.write_text('{"loss": 0.7, "iter": 1}\n{"retrieval/mAP@all": 0.5, '
                    '"retrieval/P@H<=2": 0.4, "step": 0}\n')
    expected = (
        r'scalars.json: a JSON-lines log of 2 records .* without '
        r'retrieval curves.* tools/test.py CONFIG CHECKPOINT --work-dir '
        r'DIR writes DIR/<timestamp>/<timestamp>.json')
    with pytest.raises(ValueError, match=expected):
        plot_retrieval.load_run(str(path))
    (tmp_path / 'broken.json').write_text('{"a": 1}\n{"b": \n')
    with pytest.raises(ValueError, match=r'broken.json:2: not JSON'):
        plot_retrieval.load_run(str(tmp_path / 'broken.json'))


def test_json_lines_with_curves_use_the_last_such_record(runs, tmp_path):
    _, saved = runs
    metrics, _ = saved['hashnet_16bit']
    later = dict(metrics, **{'retrieval/P@H<=2': 0.9})
    path = tmp_path / 'lines.json'
    path.write_text('\n'.join(
        json.dumps(r) for r in (metrics, later, {
            'loss': 1.0
        })) + '\n')
    run = plot_retrieval.load_run(f'A={path}')
    assert (run.source, run.precision_within_radius) == (str(path), 0.9)
    assert run.pr_precision == metrics['retrieval/PR_precision']


def test_main_prints_the_file_each_run_was_read_from(runs, tmp_path, capsys):
    root, _ = runs
    _, newer = save_test_run(
        root / 'hashnet_16bit', 16, 0.2, timestamp='20260102_000000')
    plot_retrieval.main([
        f'HashNet={root / "hashnet_16bit"}', '--out-dir',
        str(tmp_path / 'plots')
    ])
    assert f'HashNet: {newer}\n' in capsys.readouterr().out
