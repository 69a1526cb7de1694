"""The codes file ``tools/encode.py`` writes: packed codes, ids, paths and,
for a labelled list, the multi-hot labels."""
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from ..codes import check_packed
from .storage import (array_to_strings, load_arrays, save_arrays,
                      strings_to_array)

CODES_FORMAT = 'hashnet_mm.codes/1'


@dataclass
class CodesFile:
    """Binary codes of a collection.

    Attributes:
        codes (np.ndarray): (n, ceil(K / 8)) uint8, packed by ``pack_codes``.
        num_bits (int): K, the model's code length.
        ids (np.ndarray): (n,) int64, unique and >= 0.
        paths (list[str], optional): the image of each code.
        labels (np.ndarray, optional): (n, C) bool multi-hot labels of the
            images (a labelled list's; a class index i is row i set), stored
            as one byte per label; None when the collection has none (an
            unlabelled list, a folder, or a file written before labels were
            kept).
    """
    codes: np.ndarray
    num_bits: int
    ids: np.ndarray
    paths: Optional[List[str]] = None
    labels: Optional[np.ndarray] = None

    def __post_init__(self):
        check_packed(self.codes, self.num_bits)
        self.ids = check_ids(self.ids, len(self.codes))
        if self.paths is not None and len(self.paths) != len(self.codes):
            raise ValueError(f'{len(self.paths)} paths for '
                             f'{len(self.codes)} codes')
        if self.labels is not None:
            self.labels = check_labels(self.labels, len(self.codes))

    def save(self, path: str) -> None:
        """Write to ``path`` (an ``.npz`` archive) atomically."""
        arrays = dict(codes=self.codes, ids=self.ids)
        if self.paths is not None:
            arrays['paths'] = strings_to_array(self.paths)
        if self.labels is not None:
            arrays['labels'] = self.labels
        save_arrays(path, CODES_FORMAT, dict(num_bits=self.num_bits), arrays)

    @classmethod
    def load(cls, path: str) -> 'CodesFile':
        """A codes file written by :meth:`save`; ValueError naming the file
        if it is truncated, corrupt or inconsistent (e.g. labels of another
        shape than its codes)."""
        meta, arrays = load_arrays(path, CODES_FORMAT, ('codes', 'ids'))
        try:
            paths = array_to_strings(arrays['paths'], len(arrays['ids'])) \
                if 'paths' in arrays else None
            return cls(arrays['codes'], meta.get('num_bits'), arrays['ids'],
                       paths, arrays.get('labels'))
        except ValueError as error:
            raise ValueError(f'{path}: {error}') from error


def check_ids(ids, count: int) -> np.ndarray:
    """``ids`` as a (count,) int64 array of unique values >= 0."""
    ids = np.asarray(ids)
    if ids.shape != (count, ) or (count and ids.dtype.kind not in 'iu'):
        raise ValueError(f'ids must be {count} integers, got a '
                         f'{ids.dtype} array of shape {ids.shape}')
    ids = ids.astype(np.int64)
    if count and ids.min() < 0:
        raise ValueError(f'ids must be >= 0, got {ids.min()}')
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f'ids must be unique; repeated: '
                         f'{unique[counts > 1][:10].tolist()}')
    return ids


def check_labels(labels, count: int) -> np.ndarray:
    """``labels`` as a (count, C) bool array (C >= 1) of multi-hot rows:
    bool, or integers that are all 0 or 1."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.shape[0] != count or labels.shape[1] < 1 \
            or labels.dtype.kind not in 'biu':
        raise ValueError(
            f'labels must be a ({count}, C) multi-hot array (one row of C '
            f'>= 1 labels per code), got a {labels.dtype} array of shape '
            f'{labels.shape}')
    if labels.dtype.kind != 'b' and ((labels != 0) & (labels != 1)).any():
        bad = int(np.flatnonzero(((labels != 0) & (labels != 1)).any(1))[0])
        raise ValueError(f'labels must be 0 or 1; row {bad} is '
                         f'{labels[bad].tolist()}')
    return labels.astype(bool)
