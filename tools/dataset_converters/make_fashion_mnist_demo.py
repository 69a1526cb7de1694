"""Rebuild hashnet_mm/datasets/demo_data/fashion_mnist_demo.npz.

A balanced Fashion-MNIST subset (seed 0): 1,000 query, 5,000 train and
10,000 database images, disjoint, keeping only the 16,000 images used. The
demo config holds 500 of the training images out for validation
(``HashListDataset`` ``subset`` / ``val_queries``).
"""
import argparse
import os

import numpy as np

from hashnet_mm.datasets.fashion_mnist import (balanced_split,
                                               load_fashion_mnist)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

DEFAULT_OUT = os.path.join(ROOT, 'hashnet_mm', 'datasets', 'demo_data',
                           'fashion_mnist_demo.npz')
MAX_BYTES = 8_000_000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--source',
        default='/usr/share/datasets/fashion-mnist',
        help='directory with the four Fashion-MNIST IDX files')
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)

    images, labels = load_fashion_mnist(args.source)
    splits = balanced_split(labels, 1000, 5000, 10000, seed=args.seed)
    used = np.concatenate(list(splits.values()))
    used.sort()
    # Re-index the splits into the kept subset (``used`` is sorted).
    subset = {name: np.searchsorted(used, idx) for name, idx in splits.items()}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez_compressed(
        args.out, images=images[used], labels=labels[used], **subset)
    size = os.path.getsize(args.out)
    print(', '.join(f'{k}: {len(v)}' for k, v in subset.items()))
    print(f'wrote {args.out}: {size / 1e6:.2f} MB ({size} bytes)')
    if size > MAX_BYTES:
        print(f'WARNING: over the {MAX_BYTES / 1e6:.0f} MB limit')


if __name__ == '__main__':
    main()
