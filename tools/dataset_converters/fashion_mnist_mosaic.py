"""Build the multi-label Fashion-MNIST mosaic benchmark (56x56 PNGs).

Each image is a 2x2 grid of tiles, each tile a Fashion-MNIST item or empty;
its labels are the classes present. Item classes are drawn with class 0
--imbalance times as likely as class 9, so the benchmark is multi-label and
imbalanced, and fully offline. Query mosaics are tiled from the 10,000 test
items, database mosaics from the 60,000 training items (no item is shared
between query and database); the training mosaics are sampled from the
database, as in the MS-COCO protocol. Everything follows from --seed.
Validation is no extra list: the dataset configs hold 500 of the 5,000
training mosaics out as validation queries (``HashListDataset`` ``subset``
/ ``val_queries``).
"""
import argparse

import numpy as np

from hashnet_mm.datasets.fashion_mnist import (CLASSES, FILES, find_idx_file,
                                               load_fashion_mnist, read_idx)
from hashnet_mm.datasets.list_files import describe_splits, write_image_arrays
from hashnet_mm.datasets.mosaic import make_mosaics
from hashnet_mm.datasets.retrieval_splits import random_split
from hashnet_mm.datasets.validation_split import describe_validation


def build(images, labels, num_train_items, num_query, num_train, num_database,
          seed, empty_prob, imbalance):
    """Mosaics (query first, then database), their labels and the splits:
    queries tiled from the items after ``num_train_items`` (the test set),
    the database from the items before."""
    query_seed, database_seed, split_seed = \
        np.random.SeedSequence(seed).spawn(3)
    options = dict(
        empty_prob=empty_prob, imbalance=imbalance, num_classes=len(CLASSES))
    query, query_labels, _ = make_mosaics(images[num_train_items:],
                                          labels[num_train_items:], num_query,
                                          query_seed, **options)
    database, database_labels, _ = make_mosaics(images[:num_train_items],
                                                labels[:num_train_items],
                                                num_database, database_seed,
                                                **options)
    train = random_split(num_database, 0, num_train,
                         int(split_seed.generate_state(1)[0]))['train']
    splits = {
        'query': np.arange(num_query),
        'train': num_query + train,
        'database': num_query + np.arange(num_database)
    }
    return (np.concatenate([query, database]),
            np.concatenate([query_labels, database_labels]), splits)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--source',
        default='/usr/share/datasets/fashion-mnist',
        help='directory with the four IDX files (.gz or not)')
    parser.add_argument('--out', default='data/fashion_mnist_mosaic')
    parser.add_argument('--num-query', type=int, default=1000)
    parser.add_argument('--num-train', type=int, default=5000)
    parser.add_argument('--num-database', type=int, default=20000)
    parser.add_argument(
        '--empty-prob',
        type=float,
        default=0.5,
        help='probability that a tile is empty')
    parser.add_argument(
        '--imbalance',
        type=float,
        default=10.,
        help='how much likelier class 0 is than class 9')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, labels = load_fashion_mnist(args.source)
    num_train_items = len(read_idx(find_idx_file(args.source, FILES[1])))
    mosaics, multi_hot, splits = build(images, labels, num_train_items,
                                       args.num_query, args.num_train,
                                       args.num_database, args.seed,
                                       args.empty_prob, args.imbalance)
    write_image_arrays(args.out, mosaics, multi_hot, splits)
    frequency = multi_hot.mean(axis=0)
    print(f'Fashion-MNIST mosaics written to {args.out}: '
          f'{describe_splits(splits)}; {multi_hot.sum(1).mean():.2f} labels '
          'an image; label frequency ' + ' '.join(f'{f:.2f}'
                                                  for f in frequency))
    print(describe_validation(len(splits['train'])))
    return splits


if __name__ == '__main__':
    main()
