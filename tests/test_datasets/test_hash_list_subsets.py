"""HashListDataset's subset option: validation queries from any list."""
import os.path as osp

import numpy as np
import pytest

import hashnet_mm  # noqa: F401
from hashnet_mm.datasets import HashListDataset
from hashnet_mm.datasets.validation_split import validation_split
from ..tiny_data import one_hot, write_tiny_dataset


@pytest.fixture
def single_label_list(tmp_path):
    """40 images of 4 classes (10 each), list file train.txt with a class
    index a line."""
    classes = np.repeat(np.arange(4),
                        10)[np.random.default_rng(2).permutation(40)]
    write_tiny_dataset(str(tmp_path), {'train': one_hot(classes, 4)}, size=8)
    with open(tmp_path / 'train.txt') as f:
        lines = [line.split()[0] for line in f if line.strip()]
    with open(tmp_path / 'train.txt', 'w') as f:
        f.writelines(f'{path} {c}\n' for path, c in zip(lines, classes))
    return str(tmp_path), classes


def paths(dataset):
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def build(root,
          subset,
          val_queries=8,
          val_seed=0,
          ann_file='train.txt',
          **kwargs):
    return HashListDataset(
        ann_file=ann_file,
        data_root=root,
        subset=subset,
        val_queries=val_queries,
        val_seed=val_seed,
        **kwargs)


def test_subsets_sizes_disjoint_and_complete(single_label_list):
    root, classes = single_label_list
    every = paths(HashListDataset(ann_file='train.txt', data_root=root))
    query = build(root, 'val_query')
    train = build(root, 'train')
    assert len(query) == 8 and len(train) == 32
    assert not set(paths(query)) & set(paths(train))
    assert sorted(paths(query) + paths(train)) == sorted(every)
    # Stratified: 2 of each class; the split's own indices, in list order.
    labels = [
        int(query.get_data_info(i)['gt_label'][0]) for i in range(len(query))
    ]
    assert np.bincount(labels).tolist() == [2, 2, 2, 2]
    expected = validation_split(classes, 8, seed=0)['query']
    assert paths(query) == [every[i] for i in expected]
    # Samples keep their list-file line (load errors name it).
    first = query.get_data_info(0)
    assert first['list_line'] == expected[0] + 1
    assert first['sample_idx'] == 0


def test_split_is_deterministic_and_follows_the_seed(single_label_list):
    root, _ = single_label_list
    a = paths(build(root, 'val_query', val_seed=3))
    assert a == paths(build(root, 'val_query', val_seed=3))
    assert a != paths(build(root, 'val_query', val_seed=4))
    # The same split whatever num_classes the tools give the dataset.
    assert a == paths(build(root, 'val_query', val_seed=3, num_classes=6))


def test_auto_holds_out_a_tenth(single_label_list):
    root, _ = single_label_list
    query = build(root, 'val_query', val_queries='auto')
    assert len(query) == 4  # 10 % of 40
    assert paths(query) == paths(build(root, 'val_query', val_queries=4))
    assert len(build(root, 'train', val_queries='auto')) == 36


def test_defaults_load_the_whole_list(single_label_list):
    root, _ = single_label_list
    assert len(HashListDataset(ann_file='train.txt', data_root=root)) == 40
    assert len(build(root, 'train', val_queries=0)) == 40
    assert len(build(root, 'all', val_queries=8)) == 40


def test_multi_hot_list(tmp_path):
    rng = np.random.default_rng(0)
    labels = (rng.random((30, 3)) < 0.4).astype(np.int64)
    write_tiny_dataset(str(tmp_path), {'train': labels}, size=8)
    query = build(str(tmp_path), 'val_query', val_queries=6)
    train = build(str(tmp_path), 'train', val_queries=6)
    assert (len(query), len(train)) == (6, 24)
    assert not set(paths(query)) & set(paths(train))


def test_list_without_labels_is_an_error_naming_the_file(tmp_path):
    write_tiny_dataset(
        str(tmp_path), {'train': np.zeros((10, 3), int)}, size=8)
    assert len(build(str(tmp_path), 'all')) == 10  # fine without a split
    with pytest.raises(
            ValueError,
            match=r"train.txt \(subset='val_query', "
            r'val_queries=2\): no image of the list has a label'):
        build(str(tmp_path), 'val_query', val_queries=2)


def test_held_out_validation_database(single_label_list):
    """``val_database`` holds a stratified validation database out of
    training as well; the validation queries stay the same; without it the
    validation database is the training set."""
    root, classes = single_label_list
    every = paths(HashListDataset(ann_file='train.txt', data_root=root))
    parts = {
        subset: paths(build(root, subset, val_database=12))
        for subset in ('val_query', 'val_database', 'train')
    }
    assert [len(p) for p in parts.values()] == [8, 12, 20]
    assert sorted(sum(parts.values(), [])) == sorted(every)
    assert parts['val_query'] == paths(build(root, 'val_query'))
    split = validation_split(classes, 8, seed=0, num_database=12)
    assert parts['val_database'] == [every[i] for i in split['database']]
    assert np.bincount(classes[split['database']]).tolist() == [3, 3, 3, 3]
    assert paths(build(root, 'val_database')) == paths(build(root, 'train'))


@pytest.mark.parametrize('kwargs,match', [
    (dict(subset='val_query', val_queries=40),
     r"train.txt \(subset='val_query', val_queries=40\): num_queries must "
     r'be between 1 and 39'),
    (dict(subset='val_query', val_queries=0), r'val_queries > 0'),
    (dict(subset='test'), r"subset must be one of \('all', 'train', "
     r"'val_query', 'val_database'\), got 'test'"),
    (dict(subset='train', val_database=-2), r'HashListDataset: val_database '
     r'must be an integer >= 0, got -2'),
    (dict(subset='val_database', val_queries=8, val_database=32),
     r"train.txt \(subset='val_database', val_queries=8, val_database=32\): "
     r'num_database must be between 0 and 31'),
    (dict(subset='train', val_queries=-1), r"HashListDataset: val_queries "
     r"must be an integer >= 0 or 'auto', got -1"),
    (dict(subset='train', val_queries=0.1), r"val_queries must be an "
     r"integer >= 0 or 'auto', got 0.1"),
    (dict(subset='train', val_seed=None), r'val_seed must be an integer'),
])
def test_bad_settings_are_named(single_label_list, kwargs, match):
    root, _ = single_label_list
    with pytest.raises(ValueError, match=match):
        HashListDataset(ann_file='train.txt', data_root=root, **kwargs)
    assert osp.isfile(osp.join(root, 'train.txt'))
