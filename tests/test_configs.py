"""The shipped configs build and train on tiny made images, offline."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmpretrain.models import ResNet
from mmpretrain.registry import MODELS

import hashnet_mm  # noqa: F401
from hashnet_mm.datasets.demo import materialize_demo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
COCO = osp.join(REPO, 'configs', 'hashnet_resnet50_coco_64bit.py')
DEMO = osp.join(REPO, 'configs',
                'hashnet_resnet18cifar_fashionmnist_demo_32bit.py')


def point_at(cfg, data_root, work_dir, max_iters=2, batch_size=2):
    """Redirect a config's data and work dir; small batches, no workers."""
    loaders = (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader)
    for loader in loaders:
        loader.update(batch_size=batch_size, num_workers=0,
                      persistent_workers=False)
    cfg.train_dataloader.dataset.data_root = data_root
    for loader in loaders[1:]:
        for split in ('query', 'database'):
            loader.dataset[split].data_root = data_root
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
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in weights.items()}}, path)
    return path, weights


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


def test_demo_config_steps_on_the_shipped_data(tmp_path):
    data_root = str(tmp_path / 'demo')
    materialize_demo(data_root)
    cfg = point_at(Config.fromfile(DEMO), data_root, str(tmp_path / 'work'),
                   max_iters=3, batch_size=8)
    cfg.train_cfg.val_interval = 100
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 3
    assert torch.isfinite(torch.tensor(
        runner.message_hub.get_scalar('train/loss').current()))


def test_readme_own_backbone_recipe(tmp_path):
    """The README's 'HashNet on your own backbone' config builds and runs."""
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
