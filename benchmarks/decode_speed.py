"""Per-image cost of the training pipeline's JPEG decode and augmentation.

On one core (OpenCV and torch single-threaded, as in a loader worker), for
the generated JPEGs of ``train_speed`` (default 640x480, quality 90):

- decode only: OpenCV ``imdecode``, PIL ``Image.open().convert('RGB')``,
  ``torchvision.io.decode_jpeg`` (CPU);
- decode + resize to 256x256 (bilinear, no antialiasing, as mmcv's
  ``Resize``) + a random 224 crop, with each library;
- the config's whole train pipeline as the loader runs it (``HashListDataset``
  item: LoadImageFromFile, Resize, RandomCrop, RandomFlip, PackInputs) with
  LoadImageFromFile's ``imdecode_backend`` 'cv2' and 'pillow'.

For each it prints ms per image, images/s per core, and the loader workers
(one core each) that reach ``--target`` img/s (default 3,990: ResNet-50
bf16 on one H100, docs/en/benchmarks/speed.md) if the pipeline scaled
perfectly. Each variant's time is the best of ``--repeats`` passes (the
machine may be shared). torchvision 0.29 deprecates its image decoders for
TorchCodec; they are measured as they stand.

    python -m benchmarks decode_speed --num-images 200

Writes the times to ``--out`` (default benchmarks/results/decode_speed.json).
"""
import argparse
import io
import math
import os
import os.path as osp
import tempfile
import time

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS
from PIL import Image
from torchvision.io import decode_jpeg
from torchvision.transforms.v2 import functional as TF

from benchmarks._record import add_out_argument, write_record
from benchmarks.train_speed import (DEFAULT_CONFIG, cpu_name, image_size,
                                    write_jpeg_dataset)

KIND = 'speed'
RESIZE, CROP = 256, 224


def random_crop(image, rng, channels_first=False):
    top, left = rng.integers(0, RESIZE - CROP + 1, 2)
    if channels_first:
        return image[:, top:top + CROP, left:left + CROP]
    return image[top:top + CROP, left:left + CROP]


def decode_pil(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert('RGB'))


def decode_cv2(data):
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def decode_torchvision(data):
    return decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8))


def augment_pil(data, rng):
    image = Image.open(io.BytesIO(data)).convert('RGB').resize(
        (RESIZE, RESIZE), Image.BILINEAR)
    return random_crop(np.asarray(image), rng)


def augment_cv2(data, rng):
    image = cv2.resize(
        decode_cv2(data), (RESIZE, RESIZE), interpolation=cv2.INTER_LINEAR)
    return random_crop(image, rng)


def augment_torchvision(data, rng):
    image = TF.resize(
        decode_torchvision(data), [RESIZE, RESIZE], antialias=False)
    return random_crop(image, rng, channels_first=True)


def pipeline_dataset(config, data_root, decode):
    """The config's train set on ``data_root`` with this decode backend."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=data_root, ann_file='train.txt')
    dataset.pipeline[0].imdecode_backend = decode
    return DATASETS.build(dataset)


def ms_per_image(function, items, repeats):
    """Best of ``repeats`` passes over ``items``: ms per item."""
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, time.perf_counter() - start)
    return 1000 * best / len(items)


def measure(args, data_root):
    """{name: ms per image} for every variant."""
    names = sorted(n for n in os.listdir(data_root) if n.endswith('.jpg'))
    blobs = []
    for name in names:
        with open(osp.join(data_root, name), 'rb') as f:
            blobs.append(f.read())
    rng = np.random.default_rng(0)
    times = {}
    for library in ('cv2', 'pil', 'torchvision'):
        decode = globals()[f'decode_{library}']
        augment = globals()[f'augment_{library}']
        decode(blobs[0])  # first call: library initialisation
        times[f'{library}: decode'] = ms_per_image(decode, blobs, args.repeats)
        times[f'{library}: decode + resize + crop'] = ms_per_image(
            lambda data: augment(data, rng), blobs, args.repeats)
    for backend in ('cv2', 'pillow'):
        dataset = pipeline_dataset(args.config, data_root, backend)
        dataset[0]
        times[f'config train pipeline, imdecode_backend={backend}'] = \
            ms_per_image(dataset.__getitem__, range(len(dataset)),
                         args.repeats)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--image-size', type=image_size, default=(640, 480))
    parser.add_argument(
        '--repeats',
        type=int,
        default=3,
        help='passes per variant; the fastest counts')
    parser.add_argument(
        '--target',
        type=float,
        default=3990.0,
        help='img/s the loader must reach')
    add_out_argument(parser, 'decode_speed')
    args = parser.parse_args(argv)
    if args.num_images < 1 or args.repeats < 1:
        parser.error('--num-images and --repeats must be >= 1')
    cv2.setNumThreads(0)
    torch.set_num_threads(1)
    num_classes = Config.fromfile(args.config).data_preprocessor.num_classes
    with tempfile.TemporaryDirectory() as data_root:
        mean_bytes = write_jpeg_dataset(data_root, args.num_images,
                                        args.image_size, num_classes)
        times = measure(args, data_root)
    print(f'{args.num_images} JPEGs of '
          f"{'x'.join(map(str, args.image_size))}, mean "
          f'{mean_bytes / 1024:.0f} KiB, one core of '
          f'{cpu_name()}')
    print(f'| variant | ms/img | img/s per core | workers for '
          f'{args.target:,.0f} img/s |')
    print('|---|---:|---:|---:|')
    for name, ms in times.items():
        print(f'| {name} | {ms:.2f} | {1000 / ms:.0f} | '
              f'{math.ceil(args.target * ms / 1000)} |')
    write_record(
        args.out, 'decode_speed',
        dict(
            num_images=args.num_images,
            image_size='x'.join(map(str, args.image_size)),
            mean_jpeg_kib=round(mean_bytes / 1024, 1),
            target_img_s=args.target,
            ms_per_image=times,
            workers_for_target={
                name: math.ceil(args.target * ms / 1000)
                for name, ms in times.items()
            }), argv)
    return times


if __name__ == '__main__':
    main()
