"""J(g) and L(h) through training from work dirs' logs (HashNet fig. 6).

    python tools/analysis/plot_losses.py HashNet=work_dirs/hashnet \
        DHN=work_dirs/dhn --out work_dirs/losses.png

A run is ``[LABEL=]WORK_DIR`` of a training with
``model.head.objective_interval`` set (``tools/analysis/run_grid.py`` sets
it): the logged ``objective_continuous`` = J(g), the loss on the continuous
codes, and ``objective_binary`` = L(h), the same loss on the binarised
codes, are read from every ``{timestamp}/vis_data/scalars.json`` of the
work dir (a resumed run's later log wins). One panel a run; the final
values are printed and saved as JSON next to the figure.
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List

from hashnet_mm.utils.figures import PanelRow

CURVES = (('objective_continuous', 'J(g), continuous codes'),
          ('objective_binary', 'L(h), binary codes'))


def read_objectives(work_dir: str) -> Dict[str, List[float]]:
    """``{'iter': [...], 'objective_continuous': [...],
    'objective_binary': [...]}`` in iteration order."""
    by_iter = {}
    logs = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    for path in logs:
        with open(path) as f:
            for line in f:
                entry = json.loads(line)
                if all(key in entry for key, _ in CURVES):
                    by_iter[entry['iter']] = entry
    if not by_iter:
        raise ValueError(
            f'{work_dir}: no objective_continuous / objective_binary in '
            f'{len(logs)} scalars.json file(s); train with '
            '--cfg-options model.head.objective_interval=N (N = the logger '
            'interval)')
    iters = sorted(by_iter)
    curves = {key: [by_iter[i][key] for i in iters] for key, _ in CURVES}
    return dict(iter=iters, **curves)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='J(g) and L(h) through training (HashNet fig. 6)')
    parser.add_argument('runs', nargs='+', help='[LABEL=]WORK_DIR')
    parser.add_argument('--out', default='losses.png')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    panels = PanelRow(len(args.runs), panel_width=4.5)
    for ax, spec in zip(panels, args.runs):
        label, _, work_dir = spec.rpartition('=')
        label = label or osp.basename(osp.normpath(work_dir))
        series = read_objectives(work_dir)
        for key, name in CURVES:
            ax.plot(series['iter'], series[key], label=name)
        ax.set(title=label, xlabel='iteration', ylabel='loss')
        ax.legend()
        final = {key: series[key][-1] for key, _ in CURVES}
        panels.summary[label] = dict(series, final=final)
        print(f'{label}: at iteration {series["iter"][-1]}, J(g) '
              f'{final["objective_continuous"]:.4f}, L(h) '
              f'{final["objective_binary"]:.4f}')
    return panels.save(args.out)


if __name__ == '__main__':
    main()
