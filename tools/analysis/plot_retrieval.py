"""Retrieval curves of test runs, in the style of HashNet's figs. 2-4.

Reads what ``HammingRetrievalMetric`` saves after a test run, the JSON in the
run's work dir (``{work_dir}/{timestamp}/{timestamp}.json``), and draws

- ``pr_curve.png``: precision against recall over Hamming radii 0..K
  (figs. 2-4 (b));
- ``precision_at_n.png``: precision of the first N against N (figs. (c));
- ``precision_within_radius.png``: P@H<=r against code length (figs. (a));
  runs with the same label are one line over their code lengths.

A run is ``[LABEL=]PATH``: PATH is the JSON file or a work dir (its newest
test-run JSON is used); LABEL defaults to the work dir's name. The file
each run was read from is printed. Example::

    python tools/analysis/plot_retrieval.py \\
        HashNet=work_dirs/hashnet_resnet50_1xb64_coco_16bit \\
        HashNet=work_dirs/hashnet_resnet50_coco_64bit \\
        DHN=work_dirs/dhn_coco_64bit/20260101_101010/20260101_101010.json \\
        --out-dir work_dirs/plots
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, List, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

MARKERS = ('o', 's', '^', 'D', 'v', 'p', '*', 'h', 'X', '<')


@dataclass
class Run:
    """The retrieval measures of one test run."""
    label: str
    source: str
    pr_precision: List[float]
    pr_recall: List[float]
    precision_at_n: Dict[int, float]
    radius: int
    precision_within_radius: float

    @property
    def num_bits(self) -> int:
        return len(self.pr_precision) - 1


def read_records(path: str) -> List[dict]:
    """The JSON objects of ``path``: one (a test run's JSON) or one per line
    (a JSON-lines log such as ``vis_data/scalars.json``)."""
    with open(path) as f:
        text = f.read()
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f'{path}:{number}: not JSON ({error})') \
                    from None
    return records


def curves_record(records: List[dict]) -> Optional[dict]:
    """The last of ``records`` holding retrieval curves, or None."""
    return next(
        (record
         for record in reversed(records) if isinstance(record, dict) and any(
             key.endswith('PR_precision') for key in record)), None)


def find_metrics_file(path: str) -> str:
    """``path`` itself, or the newest test-run JSON of a work dir."""
    if osp.isfile(path):
        return path
    candidates = sorted(glob.glob(osp.join(path, '*', '*.json')))
    for candidate in reversed(candidates):  # timestamps: newest last
        if curves_record(read_records(candidate)) is not None:
            return candidate
    raise FileNotFoundError(
        f'{path}: no test-run JSON with retrieval curves in '
        f'{osp.join(path, "*", "*.json")} (run tools/test.py first)')


def load_run(spec: str) -> Run:
    """A :class:`Run` from ``[LABEL=]PATH``.

    A JSON-lines file is read line by line and its last record with the
    curves used; one without curves (the validation log of a training run,
    ``vis_data/scalars.json``, holds scalars only) is an error saying what
    to pass.
    """
    label, _, path = spec.rpartition('=')
    source = find_metrics_file(path)
    if not label:
        work_dir = path if osp.isdir(path) else osp.dirname(
            osp.dirname(osp.abspath(source)))
        label = osp.basename(osp.normpath(work_dir))
    records = read_records(source)
    metrics = curves_record(records)
    if metrics is None and len(records) > 1:
        raise ValueError(
            f'{source}: a JSON-lines log of {len(records)} records (the '
            'vis_data/scalars.json of a training run?) without retrieval '
            'curves: validation during training logs scalars only. Pass '
            'the JSON of a test run: tools/test.py CONFIG CHECKPOINT '
            '--work-dir DIR writes DIR/<timestamp>/<timestamp>.json; pass '
            'DIR or that file.')
    if metrics is None:
        metrics = records[0] if records else {}

    def matching(pattern):
        """{first group: value} of the keys ending in ``pattern``."""
        found = {}
        for key, value in metrics.items():
            match = re.fullmatch(rf'(?:.*/)?{pattern}', key)
            if match:
                found[match.group(1)] = value
        return found

    curves = matching('(PR_precision|PR_recall)')
    within_radius = matching(r'P@H<=(\d+)')
    if len(curves) < 2 or len(within_radius) != 1:
        raise KeyError(f'{source}: needs PR_precision, PR_recall and one '
                       f'P@H<=r from HammingRetrievalMetric; has '
                       f'{sorted(metrics)}')
    ((radius, precision), ) = within_radius.items()
    return Run(
        label=label,
        source=source,
        pr_precision=curves['PR_precision'],
        pr_recall=curves['PR_recall'],
        precision_at_n={
            int(n): value
            for n, value in sorted(
                matching(r'P@(\d+)').items(), key=lambda item: int(item[0]))
        },
        radius=int(radius),
        precision_within_radius=precision)


def _finish(ax, xlabel, ylabel, title):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(0, 1)
    ax.grid(True, linestyle=':')
    ax.legend(loc='best', fontsize='small')


def plot_pr_curves(runs: List[Run], ax) -> None:
    """Precision against recall within Hamming radius 0..K, one per run."""
    for run, marker in zip(runs, MARKERS * len(runs)):
        ax.plot(
            run.pr_recall,
            run.pr_precision,
            marker=marker,
            markersize=4,
            label=f'{run.label} ({run.num_bits} bits)')
    ax.set_xlim(0, 1)
    _finish(ax, 'Recall', 'Precision', 'Precision-recall (Hamming radius)')


def plot_precision_at_n(runs: List[Run], ax) -> None:
    """Precision of the first N against N, one line per run."""
    for run, marker in zip(runs, MARKERS * len(runs)):
        ax.plot(
            list(run.precision_at_n),
            list(run.precision_at_n.values()),
            marker=marker,
            markersize=4,
            label=f'{run.label} ({run.num_bits} bits)')
    _finish(ax, 'Number of top returned images', 'Precision', 'Precision@N')


def plot_precision_within_radius(runs: List[Run], ax) -> None:
    """P@H<=r against code length, one line per label."""
    by_label = {}
    for run in runs:
        by_label.setdefault(run.label, []).append(run)
    for (label, group), marker in zip(by_label.items(),
                                      MARKERS * len(by_label)):
        group = sorted(group, key=lambda run: run.num_bits)
        ax.plot([run.num_bits for run in group],
                [run.precision_within_radius for run in group],
                marker=marker,
                label=label)
    ax.set_xticks(sorted({run.num_bits for run in runs}))
    radii = sorted({run.radius for run in runs})
    _finish(ax, 'Number of bits', 'Precision',
            f'Precision within Hamming radius {"/".join(map(str, radii))}')


PLOTS = {
    'pr_curve.png': plot_pr_curves,
    'precision_at_n.png': plot_precision_at_n,
    'precision_within_radius.png': plot_precision_within_radius,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Plot retrieval curves of test runs (HashNet figs. 2-4)')
    parser.add_argument(
        'runs',
        nargs='+',
        metavar='[LABEL=]PATH',
        help='a test-run JSON or a work dir, optionally labelled')
    parser.add_argument('--out-dir', default='.', help='where the PNGs go')
    return parser.parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    runs = [load_run(spec) for spec in args.runs]
    for run in runs:
        print(f'{run.label}: {run.source}')
    os.makedirs(args.out_dir, exist_ok=True)
    written = []
    for name, plot in PLOTS.items():
        fig, ax = plt.subplots(figsize=(5, 4))
        plot(runs, ax)
        fig.tight_layout()
        written.append(osp.join(args.out_dir, name))
        fig.savefig(written[-1], dpi=150)
        plt.close(fig)
        print(f'wrote {written[-1]}')
    return written


if __name__ == '__main__':
    main()
