"""Histogram of the non-binarised codes of checkpoints (HashNet fig. 7).

    python tools/analysis/code_histogram.py \
        HashNet=configs/hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py:work_dirs/hashnet/iter_2000.pth \
        DHN=configs/dhn/dhn_resnet18cifar_1xb64_fashionmnist-demo_32bit.py:work_dirs/dhn/iter_2000.pth \
        --split database --max-images 2000 --out work_dirs/code_histogram.png

A run is ``LABEL=CONFIG:CHECKPOINT``. Each model encodes up to
``--max-images`` images of a split of its config's data (evenly spaced,
with the test pipeline) and the values of every bit of its continuous codes
are histogrammed: what the head trains on, ``head.continuous_codes(z)``
(tanh(beta z) for HashNet with beta of the checkpoint's last iteration, by
the schedule and run length saved in the checkpoint, the
thresholded sigmoid for DNNH, z itself for DPSH); ``--logits`` shows z. Also
printed and saved as JSON next to the figure: the mean distance between a
continuous code and its binarised code (0 when the codes are binary).
"""  # noqa: E501
import argparse
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

from hashnet_mm.apis import HashInferencer
from hashnet_mm.engine.hooks import ContinuationHook
from hashnet_mm.utils.checkpoint import read_checkpoint
from hashnet_mm.utils.cli import override_config
from hashnet_mm.utils.figures import PanelRow

SPLITS = ('query', 'database', 'train')


def split_paths(cfg: Config, split: str, max_images: int) -> List[str]:
    """Up to ``max_images`` evenly spaced image paths of a split."""
    if split == 'train':
        dataset_cfg = cfg.train_dataloader.dataset
    else:
        dataset_cfg = cfg.test_dataloader.dataset[split]
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset = DATASETS.build(dataset_cfg)
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    step = max(1, len(paths) // max_images)
    return paths[::step][:max_images]


def trained_beta(cfg: Config, checkpoint: str) -> float:
    """beta of the checkpoint's last training iteration, ``meta['iter'] -
    1``: by the ContinuationHook and ``train_cfg.max_iters`` of the run that
    saved it (the config in its meta, which holds what the run was given,
    e.g. ``run_grid.py --max-iters``), else of ``cfg``; 1 without one."""
    meta = read_checkpoint(checkpoint).get('meta') or {}
    run_cfg = Config.fromstring(meta['cfg'], file_format='.py') \
        if meta.get('cfg') else cfg
    hooks = [
        dict(h) for h in run_cfg.get('custom_hooks') or []
        if h['type'] == 'ContinuationHook'
    ]
    if not hooks:
        return 1.0
    hooks[0].pop('type')
    max_iters = (run_cfg.get('train_cfg') or {}).get('max_iters')
    return ContinuationHook(**hooks[0]).beta_at(
        max(meta.get('iter', 1) - 1, 0), max_iters)


@torch.no_grad()
def code_values(config: str,
                checkpoint: str,
                split: str,
                max_images: int,
                logits: bool = False,
                batch_size: int = 64,
                cfg_options: Optional[dict] = None,
                data_root: Optional[str] = None) -> dict:
    """Continuous codes (or z) of the images, and the mean distance of the
    continuous codes to their binarised codes."""
    cfg = override_config(Config.fromfile(config), cfg_options, data_root)
    inferencer = HashInferencer(cfg, checkpoint, device='cpu')
    head = inferencer.model.head
    head.beta = trained_beta(cfg, checkpoint)
    paths = split_paths(cfg, split, max_images)
    z = torch.from_numpy(
        inferencer(paths, batch_size=batch_size, with_logits=True)['logits'])
    codes = head.continuous_codes(z)
    return dict(
        values=(z if logits else codes).flatten().numpy(),
        beta=head.beta,
        num_images=len(paths),
        binarisation_gap=float((codes - head.binary_codes(z)).abs().mean()))


def parse_run(spec: str):
    """``(label, config, checkpoint)`` of ``LABEL=CONFIG:CHECKPOINT``."""
    label, sep, rest = spec.partition('=')
    config, sep2, checkpoint = rest.rpartition(':')
    if not (sep and sep2 and label and config and checkpoint):
        raise ValueError(f'expected LABEL=CONFIG:CHECKPOINT, got {spec!r}')
    return label, config, checkpoint


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Histogram of non-binarised codes (HashNet fig. 7)')
    parser.add_argument('runs', nargs='+', help='LABEL=CONFIG:CHECKPOINT')
    parser.add_argument('--split', choices=SPLITS, default='database')
    parser.add_argument('--max-images', type=int, default=2000)
    parser.add_argument('--bins', type=int, default=50)
    parser.add_argument(
        '--logits',
        action='store_true',
        help='histogram z instead of the continuous codes')
    parser.add_argument('--out', default='code_histogram.png')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override entries of every config, e.g. model.head.num_bits=32')
    parser.add_argument(
        '--data-root', help='the data root of every dataset of the configs')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    runs = [parse_run(spec) for spec in args.runs]
    panels = PanelRow(len(runs), panel_width=4)
    for ax, (label, config, checkpoint) in zip(panels, runs):
        result = code_values(
            config,
            checkpoint,
            args.split,
            args.max_images,
            args.logits,
            cfg_options=args.cfg_options,
            data_root=args.data_root)
        counts, edges = np.histogram(result['values'], bins=args.bins)
        ax.bar(
            edges[:-1],
            counts / counts.sum(),
            width=np.diff(edges),
            align='edge')
        ax.set(
            title=f'{label} (gap {result["binarisation_gap"]:.3f})',
            xlabel='z' if args.logits else 'code value',
            ylabel='fraction')
        panels.summary[label] = dict(
            counts=counts.tolist(),
            edges=edges.tolist(),
            **{
                k: v
                for k, v in result.items() if k != 'values'
            })
        print(f'{label}: {result["num_images"]} {args.split} images, beta '
              f'{result["beta"]:.3f}, mean |code - binarised code| '
              f'{result["binarisation_gap"]:.4f}')
    return panels.save(args.out)


if __name__ == '__main__':
    main()
