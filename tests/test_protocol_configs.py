"""The protocol-switch configs differ from their bases only in
the switch, select on validation queries held out of train.txt, and the
dataset-level weights are set in a real run."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import hashnet_mm  # noqa: F401
from hashnet_mm.codes import similar_pair_fraction
from hashnet_mm.datasets.demo import materialize_demo
from hashnet_mm.utils.selection import check_selection_data
from .test_configs import point_at

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')


def load(name):
    return Config.fromfile(osp.join(CONFIGS, name))


def without(cfg, *paths):
    """The config as a dict, with the dotted ``paths`` removed."""
    data = cfg.to_dict()
    for path in paths:
        *parents, last = path.split('.')
        node = data
        for key in parents:
            node = node[key]
        node.pop(last, None)
    return data


def test_random_resized_crop_config_changes_only_the_train_crop():
    base = load('hashnet_resnet50_coco_64bit.py')
    cfg = load(
        'hashnet/hashnet-randomresizedcrop_resnet50_1xb64_coco_64bit.py')
    assert base.train_dataloader.dataset.pipeline[2] == dict(
        type='RandomCrop', crop_size=224)
    assert cfg.train_dataloader.dataset.pipeline[2] == dict(
        type='RandomResizedCrop', scale=224)
    assert cfg.train_dataloader.dataset.pipeline == \
        cfg.released_pytorch_train_pipeline
    assert without(cfg, 'train_dataloader.dataset.pipeline') == \
        without(base, 'train_dataloader.dataset.pipeline')


@pytest.mark.parametrize('setting,bits', [('fashionmnist-demo', 32),
                                          ('fashionmnist-mosaic', 64)])
def test_released_pairs_configs(setting, bits):
    base = load(f'hashnet/hashnet_resnet18cifar_1xb64_{setting}_{bits}bit.py')
    base.merge_from_dict({'model.head.num_bits': 32})
    cfg = load(
        f'hashnet/hashnet-releasedpairs_resnet18cifar_1xb72_{setting}_32bit.py'
    )
    assert cfg.model.head.loss.pairing == 'cross_halves'
    assert cfg.train_dataloader.batch_size == 72  # 36 + 36
    assert without(cfg, 'model.head.loss.pairing',
                   'train_dataloader.batch_size') == \
        without(base, 'model.head.loss.pairing', 'train_dataloader.batch_size')


@pytest.mark.parametrize('name,validations', [
    ('hashnet/hashnet-randomresizedcrop_resnet50_1xb64_coco_64bit.py', 1),
    ('hashnet/hashnet-releasedpairs_resnet18cifar_1xb72_fashionmnist-demo_'
     '32bit.py', 4),
    ('hashnet/hashnet-releasedpairs_resnet18cifar_1xb72_fashionmnist-mosaic_'
     '32bit.py', 1),
    ('hashnet/hashnet-datasetweights_resnet18cifar_1xb64_fashionmnist-mosaic_'
     '32bit.py', 1),
])
def test_protocol_configs_select_on_validation(name, validations):
    """What each protocol config's header states: the validation queries
    are held out of train.txt, validated on ``validations`` times (once:
    the selected checkpoint is the last)."""
    cfg = load(name)
    assert check_selection_data(cfg, sweep=True) == []
    assert cfg.val_dataloader.dataset.query.subset == 'val_query'
    assert cfg.val_dataloader.dataset.query.ann_file.endswith('train.txt')
    assert cfg.train_cfg.max_iters // cfg.train_cfg.val_interval == \
        validations
    assert cfg.default_hooks.checkpoint.save_best == 'auto'
    assert not cfg.get('allow_test_selection')


@pytest.mark.parametrize('name', [
    'hashnet_resnet50_coco_64bit.py',
    'hashnet/hashnet_resnet50_1xb64_nuswide_64bit.py',
    'hashnet/hashnet_resnet50_1xb64_imagenet100_64bit.py'
])
def test_table_1_benchmarks_use_the_caffe_map_convention(name):
    assert load(name).test_evaluator.no_relevant == 'released_caffe'


@pytest.mark.slow
def test_dataset_weights_are_set_from_the_training_labels(tmp_path):
    base = load(
        'hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py')
    base.merge_from_dict({'model.head.num_bits': 32})
    cfg = load('hashnet/hashnet-datasetweights_resnet18cifar_1xb64_'
               'fashionmnist-mosaic_32bit.py')
    assert cfg.custom_hooks == base.custom_hooks + [
        dict(type='DatasetPairWeightsHook')
    ]
    assert cfg.model.head.loss.weight_source == 'dataset'
    # A short real run on the demo images (the mosaic data is not shipped).
    demo = load(
        'hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py')
    demo.merge_from_dict({'model.head.loss.weight_source': 'dataset'})
    demo.custom_hooks = cfg.custom_hooks
    data_root = str(tmp_path / 'demo')
    materialize_demo(data_root)
    demo = point_at(
        demo, data_root, str(tmp_path / 'work'), max_iters=2, batch_size=8)
    demo.train_cfg.val_interval = 100
    runner = Runner.from_cfg(demo)
    runner.train()
    dataset = runner.train_dataloader.dataset
    labels = [
        int(dataset.get_data_info(i)['gt_label'][0])
        for i in range(len(dataset))
    ]
    expected = similar_pair_fraction(
        torch.nn.functional.one_hot(torch.tensor(labels), 10))
    assert runner.model.head.loss_module.similar_fraction == \
        pytest.approx(expected, rel=1e-12)
    assert 0.09 < expected < 0.11  # 10 balanced classes
