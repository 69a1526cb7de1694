"""The codes file ``tools/encode.py`` writes: packed codes, ids, paths and,
for a labelled list, the multi-hot labels.

Paths are stored relative to the collection's image root, which the file
records (``image_root``, absolute); :func:`image_path` is the one rule that
turns a stored path back into a file to read, under the recorded root or
under another one given where the images were moved.
"""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Tuple

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
        image_root (str, optional): the absolute folder the paths are
            relative to; None when the paths stand alone (files written
            before the root was recorded, or paths given as they are).
    """
    codes: np.ndarray
    num_bits: int
    ids: np.ndarray
    paths: Optional[List[str]] = None
    labels: Optional[np.ndarray] = None
    image_root: Optional[str] = None

    def __post_init__(self):
        check_packed(self.codes, self.num_bits)
        self.ids = check_ids(self.ids, len(self.codes))
        if self.paths is not None and len(self.paths) != len(self.codes):
            raise ValueError(f'{len(self.paths)} paths for '
                             f'{len(self.codes)} codes')
        if self.labels is not None:
            self.labels = check_labels(self.labels, len(self.codes))

    def save(self, path: str, **meta) -> str:
        """Write to ``path`` (an ``.npz`` archive) atomically, with ``meta``
        (JSON-able) added to its header; returns the file's checksum."""
        arrays = dict(codes=self.codes, ids=self.ids)
        if self.paths is not None:
            arrays['paths'] = strings_to_array(self.paths)
        if self.labels is not None:
            arrays['labels'] = self.labels
        meta = dict(meta, num_bits=self.num_bits)
        if self.image_root is not None:
            meta['image_root'] = self.image_root
        return save_arrays(path, CODES_FORMAT, meta, arrays)

    @classmethod
    def load(cls, path: str) -> 'CodesFile':
        """A codes file written by :meth:`save`; ValueError naming the file
        if it is truncated, corrupt or inconsistent (e.g. labels of another
        shape than its codes)."""
        return cls.load_with_meta(path)[0]

    @classmethod
    def load_with_meta(cls, path: str) -> Tuple['CodesFile', dict]:
        """:meth:`load`, and the file's header (with its ``sha256``)."""
        meta, arrays = load_arrays(path, CODES_FORMAT, ('codes', 'ids'))
        try:
            paths = array_to_strings(arrays['paths'], len(arrays['ids'])) \
                if 'paths' in arrays else None
            return cls(arrays['codes'], meta.get('num_bits'),
                       arrays['ids'], paths, arrays.get('labels'),
                       meta.get('image_root')), meta
        except ValueError as error:
            raise ValueError(f'{path}: {error}') from error


def image_path(path: str,
               image_root: Optional[str] = None,
               recorded_root: Optional[str] = None) -> str:
    """The file to read for a stored ``path``: under ``image_root`` (where
    the images are now) if given, else under ``recorded_root`` (where they
    were encoded); an absolute or root-less path is used as it is."""
    root = image_root or recorded_root
    if root is None or osp.isabs(path):
        return path
    return osp.join(root, path)


def missing_image_error(path: str, stored: str, image_root: Optional[str],
                        recorded_root: Optional[str],
                        source: str) -> FileNotFoundError:
    """The FileNotFoundError for an image ``path`` (read for the ``stored``
    path of ``source``) that is not there, saying where it was looked for
    and what to do."""
    if image_root:
        where = f'under --image-root {image_root}'
    elif recorded_root:
        where = (f'under the image root {recorded_root} recorded in '
                 f'{source}')
    else:
        where = f'as stored in {source}'
    return FileNotFoundError(
        f'image not found: {path} (stored path {stored!r}, looked up '
        f'{where}); if the images moved, give their new root folder with '
        '--image-root')


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
