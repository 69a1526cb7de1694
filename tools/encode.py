"""Encode a collection of images into packed binary codes.

    python tools/encode.py CONFIG CHECKPOINT --list FILE | --dir DIR \
        --out codes.npz

Batched inference through mmengine's Runner (GPU when available, several
processes with ``--launcher`` / ``tools/dist_test.sh``-style torchrun) with
the config's test pipeline. The codes file holds the packed codes
(ceil(K / 8) bytes per image), their ids (0 .. n-1, the collection's order),
the image paths and, for a list with labels, the (n, C) multi-hot labels
(C: the data preprocessor's ``num_classes`` when the config sets it, else
the list's own), so that ``tools/search.py`` can mark each neighbour right
or wrong; it is written atomically when every image is encoded.
"""
import argparse
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.runner import Runner

from hashnet_mm.apis import inference_pipeline_config
from hashnet_mm.engine.hooks import ProgressBarHook
# Importing hashnet_mm.search registers DumpHashCodes.
from hashnet_mm.search import DumpHashCodes  # noqa: F401
from hashnet_mm.utils.checkpoint import load_model_weights
from hashnet_mm.utils.cli import (add_checkpoint_args, add_runner_args,
                                  load_runner_config, share_num_classes)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Encode images into packed binary codes')
    parser.add_argument('config', help='config file path')
    add_checkpoint_args(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        '--list',
        help='list file: one image path per line, alone or followed by '
        'labels (HashNet list format)')
    source.add_argument(
        '--dir', help='encode every image under this folder (recursively)')
    parser.add_argument(
        '--out', required=True, help='codes file to write (.npz)')
    parser.add_argument(
        '--batch-size', type=int,
        help="images per batch and process (default: the config's test "
        'batch size)')
    add_runner_args(parser)
    return parser.parse_args(argv)


def has_labels(list_file: str) -> bool:
    """Whether the first line of ``list_file`` has labels after its path."""
    with open(list_file) as f:
        for line in f:
            if line.strip():
                return len(line.split()) > 1
    raise ValueError(f'{list_file}: no images listed')


def image_dataset(args, pipeline: list) -> dict:
    """The dataset config of ``--dir`` or ``--list``."""
    if args.dir:
        return dict(type='ImageFilesDataset', data_prefix=args.dir,
                    with_label=False, pipeline=pipeline)
    list_file = osp.abspath(args.list)
    data_root = args.data_root or osp.dirname(list_file)
    if has_labels(list_file):
        return dict(type='HashListDataset', data_root=data_root,
                    ann_file=list_file, pipeline=pipeline)
    return dict(type='ImageFilesDataset', data_root=data_root, ann_file=list_file,
                with_label=False, pipeline=pipeline)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_runner_config(args)
    cfg.test_dataloader.dataset = image_dataset(
        args, inference_pipeline_config(cfg))
    share_num_classes(cfg)  # a labelled list's C, for the stored labels
    if args.batch_size:
        cfg.test_dataloader.batch_size = args.batch_size
    cfg.test_evaluator = dict(type='DumpHashCodes', out_file=args.out)
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    load_model_weights(runner.model, args.checkpoint,
                       strict=not args.partial_load, logger=runner.logger)
    runner.register_hook(ProgressBarHook())
    metrics = runner.test()
    if is_main_process():
        labels = f", labels of {metrics['encode/num_classes']} classes" \
            if 'encode/num_classes' in metrics else ''
        print(f"\n{args.out}: {metrics['encode/num_items']} images, "
              f"{metrics['encode/num_bits']}-bit codes{labels}")


if __name__ == '__main__':
    main()
