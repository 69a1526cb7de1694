"""Images/s of HashNet training: synthetic tensors vs the real data pipeline.

For a config (default: ResNet-50, 64 bits, MS-COCO-style list files, 224x224
crops) this

1. writes a list-file dataset of random JPEGs at a realistic size (default
   640x480: smooth colour fields plus noise, about the file size of an
   MS-COCO photo at quality 90) and random multi-hot labels into a temporary
   folder (or uses the list and images of ``--data-root``);
2. builds the model, the optimizer wrapper and the train dataloader from the
   config, as mmengine's Runner would (random weights: nothing downloads,
   and the weights do not change the speed);
3. times ``model.train_step`` (preprocessor, forward, loss, backward,
   optimizer step) on
   (a) one batch of uint8 images already on the device: the ceiling;
   (b) batches from the real loader: JPEG decode, resize, crop, flip,
       collate, pinning, host-to-device copy;
   (b) starts the loader's workers. They hand out their first wave of
   batches (one per worker) at once, so when the loader is the slower side
   its deficit shows only after that stock is spent: give ``--iters`` well
   above ``--workers`` (the script says so otherwise);
4. times the loss module alone (forward + backward on (B, K) codes).

It prints img/s of (a) and (b), their ratio b/a, the mean time per iteration
spent waiting for the loader in (b), the loss's share of a step, and peak
memory: torch's max allocated on CUDA, else the process's peak RSS (the main
process; loader workers are separate processes). Each iteration ends with a
device synchronisation, so a step's time is its own. The files are read
from the page cache (the loader cycles over ``--num-images``), but every
image is decoded and augmented anew each time.

    # CPU, small (a smoke check, not a measurement of the GPU pipeline)
    python -m benchmarks train_speed --device cpu --batch-size 8 \\
        --workers 2 --iters 5 --warmup 1
    # one GPU, full size
    python -m benchmarks train_speed --device cuda --batch-size 256 \\
        --workers 16 --amp --iters 200 --warmup 20

Writes the figures to ``--out`` (default benchmarks/results/train_speed.json;
``--json`` is the same option).
"""
import argparse
import itertools
import os
import os.path as osp
import resource
import tempfile
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS
from PIL import Image

import hashnet_mm  # noqa: F401
from benchmarks._record import add_out_argument, write_record
from hashnet_mm.experiments.report import cpu_model as cpu_name
from hashnet_mm.utils.cli import use_amp

KIND = 'speed'

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'hashnet_resnet50_coco_64bit.py')


def image_size(text):
    """'640x480' -> (640, 480)."""
    try:
        width, height = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected WIDTHxHEIGHT, e.g. 640x480, got {text!r}')
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f'sizes must be >= 1, got {text!r}')
    return width, height


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cuda')
    parser.add_argument('--batch-size', type=int, help="the config's if unset")
    parser.add_argument('--workers', type=int, help="the config's if unset")
    parser.add_argument('--iters', type=int, default=100)
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument(
        '--image-size',
        type=image_size,
        default=(640, 480),
        help='WIDTHxHEIGHT of the generated JPEGs')
    parser.add_argument('--num-images', type=int, default=512)
    parser.add_argument(
        '--data-root',
        help='use the train.txt and images of this folder '
        '(e.g. write_jpeg_dataset\'s) instead of writing new ones')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='as tools/train.py --amp (bfloat16, CUDA only)')
    parser.add_argument(
        '--channels-last',
        action=argparse.BooleanOptionalAction,
        help="NHWC batches (ChannelsLastDataPreprocessor); the config's if "
        'unset')
    parser.add_argument(
        '--decode',
        choices=['cv2', 'pillow', 'turbojpeg'],
        help="LoadImageFromFile's imdecode_backend; the "
        "config's if unset")
    parser.add_argument(
        '--loss-batch-size',
        type=int,
        help='batch of the loss-only timing; the training '
        'batch if unset')
    add_out_argument(parser, 'train_speed', '--json')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.amp and args.device != 'cuda':
        parser.error("--amp needs --device cuda (mmengine's AmpOptimWrapper)")
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device here')
    for name in ('iters', 'num_images', 'batch_size', 'loss_batch_size'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.warmup < 0 or (args.workers is not None and args.workers < 0):
        parser.error('--warmup and --workers must be >= 0')
    return args


def write_jpeg_dataset(root, num_images, size, num_classes, seed=0):
    """``root/train.txt`` and JPEGs (quality 90); returns the mean file size.

    Each image is a bicubic upscale of an 8x6 random colour grid plus
    uniform noise of +-32: at 640x480 about 150 KiB, near the mean size of
    an MS-COCO 2014 image (about 160 KB), which sets the cost of decoding.
    Each gets 1 to 3 random labels of ``num_classes``.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    lines, total = [], 0
    for index in range(num_images):
        grid = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        smooth = np.asarray(
            Image.fromarray(grid).resize((width, height), Image.BICUBIC),
            dtype=np.int16)
        noisy = smooth + rng.integers(-32, 33, smooth.shape, dtype=np.int16)
        name = f'{index:06d}.jpg'
        path = osp.join(root, name)
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(
            path, quality=90)
        total += osp.getsize(path)
        labels = np.zeros(num_classes, dtype=int)
        labels[rng.choice(num_classes, rng.integers(1, 4), replace=False)] = 1
        lines.append(name + ' ' + ' '.join(map(str, labels)))
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return total / num_images


def listed_images(data_root):
    """(mean file size in bytes, (width, height) of the first image) of the
    images listed in ``data_root/train.txt``."""
    with open(osp.join(data_root, 'train.txt')) as f:
        paths = [
            osp.join(data_root,
                     line.split()[0]) for line in f if line.strip()
        ]
    with Image.open(paths[0]) as image:
        size = image.size
    return sum(osp.getsize(path) for path in paths) / len(paths), size


def benchmark_config(args, data_root):
    """The config with the command line's settings and the generated data.
    """
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    loader = cfg.train_dataloader
    if loader.dataset.type != 'HashListDataset':
        raise ValueError('train_speed.py needs a list-file (HashListDataset) '
                         f'train set, got {loader.dataset.type}')
    loader.dataset.update(data_root=data_root, ann_file='train.txt')
    if args.batch_size is not None:
        loader.batch_size = args.batch_size
    if args.workers is not None:
        loader.num_workers = args.workers
    if loader.num_workers == 0:
        loader.persistent_workers = False
    loader.pin_memory = args.device == 'cuda' and loader.get(
        'pin_memory', False)
    if args.decode is not None:
        loader.dataset.pipeline[0].imdecode_backend = args.decode
    if args.channels_last is not None:
        cfg.data_preprocessor.update(
            type='ChannelsLastDataPreprocessor',
            channels_last=args.channels_last)
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    cfg.model.backbone.init_cfg = None
    if args.amp:
        use_amp(cfg)
    return cfg


def synchronize(device):
    if device == 'cuda':
        torch.cuda.synchronize()


def time_train_steps(model, optim_wrapper, batches, args):
    """(seconds per step, seconds waiting for a batch per step)."""
    step_time = wait_time = 0.0
    for index in range(args.warmup + args.iters):
        start = time.perf_counter()
        data = next(batches)
        loaded = time.perf_counter()
        model.train_step(data, optim_wrapper)
        synchronize(args.device)
        if index >= args.warmup:
            wait_time += loaded - start
            step_time += time.perf_counter() - start
    return step_time / args.iters, wait_time / args.iters


def on_device(batch, device):
    """A copy of a collated batch with random uint8 images on ``device``."""
    inputs = batch['inputs']
    if isinstance(inputs, torch.Tensor):
        fake = torch.randint_like(inputs, 0, 256).to(device)
    else:
        fake = [torch.randint_like(x, 0, 256).to(device) for x in inputs]
    return dict(inputs=fake, data_samples=batch['data_samples'])


def time_loss(loss_module, batch_size, num_bits, num_classes, args):
    """Seconds per forward + backward of the loss on (B, K) random codes
    with random multi-hot labels (each label with probability 2 / C)."""
    generator = torch.Generator().manual_seed(0)
    codes = torch.randn(
        batch_size, num_bits,
        generator=generator).to(args.device).requires_grad_()
    labels = (torch.rand(batch_size, num_classes, generator=generator)
              < 2 / num_classes).to(args.device)
    elapsed = 0.0
    for index in range(args.warmup + args.iters):
        start = time.perf_counter()
        loss_module(torch.tanh(codes), labels).backward()
        synchronize(args.device)
        if index >= args.warmup:
            elapsed += time.perf_counter() - start
    return elapsed / args.iters


def peak_memory_mib(device):
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(args, data_root):
    """The timings of one configuration, as a dict."""
    cfg = benchmark_config(args, data_root)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = cfg.env_cfg.get(
            'cudnn_benchmark', False)
    model = MODELS.build(cfg.model).to(args.device)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    # One batch made in this process gives (a) its shape and labels; the
    # workers start only for (b), so they neither compete with (a) nor
    # stock batches during it.
    batch_size = loader.batch_size
    if len(loader.dataset) < batch_size:
        raise ValueError(f'--num-images {len(loader.dataset)} is smaller '
                         f'than the batch, {batch_size}')
    first = loader.collate_fn([loader.dataset[i] for i in range(batch_size)])
    synthetic = itertools.repeat(on_device(first, args.device))
    ceiling_step, _ = time_train_steps(model, optim_wrapper, synthetic, args)
    if args.device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    real_step, wait = time_train_steps(model, optim_wrapper, iter(loader),
                                       args)
    peak = peak_memory_mib(args.device)

    loss_batch = args.loss_batch_size or batch_size
    loss_step = time_loss(model.head.loss_module, loss_batch,
                          model.head.num_bits,
                          cfg.data_preprocessor.num_classes, args)
    return dict(
        batch_size=batch_size,
        workers=cfg.train_dataloader.num_workers,
        decode=cfg.train_dataloader.dataset.pipeline[0].get(
            'imdecode_backend', 'cv2'),
        channels_last=getattr(model.data_preprocessor, 'channels_last', False),
        amp=args.amp,
        synthetic_img_s=batch_size / ceiling_step,
        real_img_s=batch_size / real_step,
        ratio=ceiling_step / real_step,
        loader_wait_ms=1000 * wait,
        step_ms=1000 * real_step,
        loss_batch_size=loss_batch,
        loss_ms=1000 * loss_step,
        # The loss's share of a synthetic step, when both are at one batch.
        loss_share=loss_step /
        ceiling_step if loss_batch == batch_size else None,
        peak_memory_mib=peak)


def main(argv=None):
    args = parse_args(argv)
    num_classes = Config.fromfile(args.config).data_preprocessor.num_classes
    if args.data_root:
        mean_bytes, args.image_size = listed_images(args.data_root)
        results = measure(args, args.data_root)
    else:
        with tempfile.TemporaryDirectory() as data_root:
            mean_bytes = write_jpeg_dataset(data_root, args.num_images,
                                            args.image_size, num_classes)
            results = measure(args, data_root)
    if args.iters < 4 * results['workers']:
        print(f"note: --iters {args.iters} < 4 x {results['workers']} "
              'workers: the first wave of batches may hide part of the '
              "loader's cost")
    device = torch.cuda.get_device_name() if args.device == 'cuda' \
        else f'{cpu_name()}, {os.cpu_count()} cores'
    results.update(
        config=osp.basename(args.config),
        device=device,
        image_size='x'.join(map(str, args.image_size)),
        mean_jpeg_kib=mean_bytes / 1024,
        iters=args.iters)
    loss_batch = results['loss_batch_size']
    share = '' if results['loss_share'] is None else \
        f" ({100 * results['loss_share']:.2f}% of a synthetic step)"
    memory = 'GPU max allocated' if args.device == 'cuda' else \
        'peak RSS (main process)'
    print(f"{results['config']} on {device}: batch {results['batch_size']}, "
          f"{results['workers']} workers, decode {results['decode']}, "
          f"channels_last {results['channels_last']}, amp {args.amp}, "
          f"{results['image_size']} JPEGs of "
          f"{results['mean_jpeg_kib']:.0f} KiB")
    print(f"(a) synthetic {results['synthetic_img_s']:.1f} img/s, "
          f"(b) real pipeline {results['real_img_s']:.1f} img/s, "
          f"b/a = {results['ratio']:.3f}")
    print(f"loader wait {results['loader_wait_ms']:.1f} ms of a "
          f"{results['step_ms']:.1f} ms step; loss fwd+bwd at batch "
          f"{loss_batch} {results['loss_ms']:.2f} ms{share}; {memory} "
          f"{results['peak_memory_mib']:.0f} MiB")
    return write_record(args.out, 'train_speed', results, argv)


if __name__ == '__main__':
    main()
