"""FeatureDataset: feature files as samples, the validation subsets."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS

import hashnet_mm  # noqa: F401
from hashnet_mm.datasets import FeatureDataset
from hashnet_mm.datasets.validation_split import validation_split
from ..feature_data import write_feature_files

PIPELINE = [dict(type='PackInputs', input_key='feature')]


def test_samples_are_the_rows_in_order(tmp_path):
    data = write_feature_files(tmp_path, multi_label=True)
    dataset = DATASETS.build(
        dict(
            type='FeatureDataset',
            data_root=str(tmp_path),
            split='query',
            pipeline=PIPELINE))
    features, labels = data['query']
    assert len(dataset) == 12 and dataset.feature_dim == 8
    assert dataset.metainfo['classes'] == ('0', '1', '2')
    for i in (0, 5, 11):
        sample = dataset[i]
        np.testing.assert_array_equal(sample['inputs'].numpy(), features[i])
        assert sample['data_samples'].gt_label.tolist() == \
            np.flatnonzero(labels[i]).tolist()
        assert dataset.get_data_info(i)['feature_id'] == f'query/{i}.png'
        assert dataset.get_data_info(i)['sample_idx'] == i
    assert dataset.get_data_info(-1)['sample_idx'] == 11
    # Reading a sample does not change the dataset's copy.
    dataset.get_data_info(0)['gt_label'][:] = 7
    assert dataset.get_data_info(0)['gt_label'].tolist() == \
        np.flatnonzero(labels[0]).tolist()


def training_parts(root, subsets, **kwargs):
    """``{subset: FeatureDataset}`` of the training split, 9 validation
    queries drawn with seed 4."""
    return {
        subset:
        FeatureDataset(
            split='train',
            data_root=str(root),
            subset=subset,
            val_queries=9,
            val_seed=4,
            **kwargs)
        for subset in subsets
    }


@pytest.mark.parametrize('multi_label', [False, True])
def test_validation_subsets_partition_the_split(tmp_path, multi_label):
    data = write_feature_files(tmp_path, multi_label=multi_label)
    features, labels = data['train']
    parts = training_parts(tmp_path, ('all', 'train', 'val_query'))
    expected = validation_split(labels, 9, seed=4)
    np.testing.assert_array_equal(parts['val_query'].features,
                                  features[expected['query']])
    np.testing.assert_array_equal(parts['train'].features,
                                  features[expected['rest']])
    np.testing.assert_array_equal(parts['all'].features, features)
    assert len(parts['val_query']) == 9 and len(parts['train']) == 51
    ids = {
        p: {
            parts[p].get_data_info(i)['feature_id']
            for i in range(len(parts[p]))
        }
        for p in parts
    }
    assert not ids['train'] & ids['val_query']
    assert ids['train'] | ids['val_query'] == ids['all']
    # val_queries=0 holds nothing out; a val_query subset then is an error.
    assert len(
        FeatureDataset(split='train', data_root=str(tmp_path),
                       subset='train')) == 60
    with pytest.raises(ValueError, match='needs val_queries > 0'):
        FeatureDataset(
            split='train', data_root=str(tmp_path), subset='val_query')


@pytest.mark.parametrize('multi_label', [False, True])
def test_held_out_validation_database(tmp_path, multi_label):
    """``val_database`` rows leave training for the validation database."""
    data = write_feature_files(tmp_path, multi_label=multi_label)
    features, labels = data['train']
    parts = training_parts(
        tmp_path, ('train', 'val_query', 'val_database'), val_database=15)
    expected = validation_split(labels, 9, seed=4, num_database=15)
    for subset, part in (('train', 'rest'), ('val_query', 'query'),
                         ('val_database', 'database')):
        np.testing.assert_array_equal(parts[subset].features,
                                      features[expected[part]])
    assert [len(p) for p in parts.values()] == [36, 9, 15]
    with pytest.raises(
            ValueError,
            match=r'FeatureDataset\(.*\): '
            'val_database must be an integer >= 0'):
        FeatureDataset(
            split='train',
            data_root=str(tmp_path),
            subset='train',
            val_queries=9,
            val_database=-1)


def test_bad_files_and_settings_are_named(tmp_path):
    write_feature_files(tmp_path)
    root = str(tmp_path)
    with pytest.raises(ValueError, match='split must be one of'):
        FeatureDataset(split='val', data_root=root)
    with pytest.raises(ValueError, match='val_queries must be an integer'):
        FeatureDataset(split='train', data_root=root, val_queries=-1)
    with pytest.raises(ValueError, match='subset must be one of'):
        FeatureDataset(
            split='train', data_root=root, subset='test', val_queries=3)
    with pytest.raises(
            ValueError, match='3 labels a row, but '
            'num_classes=4'):
        FeatureDataset(split='train', data_root=root, num_classes=4)
    with pytest.raises(ValueError, match='3 labels a row, but 2 class'):
        FeatureDataset(
            split='train', data_root=root, metainfo=dict(classes=('a', 'b')))
    features = np.load(tmp_path / 'query.npy')
    features[2, 1] = np.inf
    np.save(tmp_path / 'query.npy', features)
    with pytest.raises(ValueError, match=r'query.npy: row 2 has a NaN'):
        FeatureDataset(split='query', data_root=root)
    labels = np.load(tmp_path / 'database_labels.npy')
    labels[0, 0] = 2
    np.save(tmp_path / 'database_labels.npy', labels)
    with pytest.raises(
            ValueError, match='database_labels.npy: expected an '
            r'\(n, C\) 0/1'):
        FeatureDataset(split='database', data_root=root)
    with pytest.raises(FileNotFoundError, match='train.npy not found'):
        FeatureDataset(split='train', data_root=str(tmp_path / 'none'))


def test_features_are_float32_tensors_sharing_nothing_mutable(tmp_path):
    write_feature_files(tmp_path)
    dataset = FeatureDataset(split='train', data_root=str(tmp_path))
    feature = dataset.get_data_info(3)['feature']
    assert isinstance(feature, torch.Tensor) and feature.dtype == \
        torch.float32 and feature.shape == (8, )
