"""Convert the full Fashion-MNIST (70,000 images) to HashNet list files.

Protocol: balanced query and train sets (seed-fixed); the database is every
other image (plus the train set with ``--database-includes-train``).
Validation is no extra list: the dataset configs hold 10 % of train.txt (at
most 1,000; 500 of the default 5,000) out as validation queries
(``HashListDataset`` ``subset`` / ``val_queries``).
"""
import argparse
import os

from hashnet_mm.datasets.fashion_mnist import (CLASSES, load_fashion_mnist,
                                               write_list_dataset)
from hashnet_mm.datasets.list_files import describe_splits
from hashnet_mm.datasets.retrieval_splits import balanced_protocol
from hashnet_mm.datasets.validation_split import describe_validation


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    src = parser.add_mutually_exclusive_group()
    src.add_argument(
        '--source',
        default='/usr/share/datasets/fashion-mnist',
        help='directory with the four IDX files (.gz or not)')
    src.add_argument(
        '--download',
        metavar='ROOT',
        help='download with torchvision into ROOT and use it')
    parser.add_argument('--out', default='data/fashion_mnist')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-query', type=int, default=1000)
    parser.add_argument('--num-train', type=int, default=5000)
    parser.add_argument(
        '--database-includes-train',
        action='store_true',
        help='put the train images into the database too')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    source = args.source
    if args.download:
        from torchvision.datasets import FashionMNIST
        for train in (True, False):
            FashionMNIST(args.download, train=train, download=True)
        source = os.path.join(args.download, 'FashionMNIST', 'raw')
    images, labels = load_fashion_mnist(source)
    splits = balanced_protocol(labels, args.num_query, args.num_train,
                               args.seed, args.database_includes_train)
    write_list_dataset(args.out, images, labels, splits, len(CLASSES))
    print(f'Fashion-MNIST from {source} written to {args.out}: '
          f'{describe_splits(splits)}')
    print(describe_validation(len(splits['train'])))
    return splits


if __name__ == '__main__':
    main()
