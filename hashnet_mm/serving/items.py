"""What an index holds about each of its items: its path and its labels,
looked up by id."""
from typing import List, NamedTuple, Optional

import numpy as np

from ..search import HammingIndex


class IndexItems(NamedTuple):
    """The items of an index, sorted by id: ``ids`` ((n,) int64,
    ascending), ``paths`` (an object array of the items' image paths, or
    None when the index stores no paths) and ``labels`` ((n, C) bool
    multi-hot labels, or None when the index stores no labels)."""
    ids: np.ndarray
    paths: Optional[np.ndarray]
    labels: Optional[np.ndarray]

    @classmethod
    def of(cls, index: HammingIndex) -> 'IndexItems':
        """Every item of ``index``, read through its search: all items lie
        within Hamming distance K of any code (an ``'ivf'`` index scans all
        its lists for this one search)."""
        probe = np.zeros((1, index.code_size), dtype=np.uint8)
        nprobe = index.nprobe if index.kind == 'ivf' else None
        if nprobe is not None:
            index.nprobe = index.params['nlist']
        try:
            (found, ) = index.search_radius(probe, index.num_bits)
        finally:
            if nprobe is not None:
                index.nprobe = nprobe
        if len(found.ids) != len(index):
            raise RuntimeError(f'listed {len(found.ids)} of the index\'s '
                               f'{len(index)} items')
        order = np.argsort(found.ids, kind='stable')
        found = found.select(order)
        return cls(found.ids, found.paths, found.labels)

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, item_id: int) -> int:
        """The row of ``item_id``; KeyError when the index has no such
        item."""
        row = int(np.searchsorted(self.ids, item_id))
        if row == len(self.ids) or self.ids[row] != item_id:
            raise KeyError(item_id)
        return row

    def path(self, item_id: int) -> Optional[str]:
        """The image path of an item (None when the index stores none)."""
        row = self.row(item_id)
        return None if self.paths is None else str(self.paths[row])

    def label_row(self, item_id: int) -> Optional[np.ndarray]:
        """(C,) bool labels of an item (None when the index has none)."""
        row = self.row(item_id)
        return None if self.labels is None else self.labels[row]


def class_indices(labels: Optional[np.ndarray]) -> Optional[List[int]]:
    """The classes set in a multi-hot row, as JSON-able ints."""
    return None if labels is None else np.flatnonzero(labels).tolist()
