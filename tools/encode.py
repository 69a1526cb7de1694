"""Encode a collection of images into packed binary codes.

    python tools/encode.py CONFIG CHECKPOINT (--list FILE | --dir DIR) \
        (--out codes.npz | --shards DIR [--shard-size 100000])

Batched inference through mmengine's Runner (GPU when available, several
processes with ``--launcher pytorch`` under torchrun, or ``slurm``) with the
config's test pipeline, in inference mode (``EncodeLoop``, the test loop
unless the config names another).

``--out`` writes one codes file (for collections that fit in one process's
memory): the packed codes (ceil(K / 8) bytes per image), their ids (0 ..
n-1, the collection's order), the image paths and, for a list with labels,
the (n, C) multi-hot labels (C: the data preprocessor's ``num_classes``
when the config sets it, else the list's own), gathered on rank 0 and
written atomically when every image is encoded.

``--shards`` writes the same content as shards of ``--shard-size`` images,
each written by its rank as soon as it is complete (atomically, with a
checksum), and a ``manifest.json`` at the end
(:mod:`hashnet_mm.search.shards`). Rerunning the same command after a
failure, with any number of processes, encodes only the shards that are
missing or corrupt; no process holds more than one shard of codes.

Paths are stored relative to the collection's image root, which the file
records: the ``--dir`` folder, or the list's ``--data-root`` (default: the
list's folder); ``tools/search.py --image-root`` reads them from elsewhere.
With ``--dir``, an image is a file whose extension (any case) is one of
``hashnet_mm.images.IMAGE_EXTENSIONS``; other files are counted and named,
not encoded. The list of the folder's images is written beside the output
(``DIR/images.txt`` for shards, ``<work dir>/images.txt`` otherwise).
"""
import argparse
import hashlib
import json
import os.path as osp
import sys
from typing import Tuple

from mmengine.dist import is_main_process
from mmengine.runner import Runner

from hashnet_mm.apis import inference_pipeline_config
from hashnet_mm.engine.hooks import ProgressBarHook
from hashnet_mm.images import IMAGE_EXTENSIONS, find_image_files
from hashnet_mm.search.storage import atomic_write
from hashnet_mm.utils.checkpoint import load_model_weights
from hashnet_mm.utils.cli import (add_checkpoint_args, add_max_pixels_arg,
                                  add_runner_args, load_runner_config,
                                  max_pixels_setting, share_num_classes)


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
    output = parser.add_mutually_exclusive_group(required=True)
    output.add_argument(
        '--out', help='one codes file to write (.npz), for small sets')
    output.add_argument(
        '--shards',
        help='folder of shards to write (or to complete, when a run into '
        'it was interrupted), with manifest.json when done')
    parser.add_argument(
        '--shard-size',
        type=int,
        default=100000,
        help='images per shard (default 100000; keep it when resuming)')
    parser.add_argument(
        '--batch-size',
        type=int,
        help="images per batch and process (default: the config's test "
        'batch size)')
    add_max_pixels_arg(parser, 'an image of the collection')
    add_runner_args(parser)
    args = parser.parse_args(argv)
    if args.shard_size < 1:
        parser.error(f'--shard-size must be >= 1, got {args.shard_size}')
    args.max_pixels = max_pixels_setting(parser, args)
    return args


def has_labels(list_file: str) -> bool:
    """Whether the first line of ``list_file`` has labels after its path."""
    with open(list_file) as f:
        for line in f:
            if line.strip():
                return len(line.split()) > 1
    raise ValueError(f'{list_file}: no images listed')


def folder_list(folder: str, list_file: str) -> int:
    """Write the images under ``folder`` to ``list_file`` (paths relative
    to ``folder``, sorted) and return their number; the other files are
    named on stderr. ValueError when there is no image."""
    images, others = find_image_files(folder)
    if others:
        shown = ', '.join(osp.relpath(p, folder) for p in others[:10])
        more = f' and {len(others) - 10} more' if len(others) > 10 else ''
        print(
            f'{folder}: {len(others)} files are not images (extensions '
            f"{' '.join(IMAGE_EXTENSIONS)}, any case) and are not "
            f'encoded: {shown}{more}',
            file=sys.stderr)
    if not images:
        raise ValueError(f'{folder}: no images found')
    with atomic_write(list_file) as f:
        f.write(''.join(osp.relpath(p, folder) + '\n'
                        for p in images).encode())
    return len(images)


def collection(args, list_folder: str) -> Tuple[dict, str, str, int]:
    """``(dataset config without pipeline, list file, image root, number
    of images)`` of ``--dir`` or ``--list``."""
    if args.dir:
        root = osp.abspath(args.dir)
        list_file = osp.join(list_folder, 'images.txt')
        count = folder_list(root, list_file)
        return dict(type='ImageFilesDataset', data_root=root,
                    ann_file=list_file, with_label=False), list_file, root, \
            count
    list_file = osp.abspath(args.list)
    root = osp.abspath(args.data_root or osp.dirname(list_file))
    with open(list_file) as f:
        count = sum(1 for line in f if line.strip())
    if not count:
        raise ValueError(f'{list_file}: no images listed')
    kind = 'HashListDataset' if has_labels(list_file) else \
        'ImageFilesDataset'
    dataset = dict(type=kind, data_root=root, ann_file=list_file)
    if kind == 'ImageFilesDataset':
        dataset['with_label'] = False
    return dataset, list_file, root, count


def file_sha256(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            sha.update(block)
    return sha.hexdigest()


def encoding_plan(cfg, args, list_file: str, root: str, count: int) -> dict:
    """What makes shards of one encoding: the same images (the list's
    content), image root, shard size, model config and weights."""
    model = json.dumps(cfg.model.to_dict(), sort_keys=True, default=str)
    return dict(
        images=file_sha256(list_file),
        num_items=count,
        image_root=root,
        shard_size=args.shard_size,
        model=hashlib.sha256(model.encode()).hexdigest(),
        checkpoint=file_sha256(args.checkpoint))


def encode_loop_config(test_cfg) -> dict:
    """The config's ``test_cfg`` with mmengine's ``TestLoop`` (the default)
    replaced by ``EncodeLoop``, its other settings (``fp16``) kept; a loop
    of another type is kept as it is."""
    test_cfg = dict(test_cfg or {})
    if test_cfg.get('type', 'TestLoop') in ('TestLoop', 'mmengine.TestLoop'):
        test_cfg['type'] = 'EncodeLoop'
    return test_cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = load_runner_config(args)
    dataset, list_file, root, count = collection(args, args.shards
                                                 or cfg.work_dir)
    cfg.test_dataloader.dataset = dict(
        dataset,
        pipeline=inference_pipeline_config(cfg),
        max_pixels=args.max_pixels)
    share_num_classes(cfg)  # a labelled list's C, for the stored labels
    if args.batch_size:
        cfg.test_dataloader.batch_size = args.batch_size
    if args.shards:
        plan = encoding_plan(cfg, args, list_file, root, count)
        cfg.test_dataloader.sampler = dict(
            type='ShardSampler',
            folder=args.shards,
            shard_size=args.shard_size,
            plan=plan)
        cfg.test_evaluator = dict(
            type='DumpHashCodeShards',
            folder=args.shards,
            shard_size=args.shard_size,
            num_items=count,
            plan=plan,
            image_root=root)
    else:
        cfg.test_evaluator = dict(
            type='DumpHashCodes', out_file=args.out, image_root=root)
    cfg.test_cfg = encode_loop_config(cfg.get('test_cfg'))
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    load_model_weights(
        runner.model,
        args.checkpoint,
        strict=not args.partial_load,
        logger=runner.logger)
    runner.register_hook(ProgressBarHook())
    metrics = runner.test()
    if is_main_process():
        labels = f", labels of {metrics['encode/num_classes']} classes" \
            if 'encode/num_classes' in metrics else ''
        where = f'{args.out}:' if args.out else (
            f"{args.shards}: {metrics['encode/num_shards']} shards "
            f"({metrics['encode/num_shards_encoded']} encoded by this run) "
            'of')
        print(f"\n{where} {metrics['encode/num_items']} images, "
              f"{metrics['encode/num_bits']}-bit codes{labels}")


if __name__ == '__main__':
    main()
