"""Write a trained model's features of one split of a list-file dataset.

The model and the test-time pipeline come from the config; the weights from
CHECKPOINT (strict: every key must match). Features are the output of
``--layer`` (default: the neck, else the backbone), globally average-pooled
if the layer gives a feature map, for every image of the split, in list-file
order:

    python tools/extract_features.py CONFIG CHECKPOINT --split train
    -> WORK_DIR/features/train.npy, train_ids.txt, train_labels.npy

The train split is read with the test pipeline (no augmentation).
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

from hashnet_mm.apis import HashInferencer
from hashnet_mm.apis.feature_extraction import (LayerOutput, extract,
                                                multi_hot, split_dataset_cfg)
from hashnet_mm.shallow.feature_files import SPLITS, save_features
from hashnet_mm.utils.cli import (add_checkpoint_args, add_runner_args,
                                  load_runner_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    add_checkpoint_args(parser)
    parser.add_argument('--split', required=True, choices=SPLITS)
    parser.add_argument(
        '--layer',
        help='module name whose output is the feature, e.g. '
        'backbone, neck, head.fch, backbone.layer3 (default: neck, or '
        'backbone without a neck)')
    parser.add_argument(
        '--out', help='output folder (default: '
        'WORK_DIR/features)')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    add_runner_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.launcher != 'none':
        raise SystemExit('extract_features.py runs as one process; choose '
                         'the GPU with --device')
    cfg = load_runner_config(args)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = HashInferencer(
        cfg, args.checkpoint, args.device, strict=not args.partial_load).model
    name = args.layer or ('neck' if model.with_neck else 'backbone')
    layer = LayerOutput(model, name)

    dataset = DATASETS.build(split_dataset_cfg(cfg, args.split))
    features = extract(model, dataset, layer, args.batch_size,
                       args.num_workers)
    ids = [
        osp.relpath(dataset.get_data_info(i)['img_path'], dataset.img_prefix)
        for i in range(len(dataset))
    ]
    out = args.out or osp.join(cfg.work_dir, 'features')
    os.makedirs(out, exist_ok=True)
    paths = save_features(out, args.split, features, ids, multi_hot(dataset))
    print(f'{args.split}: {features.shape[0]} x {features.shape[1]} '
          f'features of layer {name!r} -> {paths["features"]}')


if __name__ == '__main__':
    main()
