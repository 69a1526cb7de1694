"""The pretrained-feature cache: extracted once, a partial split redone,
a split inside another copied."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import hashnet_mm  # noqa: F401
from hashnet_mm.apis.feature_extraction import split_dataset_cfg
from hashnet_mm.experiments.pretrained_features import (ensure_features,
                                                        source_path)
from hashnet_mm.shallow.feature_files import load_features
from ..test_tools.test_train_test import write_config
from ..tool_modules import load_tool


@pytest.fixture
def extraction_config(tmp_path, tiny_single_label):
    """A tiny network's extraction config whose database list holds the
    training images too (as the mosaics' does)."""
    root = tiny_single_label
    with open(osp.join(root, 'train.txt')) as f:
        train = f.read()
    with open(osp.join(root, 'database.txt')) as f:
        database = f.read()
    with open(osp.join(root, 'database.txt'), 'w') as f:
        f.write(database + train)
    base = write_config(str(tmp_path / 'base.py'), root, 1)
    init_default_scope('mmpretrain')
    model = MODELS.build(Config.fromfile(base).model)
    weights = str(tmp_path / 'weights.pth')
    torch.save({'state_dict': model.state_dict()}, weights)
    path = tmp_path / 'extract.py'
    path.write_text(f"""
_base_ = ['{base}']
model = dict(backbone=dict(init_cfg=dict(type='Pretrained',
    checkpoint='{weights}', prefix='backbone')))
feature_dir = '{tmp_path / "features"}'
""")
    return str(path), str(tmp_path / 'features')


def neck_features(config, split):
    """The network's pooled features of a split, computed directly."""
    cfg = Config.fromfile(config)
    init_default_scope('mmpretrain')
    model = MODELS.build(
        dict(
            cfg.model,
            data_preprocessor=dict(
                type='ClsDataPreprocessor', **cfg.data_preprocessor)))
    state = torch.load(
        cfg.model.backbone.init_cfg.checkpoint,
        weights_only=True)['state_dict']
    model.load_state_dict(state)
    model.eval()
    dataset = DATASETS.build(split_dataset_cfg(cfg, split))
    batch = model.data_preprocessor(
        dict(inputs=[dataset[i]['inputs'] for i in range(len(dataset))]))
    with torch.no_grad():
        return model.extract_feat(batch['inputs'])[-1].numpy()


@pytest.mark.slow
def test_extracted_once_partial_redone_subset_copied(extraction_config):
    config, folder = extraction_config
    status = ensure_features(config, logger=lambda *a: None)
    # The database (40 images) goes first; the training images lie in it.
    assert status == dict(
        train='copied', query='extracted', database='extracted')
    files = {s: load_features(folder, s) for s in status}
    for split in ('query', 'database'):
        np.testing.assert_allclose(
            files[split]['features'],
            neck_features(config, split),
            rtol=1e-4,
            atol=1e-5)
    rows = [files['database']['ids'].index(i) for i in files['train']['ids']]
    np.testing.assert_array_equal(files['train']['features'],
                                  files['database']['features'][rows])
    np.testing.assert_array_equal(files['train']['labels'],
                                  files['database']['labels'][rows])
    stamps = {
        f: os.stat(osp.join(folder, f)).st_mtime_ns
        for f in os.listdir(folder)
    }

    # Complete, valid files: the command does nothing.
    tool = load_tool('extract_pretrained_features.py')
    assert tool.main([config, '--device', 'cpu']) == {
        config: dict(train='cached', query='cached', database='cached')
    }
    assert stamps == {
        f: os.stat(osp.join(folder, f)).st_mtime_ns
        for f in os.listdir(folder)
    }

    # An interrupted split (no record) and a damaged one are redone.
    os.remove(source_path(folder, 'query'))
    features = np.load(osp.join(folder, 'database.npy'))
    np.save(osp.join(folder, 'database.npy'), features[:-1])
    assert ensure_features(
        config, logger=lambda *a: None) == dict(
            train='cached', query='extracted', database='extracted')
    np.testing.assert_array_equal(
        load_features(folder, 'database')['features'],
        files['database']['features'])


def test_other_weights_are_extracted_again(extraction_config):
    config, folder = extraction_config
    ensure_features(config, ['query'], logger=lambda *a: None)
    weights = Config.fromfile(config).model.backbone.init_cfg.checkpoint
    state = torch.load(weights, weights_only=True)
    torch.save(dict(state, meta=dict(changed=True)), weights)
    assert ensure_features(config, ['query'], logger=lambda *a: None) == \
        dict(query='extracted')


def test_missing_weights_are_named(extraction_config, tmp_path):
    config, folder = extraction_config
    cfg = Config.fromfile(config)
    os.remove(cfg.model.backbone.init_cfg.checkpoint)
    with pytest.raises(
            FileNotFoundError,
            match='weights.pth: the '
            'pretrained weights are missing'):
        ensure_features(config, ['query'], logger=lambda *a: None)


def test_the_train_split_is_extracted_whole():
    """A training set asked for its part without the validation queries
    is read whole: the feature dataset draws them itself."""
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='HashListDataset',
                    ann_file='train.txt',
                    subset='train',
                    val_queries=500,
                    pipeline=['augment'])),
            test_dataloader=dict(
                dataset=dict(
                    type='QueryDatabaseDataset',
                    query=dict(pipeline=['test']),
                    database=dict(pipeline=['test'])))))
    train = split_dataset_cfg(cfg, 'train')
    assert train == dict(
        type='HashListDataset', ann_file='train.txt', pipeline=['test'])
    assert cfg.train_dataloader.dataset.subset == 'train'  # not changed


@pytest.mark.parametrize('change', ['drop_backbone_key', 'add_unknown_key'])
def test_weights_that_do_not_fit_the_backbone_are_refused(
        extraction_config, change):
    config, _ = extraction_config
    weights = Config.fromfile(config).model.backbone.init_cfg.checkpoint
    state = torch.load(weights, weights_only=True)['state_dict']
    if change == 'drop_backbone_key':
        del state[next(k for k in state if k.startswith('backbone.'))]
    else:
        state['backbone.extra.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, weights)
    with pytest.raises(
            ValueError, match='weights.pth does not fit the '
            'backbone'):
        ensure_features(config, ['query'], logger=lambda *a: None)
