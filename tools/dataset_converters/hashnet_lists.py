"""Use the list files released with HashNet (train.txt, test.txt,
database.txt) as they are, with paths made relative to your data root.

The released lists hold the authors' absolute paths, e.g.
/home/.../dataset/coco/train2014/COCO_train2014_000000440877.jpg 0 1 ...
This strips the directory common to every path in the given files (or
--strip-prefix) and writes the lines otherwise unchanged to --out, test.txt
renamed query.txt. Each line is checked: 0/1 labels, the same width on every
line, no path twice in a file, and (with --data-root) the image exists.

    python tools/dataset_converters/hashnet_lists.py \\
        HashNet/pytorch/data/coco/{train,test,database}.txt \\
        --out data/coco --data-root data/coco

Validation is no extra list: the dataset configs hold 10 % of train.txt (at
most 1,000) out as validation queries (``HashListDataset`` ``subset`` /
``val_queries``).
"""
import argparse
import os.path as osp

import numpy as np

from hashnet_mm.datasets.list_files import (check_images_exist, numbered_lines,
                                            write_list_file)
from hashnet_mm.datasets.validation_split import describe_validation

RENAME = {'test': 'query'}


def read_released(path):
    """Paths and (N, C) labels of a released list file."""
    paths, rows = [], []
    for no, line in numbered_lines(path, unique=lambda line: line.split()[0]):
        tokens = line.split()
        if len(tokens) < 3 or rows and len(tokens) - 1 != len(rows[0]):
            width = len(rows[0]) if rows else 'at least 2'
            raise ValueError(f'{path}:{no}: expected a path and {width} 0/1 '
                             f'labels, got {len(tokens) - 1} labels')
        bad = [t for t in tokens[1:] if t not in ('0', '1')]
        if bad:
            raise ValueError(f'{path}:{no}: labels must be 0 or 1, got '
                             f'{bad[0]!r}')
        paths.append(tokens[0])
        rows.append([int(t) for t in tokens[1:]])
    if not rows:
        raise ValueError(f'{path}: no images listed')
    return paths, np.array(rows, dtype=np.int64)


def relative_paths(paths, prefix, where):
    out = []
    for i, path in enumerate(paths):
        rel = osp.relpath(path, prefix)
        if rel.startswith('..'):
            raise ValueError(f'{where}: entry {i}: {path} is not under '
                             f'{prefix}')
        out.append(rel)
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('lists', nargs='+', help='released list files')
    parser.add_argument('--out', required=True)
    parser.add_argument(
        '--strip-prefix',
        help='directory to make paths relative to (default: '
        'the one common to all paths)')
    parser.add_argument(
        '--data-root', help='check that every image exists under it')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    released = {path: read_released(path) for path in args.lists}
    prefix = args.strip_prefix or osp.commonpath(
        [osp.dirname(p) for paths, _ in released.values() for p in paths])
    written = {}
    for path, (paths, labels) in released.items():
        rel = relative_paths(paths, prefix, path)
        if args.data_root:
            check_images_exist(args.data_root, rel, [path] * len(rel))
        name = osp.splitext(osp.basename(path))[0]
        out = osp.join(args.out, RENAME.get(name, name) + '.txt')
        write_list_file(out, rel, labels)
        written[out] = len(rel)
    print(f'stripped {prefix}/; wrote ' +
          ', '.join(f'{out} ({n})' for out, n in written.items()))
    for out, n in written.items():
        if osp.basename(out) == 'train.txt':
            print(describe_validation(n))
    return written


if __name__ == '__main__':
    main()
