"""Feature files: what ``tools/extract_features.py`` writes and the
feature-based hashing tools read.

One split (train, query, database) of a list-file dataset is three files
in a folder:

- ``{split}.npy``: (n, d) float32 features, one row per image;
- ``{split}_ids.txt``: n lines, the image path as written in the list file;
- ``{split}_labels.npy``: (n, C) uint8 multi-hot labels.
"""
import os.path as osp
from typing import Dict, Sequence

import numpy as np

SPLITS = ('train', 'query', 'database')


def feature_paths(folder: str, split: str) -> Dict[str, str]:
    return dict(
        features=osp.join(folder, f'{split}.npy'),
        ids=osp.join(folder, f'{split}_ids.txt'),
        labels=osp.join(folder, f'{split}_labels.npy'))


def save_features(folder: str, split: str, features: np.ndarray,
                  ids: Sequence[str], labels: np.ndarray) -> Dict[str, str]:
    """Write one split; returns the three paths."""
    paths = feature_paths(folder, split)
    if any(' ' in i or '\n' in i for i in ids):
        raise ValueError(f'{split}: ids must not contain spaces or newlines')
    np.save(paths['features'], np.asarray(features, dtype=np.float32))
    np.save(paths['labels'], np.asarray(labels, dtype=np.uint8))
    with open(paths['ids'], 'w') as f:
        f.write(''.join(i + '\n' for i in ids))
    return paths


def load_features(folder: str, split: str) -> Dict[str, object]:
    """Read one split: dict of ``features`` (n, d) float32, ``ids`` (list of
    n str) and ``labels`` (n, C) uint8.

    Raises ValueError, naming the file, if the features are not a finite
    (n, d) matrix, the labels not an (n, C) 0/1 matrix, or the three files
    disagree on n; FileNotFoundError if one is missing.
    """
    paths = feature_paths(folder, split)
    for path in paths.values():
        if not osp.isfile(path):
            raise FileNotFoundError(f'{split}: {path} not found (written by '
                                    'tools/extract_features.py)')
    features = np.load(paths['features'], allow_pickle=False)
    if features.ndim != 2 or 0 in features.shape or features.dtype.kind \
            not in 'fiu':
        raise ValueError(f'{paths["features"]}: expected a non-empty (n, d) '
                         f'numeric matrix, got {features.dtype} '
                         f'{features.shape}')
    bad = np.flatnonzero(~np.isfinite(features).all(axis=1))
    if len(bad):
        raise ValueError(f'{paths["features"]}: row {bad[0]} has a NaN or '
                         f'infinite value ({len(bad)} such rows)')
    labels = np.load(paths['labels'], allow_pickle=False)
    if labels.ndim != 2 or labels.shape[1] == 0 or not np.isin(labels,
                                                               (0, 1)).all():
        raise ValueError(f'{paths["labels"]}: expected an (n, C) 0/1 '
                         f'matrix, got {labels.dtype} {labels.shape}')
    with open(paths['ids']) as f:
        ids = f.read().splitlines()
    for name, rows in (('ids', len(ids)), ('labels', labels.shape[0])):
        if rows != features.shape[0]:
            raise ValueError(f'{paths[name]} has {rows} rows but '
                             f'{paths["features"]} has {features.shape[0]}')
    if len(set(ids)) != len(ids):
        raise ValueError(f'{paths["ids"]}: ids are not unique')
    return dict(
        features=features.astype(np.float32, copy=False),
        ids=ids,
        labels=labels.astype(np.uint8, copy=False))
