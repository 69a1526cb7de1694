"""Validation queries drawn from the training images, seed-fixed.

Selection (the best checkpoint, early stopping, a sweep, a default chosen by
measurement) ranks validation queries against the rest of the training
images; training uses only that rest, and the test queries and database are
only reported. The split is stratified: each stratum (a class for
single-label data; for multi-label data the rarest label an image has, and
one stratum for images with no label) gives its share of the queries, the
shares rounded by largest remainder so they add up to ``num_queries``.

The shipped dataset configs hold out ``val_queries='auto'`` images
(:func:`default_val_queries`: 10 % of the training list, at most 1,000)
through ``HashListDataset``'s ``subset`` / ``val_queries`` / ``val_seed``;
the converters print that size.
"""
from typing import Dict

import numpy as np


def label_strata(labels) -> np.ndarray:
    """One stratum id per image: the class index of (N,) class labels, or,
    for (N, C) multi-hot labels, the image's least frequent label (ties to
    the lower index), and C for an image with no label."""
    labels = np.asarray(labels)
    if labels.ndim == 1:
        return labels.astype(np.int64)
    if labels.ndim != 2:
        raise ValueError(f'labels must be (N,) class indices or (N, C) '
                         f'multi-hot rows, got shape {labels.shape}')
    positive = labels > 0
    frequency = positive.sum(axis=0)
    # Absent labels cost more than any count, so argmin picks the rarest
    # label the image has; a row with none falls to the extra stratum C.
    cost = np.where(positive, frequency[None, :], np.iinfo(np.int64).max)
    strata = cost.argmin(axis=1)
    strata[~positive.any(axis=1)] = labels.shape[1]
    return strata.astype(np.int64)


def validation_split(labels,
                     num_queries: int,
                     seed: int = 0) -> Dict[str, np.ndarray]:
    """Split the training images into ``'query'`` (``num_queries`` validation
    queries, stratified by :func:`label_strata`) and ``'rest'`` (every other
    training image: the validation database and the images trained on),
    both as sorted indices into ``labels``."""
    strata = label_strata(labels)
    n = len(strata)
    if not 0 < num_queries < n:
        raise ValueError(f'num_queries must be between 1 and {n - 1} (the '
                         f'{n} training images less one), got {num_queries}')
    ids, counts = np.unique(strata, return_counts=True)
    exact = counts * num_queries / n
    share = np.floor(exact).astype(np.int64)
    # Largest remainder; ties to the larger stratum, then the lower id.
    order = np.lexsort((ids, -counts, -(exact - share)))
    share[order[:num_queries - share.sum()]] += 1
    rng = np.random.default_rng(seed)
    query = [
        rng.permutation(np.flatnonzero(strata == s))[:k]
        for s, k in zip(ids, share)
    ]
    query = np.sort(np.concatenate(query))
    rest = np.setdiff1d(np.arange(n), query, assume_unique=True)
    return {'query': query, 'rest': rest}


#: The parts of a training list a dataset can be asked for.
SUBSETS = ('all', 'train', 'val_query')
#: The validation size rule: this fraction of the training list, at most
#: :data:`MAX_VAL_QUERIES` images (``val_queries='auto'``).
VAL_FRACTION = 0.1
MAX_VAL_QUERIES = 1000
AUTO = 'auto'


def default_val_queries(num_train: int) -> int:
    """The validation size of ``val_queries='auto'`` (the shipped configs'
    setting) for a training list of ``num_train`` images: 10 % of it,
    rounded, at most 1,000 (500 for the 5,000-image lists, 1,000 for
    10,000 or more); at least 1."""
    return max(1, min(MAX_VAL_QUERIES, round(num_train * VAL_FRACTION)))


def resolve_val_queries(val_queries, num_train: int) -> int:
    """``val_queries`` as a number of images: an integer >= 0 as it is,
    ``'auto'`` as :func:`default_val_queries` of the list's length."""
    if val_queries == AUTO:
        return default_val_queries(num_train)
    if isinstance(
            val_queries,
            bool) or not isinstance(val_queries,
                                    (int, np.integer)) or val_queries < 0:
        raise ValueError("val_queries must be an integer >= 0 or 'auto', "
                         f'got {val_queries!r}')
    return int(val_queries)


def subset_indices(labels,
                   subset: str,
                   val_queries,
                   val_seed: int = 0) -> np.ndarray:
    """Indices of one part of a training list: ``'all'``; ``'val_query'``,
    the :func:`validation_split` queries; or ``'train'``, the rest (trained
    on, and the validation database). ``val_queries`` is a number of images
    or ``'auto'`` (:func:`default_val_queries`); 0 holds nothing out, so
    ``'train'`` is every image and ``'val_query'`` an error."""
    n = len(labels)
    if subset not in SUBSETS:
        raise ValueError(f'subset must be one of {SUBSETS}, got {subset!r}')
    val_queries = resolve_val_queries(val_queries, n)
    if subset == 'all' or (subset == 'train' and val_queries == 0):
        return np.arange(n)
    if val_queries == 0:
        raise ValueError("subset='val_query' needs val_queries > 0 (the "
                         'number of validation queries to hold out)')
    part = 'query' if subset == 'val_query' else 'rest'
    return validation_split(labels, val_queries, val_seed)[part]


def describe_validation(num_train: int, list_file: str = 'train.txt') -> str:
    """The line the dataset converters print about the validation split."""
    n = default_val_queries(num_train)
    return (f'validation: no extra list; the dataset configs hold '
            f'validation queries out of {list_file} (HashListDataset subset '
            f"/ val_queries='auto' / val_seed=0, stratified by label): 10 % "
            f'of the list, at most {MAX_VAL_QUERIES}, so {n} of these '
            f'{num_train} images, leaving {num_train - n} to train on')
