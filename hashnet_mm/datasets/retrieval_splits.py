"""Query / train / database splits of the hashing benchmarks, seed-fixed.

Two protocols (HashNet paper, Sec. 4.1):

- multi-label sets (MS-COCO, NUS-WIDE): random queries, every other image
  in the database, the training images sampled from the database;
- single-label sets (CIFAR-10, Fashion-MNIST): per-class balanced queries
  and training images, the database is the rest (optionally plus train).
"""
from typing import Dict

import numpy as np

from .fashion_mnist import balanced_split


def random_split(num_images: int,
                 num_query: int,
                 num_train: int,
                 seed: int = 0) -> Dict[str, np.ndarray]:
    """``num_query`` random queries; the database is every other image; the
    ``num_train`` training images are a random subset of the database.
    Each split is returned as sorted indices."""
    for name, size in (('num_query', num_query), ('num_train', num_train)):
        if size < 0:
            raise ValueError(f'{name} must be >= 0, got {size}')
    if num_query + num_train > num_images:
        raise ValueError(f'{num_query} query + {num_train} train images '
                         f'need more than the {num_images} images there are')
    order = np.random.default_rng(seed).permutation(num_images)
    return {
        'query': np.sort(order[:num_query]),
        'train': np.sort(order[num_query:num_query + num_train]),
        'database': np.sort(order[num_query:]),
    }


def balanced_protocol(
        labels,
        num_query: int,
        num_train: int,
        seed: int = 0,
        database_includes_train: bool = False) -> Dict[str, np.ndarray]:
    """Class-balanced query and train sets; the database is every other
    image, plus the train set with ``database_includes_train``."""
    splits = balanced_split(labels, num_query, num_train, seed=seed)
    if database_includes_train:
        splits['database'] = np.sort(
            np.concatenate([splits['train'], splits['database']]))
    return splits
