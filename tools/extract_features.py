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

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmpretrain.registry import DATASETS

from hashnet_mm.shallow.feature_files import SPLITS, save_features
from hashnet_mm.apis import HashInferencer
from hashnet_mm.utils.cli import (add_checkpoint_args, add_runner_args,
                                  load_runner_config)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    add_checkpoint_args(parser)
    parser.add_argument('--split', required=True, choices=SPLITS)
    parser.add_argument(
        '--layer', help='module name whose output is the feature, e.g. '
        'backbone, neck, head.fch, backbone.layer3 (default: neck, or '
        'backbone without a neck)')
    parser.add_argument('--out', help='output folder (default: '
                        'WORK_DIR/features)')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    add_runner_args(parser)
    return parser.parse_args()


def split_dataset_cfg(cfg, split):
    """The dataset config of ``split``, with the test pipeline."""
    test = cfg.test_dataloader.dataset
    if test.get('type') != 'QueryDatabaseDataset':
        raise ValueError('the config\'s test_dataloader.dataset must be a '
                         f'QueryDatabaseDataset, got {test.get("type")}')
    if split == 'train':
        dataset = cfg.train_dataloader.dataset.copy()
        dataset.pipeline = test.query.pipeline
        return dataset
    return test[split]


class LayerOutput:
    """Keeps the output of one named module of ``model`` at every forward,
    as an (N, C) matrix (the last element of a tuple; feature maps are
    averaged over space)."""

    def __init__(self, model: torch.nn.Module, name: str):
        try:
            module = model.get_submodule(name)
        except AttributeError:
            names = [n for n, _ in model.named_children()]
            raise ValueError(f'the model has no layer {name!r}; top-level '
                             f'layers: {names}') from None
        self.name, self.value = name, None
        module.register_forward_hook(self.keep)

    def keep(self, module, inputs, output):
        if isinstance(output, (tuple, list)):
            output = output[-1]
        if output.dim() == 4:
            output = output.mean(dim=(2, 3))
        self.value = output.flatten(1)

    def pop(self) -> torch.Tensor:
        if self.value is None:
            raise RuntimeError(f'layer {self.name!r} was not called by the '
                               "model's forward pass")
        value, self.value = self.value, None
        return value


def multi_hot(dataset) -> np.ndarray:
    labels = np.zeros((len(dataset), len(dataset.metainfo['classes'])),
                      dtype=np.uint8)
    for index, row in enumerate(labels):
        row[dataset.get_data_info(index)['gt_label']] = 1
    return labels


@torch.no_grad()
def extract(model, dataset, layer: LayerOutput, batch_size: int,
            num_workers: int) -> np.ndarray:
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers,
        shuffle=False, collate_fn=pseudo_collate)
    progress = ProgressBar(len(dataset))
    features = []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        model(data['inputs'], data['data_samples'], mode='tensor')
        features.append(layer.pop().float().cpu())
        progress.update(len(batch['inputs']))
    print()
    return torch.cat(features).numpy()


def main():
    args = parse_args()
    if args.launcher != 'none':
        raise SystemExit('extract_features.py runs as one process; choose '
                         'the GPU with --device')
    cfg = load_runner_config(args)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = HashInferencer(cfg, args.checkpoint, args.device,
                           strict=not args.partial_load).model
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
