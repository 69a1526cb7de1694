"""Validation queries from the training images, against a plain reference."""
from collections import Counter

import numpy as np
import pytest

from hashnet_mm.datasets.validation_split import label_strata, validation_split


def reference_strata(labels):
    labels = np.asarray(labels)
    if labels.ndim == 1:
        return list(labels)
    freq = (labels > 0).sum(0)
    out = []
    for row in labels:
        present = [c for c in range(labels.shape[1]) if row[c] > 0]
        out.append(
            min(present, key=lambda c:
                (freq[c], c)) if present else labels.shape[1])
    return out


def test_strata_single_and_multi_label():
    assert list(label_strata([3, 1, 3])) == [3, 1, 3]
    multi = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 0, 1], [1, 1, 0]])
    assert list(
        label_strata(multi)) == reference_strata(multi) == [1, 0, 3, 2, 1]


def test_strata_reject_other_shapes():
    with pytest.raises(ValueError, match='shape'):
        label_strata(np.zeros((2, 2, 2)))


@pytest.mark.parametrize('num_queries', [1, 7, 50, 99])
def test_split_is_disjoint_complete_and_stratified(num_queries):
    rng = np.random.default_rng(3)
    labels = rng.choice(5, size=100, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    split = validation_split(labels, num_queries, seed=1)
    q, r = split['query'], split['rest']
    assert len(q) == num_queries and len(q) + len(r) == 100
    assert not set(q) & set(r) and (np.diff(q) > 0).all()
    counts = Counter(labels)
    got = Counter(labels[q])
    for c, n in counts.items():  # each share within one of exact
        assert abs(got.get(c, 0) - n * num_queries / 100) < 1


def test_split_is_deterministic_for_a_seed_and_varies_with_it():
    labels = np.arange(1000) % 10
    a = validation_split(labels, 100, seed=0)['query']
    assert np.array_equal(a, validation_split(labels, 100, seed=0)['query'])
    assert not np.array_equal(a,
                              validation_split(labels, 100, seed=1)['query'])
    assert (np.bincount(labels[a]) == 10).all()


def test_multi_label_with_unlabelled_images():
    labels = np.zeros((40, 3), np.int64)
    labels[:20, 0] = 1
    labels[10:20, 2] = 1  # rarer label: its stratum
    split = validation_split(labels, 8, seed=0)
    strata = label_strata(labels)[split['query']]
    assert sorted(Counter(strata).items()) == [(0, 2), (2, 2), (3, 4)]


@pytest.mark.parametrize('num_queries', [0, 10, -1])
def test_sizes_out_of_range(num_queries):
    with pytest.raises(ValueError, match='num_queries'):
        validation_split(np.arange(10), num_queries)


def test_subsets_partition_the_list():
    from hashnet_mm.datasets.validation_split import subset_indices
    labels = np.arange(60) % 6
    q = subset_indices(labels, 'val_query', 12, val_seed=2)
    t = subset_indices(labels, 'train', 12, val_seed=2)
    assert np.array_equal(np.sort(np.concatenate([q, t])), np.arange(60))
    assert np.array_equal(q, validation_split(labels, 12, 2)['query'])
    assert np.array_equal(subset_indices(labels, 'all', 12), np.arange(60))
    assert np.array_equal(subset_indices(labels, 'train', 0), np.arange(60))
    with pytest.raises(ValueError, match='val_queries > 0'):
        subset_indices(labels, 'val_query', 0)
    with pytest.raises(ValueError, match='subset must be one of'):
        subset_indices(labels, 'test', 12)


def test_default_size_rule():
    from hashnet_mm.datasets.validation_split import (default_val_queries,
                                                      describe_validation)
    assert [default_val_queries(n) for n in (5000, 10000, 13000, 30, 3)] == \
        [500, 1000, 1000, 3, 1]
    line = describe_validation(5000)
    assert '500 of these 5000 images, leaving 4500 to train on' in line


def test_auto_size_and_bad_sizes():
    from hashnet_mm.datasets.validation_split import (resolve_val_queries,
                                                      subset_indices)
    labels = np.arange(200) % 4
    assert len(subset_indices(labels, 'val_query', 'auto')) == 20
    assert resolve_val_queries(np.int64(3), 10) == 3
    for bad in (-1, 0.5, True, 'all'):
        with pytest.raises(ValueError, match="integer >= 0 or 'auto'"):
            subset_indices(labels, 'train', bad)


@pytest.mark.parametrize('num_queries,num_database', [(1, 1), (10, 30),
                                                      (20, 79)])
def test_held_out_database_is_disjoint_stratified_and_keeps_the_queries(
        num_queries, num_database):
    rng = np.random.default_rng(4)
    labels = rng.choice(4, size=100, p=[0.4, 0.3, 0.2, 0.1])
    split = validation_split(labels, num_queries, 2, num_database)
    q, d, r = split['query'], split['database'], split['rest']
    assert (len(q), len(d), len(r)) == (num_queries, num_database,
                                        100 - num_queries - num_database)
    assert np.array_equal(np.sort(np.concatenate([q, d, r])), np.arange(100))
    assert (np.diff(d) > 0).all()
    assert np.array_equal(q, validation_split(labels, num_queries, 2)['query'])
    # Each class's share of the database within one of exact, among the
    # images left after the queries.
    left = np.setdiff1d(np.arange(100), q)
    for c in range(4):
        exact = (labels[left] == c).sum() * num_database / len(left)
        assert abs((labels[d] == c).sum() - exact) < 1


def test_without_held_out_database_it_is_the_rest():
    labels = np.arange(50) % 5
    split = validation_split(labels, 10, 0)
    assert np.array_equal(split['database'], split['rest'])
    assert len(split['rest']) == 40


@pytest.mark.parametrize('num_database', [-1, 90, 91])
def test_database_sizes_out_of_range(num_database):
    with pytest.raises(
            ValueError, match='num_database must be between 0 '
            'and 89'):
        validation_split(np.arange(100) % 3, 10, 0, num_database)


def test_val_database_subsets():
    from hashnet_mm.datasets.validation_split import subset_indices
    labels = np.arange(60) % 6
    parts = [
        subset_indices(labels, s, 12, 2, val_database=18)
        for s in ('val_query', 'val_database', 'train')
    ]
    assert [len(p) for p in parts] == [12, 18, 30]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(60))
    assert np.array_equal(
        subset_indices(labels, 'val_database', 12, 2),
        subset_indices(labels, 'train', 12, 2))
    with pytest.raises(ValueError, match="subset='val_database' needs"):
        subset_indices(labels, 'val_database', 0)
    for bad in (-1, 0.5, True, 'auto'):
        with pytest.raises(
                ValueError, match='val_database must be an '
                'integer >= 0'):
            subset_indices(labels, 'train', 12, val_database=bad)
