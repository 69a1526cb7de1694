"""The benchmark configs: every dataset config loads with the protocol's
settings at every length of the paper's rows (one 64-bit file a setting,
``--cfg-options model.head.num_bits=K`` for the others), and each kind of model
(EfficientNet-Lite0 from the converted weights, mmpretrain's own
Swin / ViT / ConvNeXt configs, the mosaic benchmark) trains a step."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import hashnet_mm  # noqa: F401
from .test_configs import point_at
from .tiny_data import one_hot, write_tiny_dataset
from .tool_modules import load_tool

pytestmark = pytest.mark.slow

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
BITS = (16, 32, 48, 64)
# dataset in the config name: (data root, list folder, classes, R)
PROTOCOL = {
    'coco': ('data/coco/', '', 80, 5000),
    'nuswide': ('data/nus_wide/', 'nuswide_81/', 81, 5000),
    'nuswide21': ('data/nus_wide/', 'nuswide_21/', 21, 5000),
    'imagenet100': ('data/imagenet/', 'imagenet100/', 100, 1000),
    'cifar10': ('data/cifar10/', '', 10, -1),
    'fashionmnist': ('data/fashion_mnist/', '', 10, -1),
    'fashionmnist-mosaic': ('data/fashion_mnist_mosaic/', '', 10, -1),
}
BENCHMARKS = [(backbone, dataset)
              for backbone in ('resnet50', 'efficientnetlite0')
              for dataset in ('coco', 'nuswide', 'imagenet100', 'cifar10')]
BENCHMARKS += [('resnet50', 'nuswide21'), ('resnet18cifar', 'fashionmnist'),
               ('resnet18cifar', 'fashionmnist-mosaic')]
# mmpretrain model config: test image size (Swin's 7x7 windows need 224).
MIXED = {'swin-tiny': 224, 'vit-base-p16': 64, 'convnext-tiny': 64}


def config_path(backbone, dataset, bits=64):
    return osp.join(CONFIGS, 'hashnet',
                    f'hashnet_{backbone}_1xb64_{dataset}_{bits}bit.py')


def benchmark_configs(backbone, dataset):
    """(config, bits) for each length of the paper's rows: the one 64-bit
    file with ``model.head.num_bits`` set, as ``--cfg-options
    model.head.num_bits=K`` does."""
    configs = []
    for bits in BITS:
        cfg = Config.fromfile(config_path(backbone, dataset))
        assert cfg.model.head.num_bits == 64
        cfg.merge_from_dict({'model.head.num_bits': bits})
        configs.append((cfg, bits))
    return configs


@pytest.mark.parametrize('backbone,dataset', BENCHMARKS)
def test_benchmark_configs_follow_the_protocol(backbone, dataset):
    data_root, lists, num_classes, topk = PROTOCOL[dataset]
    for cfg, bits in benchmark_configs(backbone, dataset):
        assert cfg.model.head.type == 'HashHead'
        assert cfg.model.head.num_bits == bits
        assert cfg.data_preprocessor.num_classes == num_classes
        assert cfg.test_evaluator.topk == cfg.val_evaluator.topk == topk
        loaders = (cfg.train_dataloader.dataset,
                   cfg.test_dataloader.dataset.query,
                   cfg.test_dataloader.dataset.database,
                   cfg.val_dataloader.dataset.query,
                   cfg.val_dataloader.dataset.database)
        for dataset_cfg, split in zip(
                loaders, ('train', 'query', 'database', 'train', 'train')):
            assert dataset_cfg.data_root == data_root
            assert dataset_cfg.ann_file == f'{lists}{split}.txt'
        # Validation: queries held out of train.txt, ranked against the rest
        # (val_database=0: the validation database is the trained-on rest).
        assert [d.get('subset', 'all') for d in loaders] == \
            ['train', 'all', 'all', 'val_query', 'val_database']
        if backbone == 'efficientnetlite0':
            assert cfg.data_preprocessor.mean == [127.] * 3
            assert cfg.model.backbone.init_cfg.checkpoint == \
                'checkpoints/tf_efficientnet_lite0_in1k_mmpretrain.pth'


def test_one_file_a_setting_the_length_an_option():
    """The code-length policy: no config differs from another in its
    length only; every config names its length in its file name."""
    import glob
    import re
    leaves = [
        p for p in glob.glob(osp.join(CONFIGS, '*', '*.py'))
        if '_base_' not in p and 'feature_track' not in p
    ]
    stems = {}
    for path in leaves:
        name = osp.basename(path)
        match = re.fullmatch(r'(.+)_(\d+)bit\.py', name)
        assert match, f'{name}: no _{{K}}bit suffix'
        assert Config.fromfile(path).model.head.num_bits == \
            int(match.group(2)), name
        stems.setdefault(match.group(1), []).append(name)
    assert all(len(names) == 1 for names in stems.values()), stems


@pytest.fixture
def tiny_rgb(tmp_path):
    """4 classes, 32x32 RGB: 8 train, 4 query, 8 database images."""
    splits = {
        name: one_hot([i % 4 for i in range(n)], 4)
        for name, n in (('train', 8), ('query', 4), ('database', 8))
    }
    return write_tiny_dataset(str(tmp_path / 'data'), splits, size=32)


def train_one_step(cfg, data_root, image_size=None, init=False):
    """Build the config's model, optimizer and data on the tiny images
    (resized to ``image_size`` when given), take one SGD step, then encode a
    test batch; return the model. No Runner: its logging and checkpoints
    would take longer than the step."""
    point_at(cfg, data_root, work_dir=None, max_iters=1, batch_size=2)
    datasets = [cfg.train_dataloader.dataset] + [
        cfg.test_dataloader.dataset[split] for split in ('query', 'database')
    ]
    for dataset, split in zip(datasets, ('train', 'query', 'database')):
        dataset.ann_file = f'{split}.txt'
        if image_size:
            dataset.pipeline = [
                dict(type='LoadImageFromFile'),
                dict(type='Resize', scale=(image_size, image_size)),
                dict(type='PackInputs')
            ]
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        if init:
            model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        before = [p.detach().clone() for p in model.head.parameters()]
        train_batch = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
        losses = model.train_step(train_batch, optim_wrapper)
        assert torch.isfinite(losses['loss'])
        assert any(not torch.equal(b, p)
                   for b, p in zip(before, model.head.parameters()))
        test_batch = next(iter(Runner.build_dataloader(cfg.test_dataloader)))
        for sample in model.val_step(test_batch):
            assert set(sample.hash_code.unique().tolist()) <= {-1.0, 1.0}
            assert sample.split == 'query'
    return model


@pytest.mark.parametrize('name,image_size', MIXED.items())
def test_mmpretrain_model_configs_take_the_hash_head(tiny_rgb, name,
                                                     image_size):
    cfg = Config.fromfile(config_path(name, 'coco'))
    assert cfg.model.get('train_cfg') is None  # no Mixup / CutMix
    assert cfg.model.backbone.init_cfg.checkpoint.startswith('https://')
    cfg.model.backbone.init_cfg = None  # nothing is downloaded
    model = train_one_step(cfg, tiny_rgb, image_size)
    assert model.head.fch.out_features == 64


def test_efficientnet_config_loads_the_converted_weights(tmp_path, tiny_rgb):
    converter = load_tool(
        'model_converters/efficientnet_lite0_to_mmpretrain.py')
    checkpoint = converter.main(['--out', str(tmp_path / 'lite0.pth')])
    cfg = Config.fromfile(config_path('efficientnetlite0', 'coco'))
    cfg.merge_from_dict({
        'model.backbone.init_cfg.checkpoint': checkpoint,
        'model.head.num_bits': 32
    })
    model = MODELS.build(cfg.model)
    model.init_weights()
    saved = torch.load(checkpoint, weights_only=True)['state_dict']
    torch.testing.assert_close(
        model.backbone.timm_model.blocks[3][0].conv_pwl.weight,
        saved['backbone.timm_model.blocks.3.0.conv_pwl.weight'])
    assert train_one_step(cfg, tiny_rgb, 64).head.fch.in_features == 1280


def test_mosaic_config_steps_on_56px_grey_images(tmp_path):
    labels = one_hot([0, 1, 2, 3] * 2, 4)
    labels[::3, 2] = 1  # several labels an image
    data_root = write_tiny_dataset(
        str(tmp_path / 'data'), {
            'train': labels,
            'query': labels[:4],
            'database': labels
        },
        size=56)
    cfg = Config.fromfile(config_path('resnet18cifar', 'fashionmnist-mosaic'))
    cfg.merge_from_dict({'model.head.num_bits': 16})
    train_one_step(cfg, data_root, init=True)
