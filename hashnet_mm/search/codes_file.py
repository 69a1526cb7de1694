"""The codes file ``tools/encode.py`` writes: packed codes, ids and paths."""
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from .packing import check_packed
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
    """
    codes: np.ndarray
    num_bits: int
    ids: np.ndarray
    paths: Optional[List[str]] = None

    def __post_init__(self):
        check_packed(self.codes, self.num_bits)
        self.ids = check_ids(self.ids, len(self.codes))
        if self.paths is not None and len(self.paths) != len(self.codes):
            raise ValueError(f'{len(self.paths)} paths for '
                             f'{len(self.codes)} codes')

    def save(self, path: str) -> None:
        """Write to ``path`` (an ``.npz`` archive) atomically."""
        arrays = dict(codes=self.codes, ids=self.ids)
        if self.paths is not None:
            arrays['paths'] = strings_to_array(self.paths)
        save_arrays(path, CODES_FORMAT, dict(num_bits=self.num_bits), arrays)

    @classmethod
    def load(cls, path: str) -> 'CodesFile':
        meta, arrays = load_arrays(path, CODES_FORMAT, ('codes', 'ids'))
        try:
            paths = array_to_strings(arrays['paths'], len(arrays['ids'])) \
                if 'paths' in arrays else None
            return cls(arrays['codes'], meta.get('num_bits'), arrays['ids'],
                       paths)
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
