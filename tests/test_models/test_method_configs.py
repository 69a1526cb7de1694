"""The comparison methods' configs: each is its HashNet config with only
the method's changes (same backbone, data, schedule and budget), every bit
length is a one-line override, and each trains on tiny made images."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ..test_configs import point_at

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'configs')
SETTINGS = {
    'resnet18cifar_fashionmnist_demo': (32, ),
    'resnet18cifar_fashionmnist': (16, 32, 48, 64),
    'resnet18cifar_fashionmnistmosaic': (16, 32, 48, 64),
    'resnet50_imagenet100': (16, 32, 48, 64),
    'resnet50_nuswide': (16, 32, 48, 64),
    'resnet50_coco': (16, 32, 48, 64),
    'resnet50_cifar10': (16, 32, 48, 64),
}
CONTINUATION = [dict(type='ContinuationHook', schedule='power', gamma=0.02,
                     power=0.5, step=100)]
# folder, file prefix, expected head changes (None: the HashNet head
# unchanged), whether the HashNet continuation stays.
METHODS = {
    'hashnet_w': ('hashnet-w', dict(loss=dict(type='WeightedPairwiseLoss',
                                              use_weights=False)), True),
    'hashnet_c': ('hashnet-c', None, False),
    'dhn': ('dhn', dict(loss=dict(type='DHNLoss', quantization_weight=0.1,
                                  alpha=1.0)), False),
    'dpsh': ('dpsh', dict(type='LinearHashHead',
                          loss=dict(type='DPSHLoss',
                                    quantization_weight=0.01)), False),
    'dnnh': ('dnnh', dict(type='DivideEncodeHashHead', epsilon=0.1,
                          loss=dict(type='TripletRankingLoss', margin=1.0)),
             False),
    'cnnh': ('cnnh', dict(type='TargetCodeHashHead',
                          loss=dict(type='CodeRegressionLoss')), False),
}
CNNH_TARGETS = {
    'resnet18cifar_fashionmnist_demo': 'data/fashion_mnist_demo/',
    'resnet18cifar_fashionmnist': 'data/fashion_mnist/',
    'resnet18cifar_fashionmnistmosaic': 'data/fashion_mnist_mosaic/',
    'resnet50_imagenet100': 'data/imagenet/imagenet100/',
    'resnet50_nuswide': 'data/nus_wide/nuswide_81/',
    'resnet50_coco': 'data/coco/',
    'resnet50_cifar10': 'data/cifar10/',
}
METHOD_KEYS = ('model', 'custom_hooks', 'method_head', 'method_hooks')


def method_config(folder, setting, bits):
    prefix = METHODS[folder][0]
    return osp.join(CONFIGS, folder, f'{prefix}_{setting}_{bits}bit.py')


def test_every_method_config_is_listed():
    found = set(glob.glob(osp.join(CONFIGS, '*', '*bit.py')))
    expected = {method_config(folder, setting, bits)
                for folder in METHODS for setting, all_bits in
                SETTINGS.items() for bits in all_bits}
    assert found == expected


@pytest.mark.parametrize('folder', METHODS)
@pytest.mark.parametrize('setting', SETTINGS)
def test_only_the_method_differs_from_hashnet(folder, setting):
    top = SETTINGS[setting][-1]
    _, head_changes, keeps_continuation = METHODS[folder]
    cfg = Config.fromfile(method_config(folder, setting, top)).to_dict()
    hashnet = Config.fromfile(
        osp.join(CONFIGS, f'hashnet_{setting}_{top}bit.py')).to_dict()
    assert {k: v for k, v in cfg.items() if k not in METHOD_KEYS} == \
        {k: v for k, v in hashnet.items() if k not in METHOD_KEYS}
    assert {k: v for k, v in cfg['model'].items() if k != 'head'} == \
        {k: v for k, v in hashnet['model'].items() if k != 'head'}
    expected_head = dict(hashnet['model']['head'], **(head_changes or {}))
    if folder == 'cnnh':
        expected_head['targets_file'] = \
            CNNH_TARGETS[setting] + 'cnnh_targets_{num_bits}bit.npz'
    assert cfg['model']['head'] == expected_head
    assert cfg['custom_hooks'] == (hashnet['custom_hooks']
                                   if keeps_continuation else [])
    if 'resnet18cifar' in setting:
        assert hashnet['custom_hooks'] == CONTINUATION


@pytest.mark.parametrize('folder', METHODS)
def test_bit_lengths_are_one_line_overrides(folder):
    prefix = METHODS[folder][0]
    for setting, all_bits in SETTINGS.items():
        for bits in all_bits[:-1]:
            path = method_config(folder, setting, bits)
            with open(path) as f:
                lines = [ln for ln in f.read().splitlines() if ln.strip()]
            assert lines == [
                f"_base_ = ['{prefix}_{setting}_{all_bits[-1]}bit.py']",
                f'model = dict(head=dict(num_bits={bits}))'], path
    path = method_config(folder, 'resnet18cifar_fashionmnistmosaic', 16)
    assert Config.fromfile(path).model.head.num_bits == 16


@pytest.mark.parametrize('folder', [f for f in METHODS if f != 'cnnh'])
def test_demo_config_trains_and_logs_objectives(folder, tmp_path,
                                                tiny_single_label):
    """(CNNH's two stages run in tests/test_tools/test_cnnh_targets.py.)"""
    cfg = Config.fromfile(
        method_config(folder, 'resnet18cifar_fashionmnist_demo', 32))
    cfg = point_at(cfg, tiny_single_label, str(tmp_path / 'work'),
                   max_iters=2, batch_size=8)
    cfg.model.head.objective_interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    for key in ('loss', 'objective_continuous', 'objective_binary'):
        assert torch.isfinite(torch.tensor(
            hub.get_scalar(f'train/{key}').current())), key
    assert 0 <= hub.get_scalar('val/retrieval/mAP@all').current() <= 1
    uses_beta = bool(cfg.custom_hooks)
    assert ('train/beta' in hub.log_scalars) == uses_beta
