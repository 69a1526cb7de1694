"""Write the shipped Fashion-MNIST demo subset out in list-file format.

Usage: ``python -m hashnet_mm.datasets.demo --out data/fashion_mnist_demo``

The demo config validates on 500 of the 5,000 training images, held out by
the dataset (``HashListDataset`` ``subset`` / ``val_queries``), not by a
list file of their own.
"""
import argparse
import os

import numpy as np

from hashnet_mm.datasets.fashion_mnist import CLASSES, write_list_dataset
from hashnet_mm.datasets.validation_split import describe_validation

DEMO_NPZ = os.path.join(
    os.path.dirname(__file__), 'demo_data', 'fashion_mnist_demo.npz')
SPLITS = ('query', 'train', 'database')


def _count_lines(path):
    with open(path, 'rb') as f:
        return sum(1 for _ in f)


def materialize_demo(out_dir):
    """Write the demo subset (images + list files) into ``out_dir``, unless
    it already holds list files with the right line counts. Returns
    ``{split: list-file path}``."""
    with np.load(DEMO_NPZ) as data:
        splits = {name: data[name] for name in SPLITS}
        paths = {name: os.path.join(out_dir, f'{name}.txt') for name in SPLITS}
        if all(
                os.path.isfile(p) and _count_lines(p) == len(splits[name])
                for name, p in paths.items()):
            print(f'Fashion-MNIST demo already in {out_dir}')
            return paths
        paths = write_list_dataset(out_dir, data['images'], data['labels'],
                                   splits, len(CLASSES))
    sizes = ', '.join(f'{name} {len(idx)}' for name, idx in splits.items())
    print(f'Fashion-MNIST demo written to {out_dir}: {sizes}')
    print(describe_validation(len(splits['train'])))
    return paths


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/fashion_mnist_demo')
    materialize_demo(parser.parse_args().out)
