"""The shipped configs build and train on tiny made images, offline; every
config builds at every code length."""
import copy
import glob
import os.path as osp
import socket

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.models import ResNet
from mmpretrain.registry import MODELS

import hashnet_mm  # noqa: F401
from hashnet_mm.datasets.demo import materialize_demo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
COCO = osp.join(REPO, 'configs', 'hashnet_resnet50_coco_64bit.py')
DEMO = osp.join(
    REPO, 'configs',
    'hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py')
CONFIG_DIR = osp.join(REPO, 'configs')
# Every config one runs (not the _base_ pieces), relative to configs/.
LEAF_CONFIGS = sorted(
    osp.relpath(path, CONFIG_DIR)
    for path in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(path, CONFIG_DIR).split(osp.sep))
BITS = (16, 32, 48, 64)
# Image side of the narrow CIFAR ResNet-18 configs (no crop in their
# pipelines): Fashion-MNIST's 28 px, the mosaics' 56 px.
CIFAR_SIZES = {'fashionmnistmosaic': 56, 'fashionmnist': 28}


def point_at(cfg,
             data_root,
             work_dir,
             max_iters=2,
             batch_size=2,
             val_queries=4):
    """Redirect a config's data and work dir; small batches, no workers;
    ``val_queries`` validation queries held out of the training list."""
    loaders = (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader)
    for loader in loaders:
        loader.update(
            batch_size=batch_size, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = data_root
    for loader in loaders[1:]:
        for split in ('query', 'database'):
            loader.dataset[split].data_root = data_root
    for dataset in (cfg.train_dataloader.dataset,
                    cfg.val_dataloader.dataset.query,
                    cfg.val_dataloader.dataset.database):
        if dataset.get('val_queries'):
            dataset.val_queries = val_queries
    cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    return cfg


@pytest.fixture
def local_resnet50(tmp_path):
    """A ResNet-50 checkpoint file standing in for the ImageNet weights."""
    path = str(tmp_path / 'resnet50.pth')
    torch.manual_seed(0)
    weights = ResNet(depth=50).state_dict()
    torch.save(
        {'state_dict': {
            f'backbone.{k}': v
            for k, v in weights.items()
        }}, path)
    return path, weights


@pytest.mark.slow
def test_coco_config_builds_and_steps_offline(tmp_path, tiny_single_label,
                                              local_resnet50):
    path, weights = local_resnet50
    cfg = Config.fromfile(COCO)
    assert cfg.model.head.num_bits == 64
    assert cfg.test_evaluator.topk == 5000
    assert cfg.model.backbone.init_cfg.checkpoint.startswith('https://')
    cfg.merge_from_dict({'model.backbone.init_cfg.checkpoint': path})

    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.testing.assert_close(model.backbone.conv1.weight,
                               weights['conv1.weight'])

    runner = Runner.from_cfg(
        point_at(cfg, tiny_single_label, str(tmp_path / 'work')))
    runner.train()
    assert runner.iter == 2
    assert 0 <= runner.message_hub.get_scalar(
        'val/retrieval/mAP@5000').current() <= 1


def test_hash_layer_gets_ten_times_the_lr():
    cfg = Config.fromfile(COCO)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    fch = {id(p) for p in model.head.fch.parameters()}
    lrs = {(id(p) in fch, round(group['lr'], 12))
           for group in wrapper.optimizer.param_groups
           for p in group['params']}
    assert lrs == {(False, 3e-4), (True, 3e-3)}


def test_zero_bits_is_a_clear_error():
    cfg = Config.fromfile(COCO)
    cfg.model.head.num_bits = 0
    with pytest.raises(ValueError, match='num_bits must be an integer >= 1'):
        MODELS.build(cfg.model)


@pytest.mark.slow
def test_demo_config_steps_on_the_shipped_data(tmp_path):
    data_root = str(tmp_path / 'demo')
    materialize_demo(data_root)
    cfg = point_at(
        Config.fromfile(DEMO),
        data_root,
        str(tmp_path / 'work'),
        max_iters=3,
        batch_size=8)
    cfg.train_cfg.val_interval = 100
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 3
    assert torch.isfinite(
        torch.tensor(runner.message_hub.get_scalar('train/loss').current()))


def test_readme_own_backbone_recipe(tmp_path):
    """The 'HashNet on your own backbone' config of the configs guide
    (docs/en/user_guides/configs.md) builds and runs."""
    path = tmp_path / 'mine.py'
    path.write_text(f"""
_base_ = ['{COCO}']
model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1.0),
    head=dict(in_channels=1280, num_bits=32))
""")
    model = MODELS.build(Config.fromfile(str(path)).model)
    model.init_weights()
    codes = model(torch.randn(2, 3, 64, 64), mode='tensor')
    assert codes.shape == (2, 32)


_loaded_configs = {}


def load_config(name):
    """A fresh copy of ``configs/{name}`` (each file is parsed once)."""
    if name not in _loaded_configs:
        _loaded_configs[name] = Config.fromfile(osp.join(CONFIG_DIR, name))
    return copy.deepcopy(_loaded_configs[name])


@pytest.fixture
def no_network(monkeypatch):
    """Any connection (a weight download) fails the test."""

    def refuse(*args, **kwargs):
        raise OSError('tests/test_configs.py: no network access')

    monkeypatch.setattr(socket.socket, 'connect', refuse)


def test_leaf_configs_are_found():
    assert 'hashnet_resnet50_coco_64bit.py' in LEAF_CONFIGS
    assert 'dhn/dhn_resnet50_1xb64_coco_64bit.py' in LEAF_CONFIGS
    assert not any(name.startswith('_base_') for name in LEAF_CONFIGS)


@pytest.mark.slow
@pytest.mark.parametrize('bits', BITS)
@pytest.mark.parametrize('name', LEAF_CONFIGS)
def test_every_config_builds_at_every_length(name, bits, no_network):
    """``--cfg-options model.head.num_bits=K`` on any config gives a K-bit
    model. Built without init_weights (no pretrained weights are read);
    the narrow ResNet-18 models encode a batch of their image size, the
    others (ResNet-50 and up, whose full forward is tested once per kind in
    tests/test_configs_benchmarks.py) their hash layer a batch of pooled
    features."""
    cfg = load_config(name)
    cfg.merge_from_dict({'model.head.num_bits': bits})
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    assert model.head.num_bits == bits
    assert model.head.fch.out_features == bits
    if 'targets_file' in cfg.model.head:  # CNNH: one target file a length
        assert model.head.targets_file.endswith(f'_{bits}bit.npz')
    model.eval()
    with torch.no_grad():
        if cfg.model.backbone.type == 'ResNet_CIFAR':
            size = next(side for key, side in CIFAR_SIZES.items()
                        if key in name)
            images = torch.randn(2, cfg.model.backbone.in_channels, size, size)
            logits = model(images, mode='tensor')
        else:
            features = torch.randn(2, cfg.model.head.in_channels)
            logits = model.head((features, ))
    assert logits.shape == (2, bits)
    assert torch.isfinite(logits).all()
