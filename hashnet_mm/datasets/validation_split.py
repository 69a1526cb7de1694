"""Validation queries drawn from the training images, seed-fixed.

Selection (the best checkpoint, early stopping, a sweep, a default chosen by
measurement) ranks validation queries against the rest of the training
images; training uses only that rest, and the test queries and database are
only reported. The split is stratified: each stratum (a class for
single-label data; for multi-label data the rarest label an image has, and
one stratum for images with no label) gives its share of the queries, the
shares rounded by largest remainder so they add up to ``num_queries``.

Ranked against trained-on images, validation favours losses that pull the
training images onto class targets (their codes of seen images are tighter
than of unseen ones); to rank *methods* on validation, hold a validation
database out of training as well (``val_database``), so validation
queries and database are both unseen, as the test's are.

The shipped dataset configs hold out ``val_queries='auto'`` images
(:func:`default_val_queries`: 10 % of the training list, at most 1,000)
through ``HashListDataset``'s ``subset`` / ``val_queries`` / ``val_seed`` /
``val_database`` (0: the validation database is the trained-on rest); the
converters print that size.
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


def stratified_draw(strata: np.ndarray, candidates: np.ndarray, count: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``count`` of the ``candidates`` (indices into ``strata``), each stratum
    giving its share (largest remainder; ties to the larger stratum, then
    the lower id), drawn by ``rng``; sorted."""
    ids, counts = np.unique(strata[candidates], return_counts=True)
    exact = counts * count / len(candidates)
    share = np.floor(exact).astype(np.int64)
    order = np.lexsort((ids, -counts, -(exact - share)))
    share[order[:count - share.sum()]] += 1
    drawn = [
        rng.permutation(candidates[strata[candidates] == s])[:k]
        for s, k in zip(ids, share)
    ]
    return np.sort(np.concatenate(drawn))


def validation_split(labels,
                     num_queries: int,
                     seed: int = 0,
                     num_database: int = 0) -> Dict[str, np.ndarray]:
    """Split the training images into ``'query'`` (``num_queries``
    validation queries), ``'database'`` (what they are ranked against) and
    ``'rest'`` (the images trained on), as sorted indices into ``labels``.

    ``num_database=0``: the validation database is the rest itself, the
    trained-on images. ``num_database > 0`` holds that many more images out
    of training as the validation database, so validation ranks unseen
    queries against unseen images, as the test does. Both draws are
    stratified by :func:`label_strata`; the queries do not depend on
    ``num_database``."""
    strata = label_strata(labels)
    n = len(strata)
    if not 0 < num_queries < n:
        raise ValueError(f'num_queries must be between 1 and {n - 1} (the '
                         f'{n} training images less one), got {num_queries}')
    if not 0 <= num_database < n - num_queries:
        raise ValueError(
            f'num_database must be between 0 and {n - num_queries - 1} (the '
            f'{n} training images less the {num_queries} queries, less '
            f'one to train on), got {num_database}')
    rng = np.random.default_rng(seed)
    query = stratified_draw(strata, np.arange(n), num_queries, rng)
    rest = np.setdiff1d(np.arange(n), query, assume_unique=True)
    if num_database == 0:
        return {'query': query, 'database': rest, 'rest': rest}
    database = stratified_draw(strata, rest, num_database, rng)
    rest = np.setdiff1d(rest, database, assume_unique=True)
    return {'query': query, 'database': database, 'rest': rest}


#: The parts of a training list a dataset can be asked for.
SUBSETS = ('all', 'train', 'val_query', 'val_database')
#: A dataset's settings that pick its part of a training list.
SPLIT_SETTINGS = ('subset', 'val_queries', 'val_seed', 'val_database')
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


def is_count(value) -> bool:
    """Whether ``value`` is an integer >= 0 (a bool is not)."""
    return not isinstance(value, bool) and isinstance(
        value, (int, np.integer)) and value >= 0


def resolve_val_queries(val_queries, num_train: int) -> int:
    """``val_queries`` as a number of images: an integer >= 0 as it is,
    ``'auto'`` as :func:`default_val_queries` of the list's length."""
    if val_queries == AUTO:
        return default_val_queries(num_train)
    if not is_count(val_queries):
        raise ValueError("val_queries must be an integer >= 0 or 'auto', "
                         f'got {val_queries!r}')
    return int(val_queries)


def check_val_database(val_database) -> int:
    """``val_database`` (the number of training images held out as the
    validation database; 0: none, validation ranks against the trained-on
    images) checked to be an integer >= 0."""
    if not is_count(val_database):
        raise ValueError('val_database must be an integer >= 0, got '
                         f'{val_database!r}')
    return int(val_database)


def subset_indices(labels,
                   subset: str,
                   val_queries,
                   val_seed: int = 0,
                   val_database: int = 0) -> np.ndarray:
    """Indices of one part of a training list: ``'all'``; ``'val_query'``,
    the :func:`validation_split` queries; ``'val_database'``, what they are
    ranked against; or ``'train'``, the images trained on. ``val_queries``
    is a number of images or ``'auto'`` (:func:`default_val_queries`); 0
    holds nothing out, so ``'train'`` is every image and the validation
    subsets an error. ``val_database`` images are held out of training as
    the validation database; with 0 (default) it is ``'train'`` itself."""
    n = len(labels)
    if subset not in SUBSETS:
        raise ValueError(f'subset must be one of {SUBSETS}, got {subset!r}')
    val_queries = resolve_val_queries(val_queries, n)
    val_database = check_val_database(val_database)
    if subset == 'all' or (subset == 'train' and val_queries == 0
                           and val_database == 0):
        return np.arange(n)
    if val_queries == 0:
        raise ValueError(f'subset={subset!r} needs val_queries > 0 (the '
                         'number of validation queries to hold out)')
    part = dict(val_query='query', val_database='database', train='rest')
    return validation_split(labels, val_queries, val_seed,
                            val_database)[part[subset]]


def describe_validation(num_train: int, list_file: str = 'train.txt') -> str:
    """The line the dataset converters print about the validation split."""
    n = default_val_queries(num_train)
    return (f'validation: no extra list; the dataset configs hold '
            f'validation queries out of {list_file} (HashListDataset subset '
            f"/ val_queries='auto' / val_seed=0, stratified by label): 10 % "
            f'of the list, at most {MAX_VAL_QUERIES}, so {n} of these '
            f'{num_train} images, leaving {num_train - n} to train on')
