"""A row of plot panels saved as PNG with its numbers as JSON beside it."""
import json
import os.path as osp
from typing import Iterator

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


class PanelRow:
    """One panel per run; :meth:`save` writes ``out`` and ``out``'s
    ``.json`` (the ``summary`` dict) and closes the figure."""

    def __init__(self, count: int, panel_width: float):
        self.fig, axes = plt.subplots(
            1, count, figsize=(panel_width * count, 3.2), squeeze=False)
        self.axes = list(axes[0])
        self.summary = {}

    def __iter__(self) -> Iterator:
        return iter(self.axes)

    def save(self, out: str) -> dict:
        self.fig.tight_layout()
        self.fig.savefig(out, dpi=120)
        plt.close(self.fig)
        with open(osp.splitext(out)[0] + '.json', 'w') as f:
            json.dump(self.summary, f, indent=1)
        return self.summary
