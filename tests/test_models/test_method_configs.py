"""The comparison methods' configs: one a method x dataset (64 bits; the
other lengths by ``model.head.num_bits``, built at every length in
tests/test_configs.py), each its HashNet config with only the method's
changes (same backbone, data, schedule and budget), and each trains on
tiny made images."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from ..test_configs import point_at
from ..tool_modules import load_tool

pytestmark = pytest.mark.slow

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
# setting: the file name's tail after the method (the demo keeps its
# length, as the HashNet demo config), the same as the HashNet config's.
SETTINGS = {
    'resnet18cifar_fashionmnist_demo':
    'resnet18cifar_1xb64_fashionmnist-demo_32bit',
    'resnet18cifar_fashionmnist': 'resnet18cifar_1xb64_fashionmnist_64bit',
    'resnet18cifar_fashionmnistmosaic':
    'resnet18cifar_1xb64_fashionmnist-mosaic_64bit',
    'resnet50_imagenet100': 'resnet50_1xb64_imagenet100_64bit',
    'resnet50_nuswide': 'resnet50_1xb64_nuswide_64bit',
    'resnet50_coco': 'resnet50_1xb64_coco_64bit',
    'resnet50_cifar10': 'resnet50_1xb64_cifar10_64bit',
}
CONTINUATION = [
    dict(type='ContinuationHook', schedule='budget', final_beta=6.4)
]
# folder, file prefix, expected head changes (None: the HashNet head
# unchanged), whether the HashNet continuation stays.
METHODS = {
    'hashnet_w':
    ('hashnet-w',
     dict(loss=dict(type='WeightedPairwiseLoss', use_weights=False)), True),
    'hashnet_c': ('hashnet-c', None, False),
    'dhn':
    ('dhn',
     dict(loss=dict(type='DHNLoss', quantization_weight=0.1, alpha=1.0)),
     False),
    'dpsh': ('dpsh',
             dict(
                 type='LinearHashHead',
                 loss=dict(type='DPSHLoss', quantization_weight=0.01)), False),
    'dnnh': ('dnnh',
             dict(
                 type='DivideEncodeHashHead',
                 epsilon=0.1,
                 loss=dict(type='TripletRankingLoss', margin=1.0)), False),
    'cnnh':
    ('cnnh',
     dict(type='TargetCodeHashHead',
          loss=dict(type='CodeRegressionLoss')), False),
    'csq':
    ('csq',
     dict(
         type='LinearHashHead',
         loss=dict(type='CSQLoss', quantization_weight=1e-4,
                   centers='auto')), False),
    'dpn': ('dpn',
            dict(
                type='LinearHashHead',
                loss=dict(type='DPNLoss', margin=1.0, centers='auto')), False),
    'orthohash': ('orthohash',
                  dict(
                      type='OrthoHashHead',
                      affine=False,
                      loss=dict(
                          type='OrthoHashLoss',
                          scale=None,
                          margin=0.2,
                          quantization_weight=0.0,
                          centers='auto')), False),
    'greedyhash':
    ('greedyhash',
     dict(
         type='LinearHashHead',
         loss=dict(type='GreedyHashLoss', alpha=0.1,
                   multi_label=False)), False),
    'dsh':
    ('dsh',
     dict(
         type='LinearHashHead',
         loss=dict(type='DSHLoss', margin=None,
                   quantization_weight=0.01)), False),
}
# Losses aiming at the classes: the dataset's class count in the loss.
CLASS_TARGET_METHODS = ('csq', 'dpn', 'orthohash', 'greedyhash')
# GreedyHash's sigmoid classifier on the multi-label datasets.
MULTI_LABEL_SETTINGS = ('resnet18cifar_fashionmnistmosaic', 'resnet50_coco',
                        'resnet50_nuswide')
# The whole head at 10x the backbone's lr (the HashNet configs: head.fch).
HEAD_LR_METHODS = ('orthohash', 'greedyhash')
CNNH_TARGETS = {
    'resnet18cifar_fashionmnist_demo': 'data/fashion_mnist_demo/',
    'resnet18cifar_fashionmnist': 'data/fashion_mnist/',
    'resnet18cifar_fashionmnistmosaic': 'data/fashion_mnist_mosaic/',
    'resnet50_imagenet100': 'data/imagenet/imagenet100/',
    'resnet50_nuswide': 'data/nus_wide/nuswide_81/',
    'resnet50_coco': 'data/coco/',
    'resnet50_cifar10': 'data/cifar10/',
}
METHOD_KEYS = ('model', 'custom_hooks', 'method_head', 'method_hooks',
               'optim_wrapper', 'method_paramwise_cfg')


def method_config(folder, setting):
    prefix = METHODS[folder][0]
    return osp.join(CONFIGS, folder, f'{prefix}_{SETTINGS[setting]}.py')


def test_every_method_config_is_listed():
    found = {
        path
        for path in glob.glob(osp.join(CONFIGS, '*', '*.py'))
        if osp.basename(osp.dirname(path)) not in ('_base_', 'hashnet',
                                                   'feature_track')
    }
    expected = {
        method_config(folder, setting)
        for folder in METHODS
        for setting in SETTINGS
    }
    assert found == expected


@pytest.mark.parametrize('folder', METHODS)
@pytest.mark.parametrize('setting', SETTINGS)
def test_only_the_method_differs_from_hashnet(folder, setting):
    _, head_changes, keeps_continuation = METHODS[folder]
    cfg = Config.fromfile(method_config(folder, setting)).to_dict()
    hashnet = Config.fromfile(
        osp.join(CONFIGS, 'hashnet',
                 f'hashnet_{SETTINGS[setting]}.py')).to_dict()
    assert {k: v for k, v in cfg.items() if k not in METHOD_KEYS} == \
        {k: v for k, v in hashnet.items() if k not in METHOD_KEYS}
    assert {k: v for k, v in cfg['model'].items() if k != 'head'} == \
        {k: v for k, v in hashnet['model'].items() if k != 'head'}
    expected_head = dict(hashnet['model']['head'], **(head_changes or {}))
    if folder == 'cnnh':
        expected_head['targets_file'] = \
            CNNH_TARGETS[setting] + 'cnnh_targets_{num_bits}bit.npz'
    if folder in CLASS_TARGET_METHODS:
        expected_head['loss'] = dict(
            expected_head['loss'],
            num_classes=hashnet['data_preprocessor']['num_classes'])
    if folder == 'greedyhash' and setting in MULTI_LABEL_SETTINGS:
        expected_head['loss']['multi_label'] = True
    assert cfg['model']['head'] == expected_head
    expected_optim = hashnet['optim_wrapper']
    if folder in HEAD_LR_METHODS:
        expected_optim = dict(
            expected_optim,
            paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}))
    assert cfg['optim_wrapper'] == expected_optim
    assert cfg['custom_hooks'] == (
        hashnet['custom_hooks'] if keeps_continuation else [])
    if 'resnet18cifar' in setting:
        assert hashnet['custom_hooks'] == CONTINUATION


def test_cnnh_at_another_length_reads_what_stage_one_wrote(
        tmp_path, tiny_single_label):
    """One CNNH config serves every length: with ``model.head.num_bits=K``
    stage 1 (tools/cnnh_targets.py) writes the K-bit target file and the
    K-bit head reads it."""
    path = method_config('cnnh', 'resnet18cifar_fashionmnist')
    options = {
        'model.head.num_bits': 16,
        'model.head.targets_file': str(tmp_path / 'targets_{num_bits}bit.npz'),
        'train_dataloader.dataset.data_root': tiny_single_label,
        'train_dataloader.dataset.subset': 'all',  # all 32 images
    }
    out = load_tool('cnnh_targets.py').main([
        path, '--sweeps', '1', '--cfg-options',
        *[f'{key}={value}' for key, value in options.items()]
    ])
    assert out == str(tmp_path / 'targets_16bit.npz')
    cfg = Config.fromfile(path)
    assert cfg.model.head.num_bits == 64
    cfg.merge_from_dict(options)
    head = MODELS.build(cfg.model.head)
    assert head.targets_file == out
    codes, _ = head.target_codes()
    assert codes.shape == (32, 16)


@pytest.mark.parametrize('folder', [f for f in METHODS if f != 'cnnh'])
def test_demo_config_trains_and_logs_objectives(folder, tmp_path,
                                                tiny_single_label):
    """(CNNH's two stages run in tests/test_tools/test_cnnh_targets.py.)"""
    cfg = Config.fromfile(
        method_config(folder, 'resnet18cifar_fashionmnist_demo'))
    cfg = point_at(
        cfg,
        tiny_single_label,
        str(tmp_path / 'work'),
        max_iters=2,
        batch_size=8)
    cfg.model.head.objective_interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    for key in ('loss', 'objective_continuous', 'objective_binary'):
        assert torch.isfinite(
            torch.tensor(hub.get_scalar(f'train/{key}').current())), key
    assert 0 <= hub.get_scalar('val/retrieval/mAP@all').current() <= 1
    uses_beta = bool(cfg.custom_hooks)
    assert ('train/beta' in hub.log_scalars) == uses_beta


@pytest.mark.parametrize('folder', HEAD_LR_METHODS)
def test_backbone_lr_is_a_tenth_of_the_heads(folder):
    """OrthoHash's and GreedyHash's configs: every head parameter (hash
    layer, GreedyHash's classifier) at 10x the backbone's lr."""
    cfg = Config.fromfile(
        method_config(folder, 'resnet18cifar_fashionmnist_demo'))
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    head = {id(p) for p in model.head.parameters()}
    lrs = {(id(p) in head, round(group['lr'], 12))
           for group in wrapper.optimizer.param_groups
           for p in group['params']}
    base = cfg.optim_wrapper.optimizer.lr
    assert lrs == {(False, base), (True, round(10 * base, 12))}
    if folder == 'greedyhash':
        assert model.head.loss_module.classifier.weight.requires_grad
