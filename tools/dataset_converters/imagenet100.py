"""Convert an ImageNet subset (e.g. ImageNet-100) to HashNet list files.

Protocol (HashNet paper, Sec. 4.1): the database is every training image of
the chosen classes, the queries are their validation images (50 a class),
the training set is --train-per-class images a class sampled from the
database. The default, 100, is the paper's; the released HashNet lists
have 130 a class (13,000 images): pass --train-per-class 130 for those.
Labels are one-hot, in the order of the class file.

Layout expected under --data-root:
    train/<wnid>/*.JPEG
    val/<wnid>/*.JPEG            or a flat val/ with --val-list

Validation is no extra list: the dataset configs hold 1,000 of train.txt's
images (10 a class) out as validation queries (``HashListDataset``
``subset`` / ``val_queries``), ranked against the rest, which is trained on.
"""
import argparse
import os
import os.path as osp

import numpy as np

from hashnet_mm.datasets.fashion_mnist import balanced_split
from hashnet_mm.datasets.list_files import (check_images_exist,
                                            describe_splits, numbered_lines,
                                            write_splits)
from hashnet_mm.datasets.validation_split import describe_validation

IMAGE_EXTENSIONS = ('.jpeg', '.jpg', '.png')


def read_classes(path, data_root):
    """The class file's wnids, each with a folder under ``train/``."""
    wnids = []
    for no, wnid in numbered_lines(path, unique=lambda wnid: wnid):
        if not osp.isdir(osp.join(data_root, 'train', wnid)):
            raise FileNotFoundError(f'{path}:{no}: no folder train/{wnid} '
                                    f'under {data_root}')
        wnids.append(wnid)
    if not wnids:
        raise ValueError(f'{path}: no classes listed')
    return wnids


def list_images(data_root, folder):
    """Image files in ``data_root/folder``, relative to ``data_root``."""
    names = sorted(os.listdir(osp.join(data_root, folder)))
    return [
        f'{folder}/{name}' for name in names
        if name.lower().endswith(IMAGE_EXTENSIONS)
    ]


def read_val_list(path, data_root):
    """``{wnid: [val/<file>, ...]}`` from lines ``file wnid`` or ``file
    index`` (index into the sorted ``train/`` folders, as mmpretrain's
    ``meta/val.txt``)."""
    all_wnids = sorted(os.listdir(osp.join(data_root, 'train')))
    by_class = {}
    for no, line in numbered_lines(path):
        tokens = line.split()
        if len(tokens) != 2:
            raise ValueError(f'{path}:{no}: expected "file class", got '
                             f'{line!r}')
        name, cls = tokens
        if cls.isdigit():
            if int(cls) >= len(all_wnids):
                raise ValueError(f'{path}:{no}: class index {cls} out of '
                                 f'range ({len(all_wnids)} train folders)')
            cls = all_wnids[int(cls)]
        by_class.setdefault(cls, []).append(f'val/{name}')
    return by_class


def convert(data_root, class_file, val_list=None):
    """Paths and one-hot labels of the query (val) images followed by the
    database (train) images, and the number of queries."""
    wnids = read_classes(class_file, data_root)
    val_by_class = read_val_list(val_list, data_root) if val_list else None
    query, database = [], []
    for c, wnid in enumerate(wnids):
        if val_by_class is None:
            if not osp.isdir(osp.join(data_root, 'val', wnid)):
                raise FileNotFoundError(f'{class_file}: no folder val/{wnid} '
                                        f'under {data_root}')
            val = list_images(data_root, f'val/{wnid}')
        else:
            val = sorted(val_by_class.get(wnid, []))
        if not val:
            raise ValueError(f'{class_file}: class {wnid} has no validation '
                             'images')
        query += [(path, c) for path in val]
        database += [(path, c)
                     for path in list_images(data_root, f'train/{wnid}')]
    entries = query + database
    labels = np.eye(len(wnids), dtype=np.int64)[[c for _, c in entries]]
    return [path for path, _ in entries], labels, len(query), wnids


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--data-root', default='data/imagenet')
    parser.add_argument(
        '--classes',
        required=True,
        help='file with one wnid a line (e.g. 100 of them)')
    parser.add_argument(
        '--val-list',
        help='for a flat val/ folder: lines "file wnid" or '
        '"file class-index"')
    parser.add_argument(
        '--train-per-class',
        type=int,
        default=100,
        help='100 (paper, default) or 130 (released lists)')
    parser.add_argument(
        '--out', help='where the lists go (DATA_ROOT/imagenet100)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    paths, labels, num_query, wnids = convert(args.data_root, args.classes,
                                              args.val_list)
    if args.val_list:
        check_images_exist(args.data_root, paths[:num_query],
                           [args.val_list] * num_query)
    database = np.arange(num_query, len(paths))
    db_classes = labels[database].argmax(axis=1)
    counts = np.bincount(db_classes, minlength=len(wnids))
    short = np.flatnonzero(counts < args.train_per_class)
    if len(short):
        raise ValueError(f'{args.classes}: class {wnids[short[0]]} has '
                         f'{counts[short[0]]} training images, fewer than '
                         f'--train-per-class {args.train_per_class}')
    train = balanced_split(
        db_classes, 0, args.train_per_class * len(wnids),
        seed=args.seed)['train']
    splits = {
        'query': np.arange(num_query),
        'train': database[train],
        'database': database
    }
    out = args.out or osp.join(args.data_root, 'imagenet100')
    write_splits(out, paths, labels, splits)
    print(f'ImageNet subset: {len(wnids)} classes; written to {out}: '
          f'{describe_splits(splits)}')
    print(describe_validation(len(splits['train'])))
    return splits


if __name__ == '__main__':
    main()
