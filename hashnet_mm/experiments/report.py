"""The comparison's report: a markdown table (mean ± std over seeds) and a
figure (test mAP against code length), from the runs' results."""
from collections import OrderedDict
from typing import Sequence

import numpy as np

from .comparison import SELECT_KEY, method_label


def mean_std(values: Sequence[float]) -> str:
    """'0.7421' for one value, '0.7421 ± 0.0031' (sample std) for more,
    'n/a' for none."""
    if not len(values):
        return 'n/a'
    if len(values) == 1:
        return f'{values[0]:.4f}'
    return f'{np.mean(values):.4f} ± {np.std(values, ddof=1):.4f}'


def grouped(results: Sequence[dict], key: str = SELECT_KEY) -> OrderedDict:
    """``{dataset: {label: {bits: [test values over seeds]}}}`` in
    first-seen order."""
    groups = OrderedDict()
    for r in results:
        label = method_label(r['method'])
        cell = groups.setdefault(r['dataset'], OrderedDict()).setdefault(
            label, OrderedDict()).setdefault(r['bits'], [])
        cell.append(r['test'][key])
    return groups


def markdown_table(results: Sequence[dict], key: str = SELECT_KEY) -> str:
    """One table a dataset: a row a method, a column a code length, the
    test ``key`` as mean ± std over seeds."""
    out = []
    for dataset, rows in grouped(results, key).items():
        bits = sorted({k for cells in rows.values() for k in cells})
        out += [
            f'**{dataset}**, test {key} (mean ± std over seeds)', '',
            '| method | ' + ' | '.join(f'{k} bits' for k in bits) + ' |',
            '|---' * (len(bits) + 1) + '|'
        ]
        for label, cells in rows.items():
            out.append(f'| {label} | ' +
                       ' | '.join(mean_std(cells.get(k, []))
                                  for k in bits) + ' |')
        out.append('')
    return '\n'.join(out)


def figure(results: Sequence[dict], out: str, key: str = SELECT_KEY) -> dict:
    """``out`` (PNG): test ``key`` against code length, a panel a dataset,
    a line a method (the mean over seeds; the bar spans the seeds' min to
    max; shallow methods dashed), and ``out``'s ``.json`` with the plotted
    numbers."""
    import matplotlib

    from ..shallow.methods import METHODS
    from ..utils.figures import PanelRow
    shallow = {label for _, label in METHODS.values()}
    groups = grouped(results, key)
    labels = list(
        OrderedDict.fromkeys(label for rows in groups.values()
                             for label in rows))
    # tab10, then tab20's light shades: distinct for up to 20 methods.
    colours = (
        list(matplotlib.colormaps['tab10'].colors) +
        list(matplotlib.colormaps['tab20'].colors[1::2]))
    style = {
        label:
        dict(
            color=colours[i % len(colours)],
            linestyle='--' if label in shallow else '-')
        for i, label in enumerate(labels)
    }
    panels = PanelRow(len(groups), 5.0)
    for ax, (dataset, rows) in zip(panels, groups.items()):
        for label, cells in rows.items():
            bits = sorted(cells)
            mean = [float(np.mean(cells[k])) for k in bits]
            # Clipped at 0: the mean of equal values may round past them.
            low = [max(0., m - min(cells[k])) for m, k in zip(mean, bits)]
            high = [max(0., max(cells[k]) - m) for m, k in zip(mean, bits)]
            ax.errorbar(
                bits,
                mean,
                yerr=[low, high],
                marker='o',
                markersize=3,
                capsize=3,
                label=label,
                **style[label])
            panels.summary.setdefault(dataset, {})[label] = {
                str(k): cells[k]
                for k in bits
            }
        ax.set_xscale('log', base=2)
        all_bits = sorted({k for c in rows.values() for k in c})
        ax.set_xticks(all_bits, [str(k) for k in all_bits])
        ax.set_xlabel('code length (bits)')
        ax.set_ylabel(f'test {key}')
        ax.set_title(dataset)
        ax.grid(alpha=0.3)
    axes = list(panels)
    axes[-1].legend(fontsize=7, loc='center left', bbox_to_anchor=(1, 0.5))
    panels.summary = dict(
        metric=f'test {key}',
        spread='min to max over seeds',
        values=panels.summary)
    return panels.save(out)


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where there is one, else
    what ``platform`` knows."""
    import platform
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """'N-core <CPU model>' of this machine."""
    import os
    return f'{os.cpu_count()}-core {cpu_model()}'


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, or 'n/a'."""
    import os
    try:
        return ' / '.join(f'{v:.1f}' for v in os.getloadavg())
    except OSError:
        return 'n/a'
