"""Reading back and checking the list files a converter wrote."""
import os.path as osp

import numpy as np


def read_list(path):
    """Paths and (N, C) int labels of a list file, read plainly."""
    paths, rows = [], []
    with open(path) as f:
        for line in f:
            rel, *labels = line.split()
            paths.append(rel)
            rows.append([int(v) for v in labels])
    return paths, np.array(rows)


def read_splits(out_dir, names=('query', 'train', 'database')):
    return {
        name: read_list(osp.join(out_dir, f'{name}.txt'))
        for name in names
    }


def check_protocol(splits, sizes, train_in_database, query_in_database=False):
    """Split sizes, queries outside (or inside) the database, train inside
    (or outside) the database and never a query, and one label row per
    path everywhere."""
    for name, (paths, labels) in splits.items():
        assert len(paths) == sizes[name], name
        assert len(set(paths)) == len(paths)
        assert labels.shape[0] == len(paths)
    query, train, database = (
        set(splits[n][0]) for n in ('query', 'train', 'database'))
    assert not query & train
    if query_in_database:
        assert query <= database
    else:
        assert not query & database
    if train_in_database:
        assert train <= database
    else:
        assert not train & database


def label_map(splits):
    """``{path: label row}`` over all splits (rows of a path must agree)."""
    rows = {}
    for paths, labels in splits.values():
        for path, row in zip(paths, labels.tolist()):
            assert rows.setdefault(path, row) == row
    return rows
