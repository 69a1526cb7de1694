"""Cost curves of large collections: indexes at 10^5 .. 10^7 codes, and
tools/encode.py against a plain PyTorch loop.

    python -m benchmarks collection_scale --machine 'a 2-core Xeon VM'
    python -m benchmarks collection_scale --sizes 100000 \\
        --encode-sizes 2000 20000

Indexes (one fresh process per size and kind, so peak memory is its own):
synthetic 64-bit codes, noisy copies (each bit flipped with probability
0.12) of 1,000 random centres, as a hashing model's codes cluster by class;
100 queries drawn the same way, not in the collection. Codes are added a
shard (10^6 codes) at a time. For flat, multi-index hashing (4 tables of 16
bits, exact top-k by growing the radius) and IVF (trained on 40 x nlist
codes) it measures the build time, the build's extra peak resident memory
(peak RSS minus the RSS before the build, which already holds the codes
array), the index file's size, and the latency of single queries at
k = 100 (p50 / p99, one thread); for IVF at two nprobe settings also
recall@100 against the flat index: the fraction of the k results at or
within the exact k-th distance (tie-aware: any item at the k-th distance
is as right as another).

Encoding: ``tools/encode.py --shards`` (shards of 10^4 images) and a plain
loop (a torch DataLoader decoding the same PNGs with OpenCV, the model's
data preprocessor, forward, sign, pack; no Runner, no files written) over
the same random-init model (the narrow CIFAR ResNet-18, 64 bits) and the
same made 16x16 images, batch 256, each with ``--loader-workers`` data
loader processes and one thread (OMP_NUM_THREADS=1 for both).
Throughput is the steady state, (n2 - n1) / (t(n2) - t(n1)) over the two
sizes, which cancels start-up; peak RSS of each run is reported. Each run
is repeated (``--repeats``, the two taking turns) and the fastest counts.

Writes ``--out`` (the JSON record, default
benchmarks/results/collection_scale.json) and ``--markdown`` (a table; the
machine named; default beside ``--out``, ``.md``).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks._record import add_out_argument, make_record, save_json

KIND = 'speed'
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
NUM_BITS = 64
TOPK = 100
SHARD = 1_000_000
NLIST = {100_000: 256, 1_000_000: 1024, 10_000_000: 4096}
NPROBES = (8, 64)
SIDE = 16  # pixels of the made images


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open('/proc/self/status') as f:
        line = next(line for line in f if line.startswith('VmRSS:'))
    return int(line.split()[1]) / 1024


def synthetic_codes(n: int,
                    seed: int,
                    centres_seed: int = 0,
                    flip: float = 0.12) -> np.ndarray:
    """(n, 8) packed 64-bit codes: noisy copies of 1,000 fixed centres."""
    centres = np.random.default_rng(centres_seed).random(
        (1000, NUM_BITS)) < 0.5
    rng = np.random.default_rng(seed)
    parts, chunk = [], 4096  # small temporaries: the peak is the codes
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        bits = centres[rng.integers(0, 1000, size)] ^ (
            rng.random((size, NUM_BITS)) < flip)
        parts.append(np.packbits(bits, axis=1, bitorder='little'))
    return np.concatenate(parts)


def percentiles(seconds) -> dict:
    ms = np.asarray(seconds) * 1000
    return dict(
        p50_ms=round(float(np.percentile(ms, 50)), 3),
        p99_ms=round(float(np.percentile(ms, 99)), 3))


def single_query_latency(index, queries) -> list:
    found, seconds = [], []
    for query in queries:
        start = time.perf_counter()
        found.append(index.search(query[None], TOPK))
        seconds.append(time.perf_counter() - start)
    return found, seconds


def tie_aware_recall(found, exact) -> float:
    """Mean over queries of (results within the exact k-th distance) / k."""
    hits = []
    for approx, truth in zip(found, exact):
        kth = truth.distances[0, -1]
        distances = approx.distances[0]
        hits.append(((distances >= 0) & (distances <= kth)).sum() / TOPK)
    return round(float(np.mean(hits)), 4)


def index_worker(n: int, kind: str) -> dict:
    """Build, save and query one index; runs in its own process."""
    import faiss

    from hashnet_mm.search import HammingIndex
    faiss.omp_set_num_threads(1)
    codes = synthetic_codes(n, seed=1)
    queries = synthetic_codes(100, seed=2)
    rss_before = current_rss_mb()
    params = dict(nlist=NLIST[n], nprobe=NPROBES[0]) if kind == 'ivf' \
        else {}
    start = time.perf_counter()
    index = HammingIndex(NUM_BITS, kind, **params)
    if kind == 'ivf':
        sample = np.random.default_rng(3).choice(
            n, 40 * NLIST[n], replace=False)
        index.train(codes[np.sort(sample)])
    for first in range(0, n, SHARD):
        index.add(codes[first:first + SHARD],
                  np.arange(first, min(first + SHARD, n)))
    build_s = time.perf_counter() - start
    build_rss = max(0.0, peak_rss_mb() - rss_before)
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, 'x.index')
        index.save(path)
        size_mb = os.path.getsize(path) / 2**20
    report = dict(
        n=n,
        kind=kind,
        params=index.params,
        build_s=round(build_s, 2),
        build_extra_rss_mb=round(build_rss, 1),
        codes_array_mb=round(codes.nbytes / 2**20, 1),
        index_file_mb=round(size_mb, 1),
        exact_topk=index.exact_topk)
    if kind != 'ivf':
        report.update(percentiles(single_query_latency(index, queries)[1]))
        return report
    flat = HammingIndex(NUM_BITS)
    for first in range(0, n, SHARD):
        flat.add(codes[first:first + SHARD])
    exact, _ = single_query_latency(flat, queries)
    report['nprobe'] = {}
    for nprobe in NPROBES:
        index.nprobe = nprobe
        found, seconds = single_query_latency(index, queries)
        report['nprobe'][nprobe] = dict(
            percentiles(seconds), recall_at_100=tie_aware_recall(found, exact))
    return report


def run_worker(*args) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    result = subprocess.run([
        sys.executable, '-m', 'benchmarks', 'collection_scale', '--worker',
        *args
    ],
                            capture_output=True,
                            text=True,
                            env=env,
                            cwd=REPO)
    if result.returncode != 0:
        raise RuntimeError(f'worker {args} failed:\n{result.stderr[-3000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- encoding

CONFIG = """
_base_ = [
    '{configs}/_base_/models/hashnet_resnet18_cifar_narrow.py',
    '{configs}/_base_/datasets/fashion_mnist_demo.py',
    '{configs}/_base_/schedules/hashnet_adam_cpu_demo.py',
    '{configs}/_base_/default_runtime.py',
]
model = dict(backbone=dict(in_channels=3), head=dict(num_bits=64))
data_preprocessor = dict(num_classes=10, mean=[128.] * 3, std=[64.] * 3)
test_dataloader = dict(batch_size=256, num_workers={workers},
                       persistent_workers=False,
                       dataset=dict(pipeline=[dict(type='LoadImageFromFile'),
                                              dict(type='PackInputs')]))
default_hooks = dict(logger=dict(interval=1000))
"""


def make_model_and_images(folder: str, n: int, workers: int) -> tuple:
    """(config, checkpoint, image list) of the benchmark, in ``folder``."""
    from PIL import Image
    config = osp.join(folder, f'model_{workers}_workers.py')
    with open(config, 'w') as f:
        f.write(
            CONFIG.format(configs=osp.join(REPO, 'configs'), workers=workers))
    checkpoint = osp.join(folder, 'model.pth')
    if not osp.isfile(checkpoint):
        subprocess.run(
            [sys.executable, __file__, '--worker', 'init', config, checkpoint],
            check=True,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=REPO))
    images = osp.join(folder, 'images')
    os.makedirs(images, exist_ok=True)
    rng = np.random.default_rng(0)
    names = []
    for i in range(n):
        name = f'{i // 10000:03d}/{i:07d}.png'
        path = osp.join(images, name)
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            colour = rng.integers(0, 256, 3, dtype=np.uint8)
            pixels = np.clip(colour + rng.integers(-40, 40, (SIDE, SIDE, 3)),
                             0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(path)
        names.append(name)
    list_file = osp.join(folder, f'images_{n}.txt')
    with open(list_file, 'w') as f:
        f.write(''.join(name + '\n' for name in names))
    return config, checkpoint, list_file, images


def init_worker(config: str, checkpoint: str) -> None:
    import torch
    from mmengine.config import Config
    from mmengine.runner import save_checkpoint
    from mmpretrain.apis import get_model

    import hashnet_mm  # noqa: F401
    torch.manual_seed(0)
    model = get_model(Config.fromfile(config))
    model.init_weights()
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), checkpoint)


def plain_worker(config: str, checkpoint: str, list_file: str, root: str,
                 workers: str) -> dict:
    """The plain PyTorch loop; prints its wall time and peak RSS."""
    start = time.perf_counter()
    import mmcv
    import torch
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    from mmpretrain.apis import get_model

    import hashnet_mm  # noqa: F401
    from hashnet_mm.codes import pack_codes, sign_codes
    model = get_model(Config.fromfile(config))
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.eval()
    with open(list_file) as f:
        paths = [osp.join(root, line.strip()) for line in f if line.strip()]

    class Images(torch.utils.data.Dataset):

        def __len__(self):
            return len(paths)

        def __getitem__(self, i):
            image = mmcv.imread(paths[i])  # BGR uint8, as LoadImageFromFile
            return torch.from_numpy(image).permute(2, 0, 1).contiguous()

    loader = torch.utils.data.DataLoader(
        Images(), batch_size=256, num_workers=int(workers), collate_fn=list)
    packed = 0
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(dict(inputs=batch), False)
            codes = sign_codes(model(data['inputs'], mode='tensor'))
            packed += len(pack_codes(codes))
    assert packed == len(paths)
    return dict(wall_s=time.perf_counter() - start, peak_rss_mb=peak_rss_mb())


def encode_worker(config: str, checkpoint: str, list_file: str, root: str,
                  shards: str, work_dir: str) -> dict:
    """tools/encode.py --shards in this process; wall time and peak RSS."""
    import runpy
    start = time.perf_counter()
    sys.argv = [
        osp.join(REPO, 'tools', 'encode.py'), config, checkpoint, '--list',
        list_file, '--data-root', root, '--shards', shards, '--shard-size',
        '10000', '--work-dir', work_dir
    ]
    stdout = sys.stdout
    sys.stdout = sys.stderr  # the tool's own prints
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    finally:
        sys.stdout = stdout
    return dict(wall_s=time.perf_counter() - start, peak_rss_mb=peak_rss_mb())


def encoding_curves(sizes, folder: str, repeats: int, workers: int) -> dict:
    """Each size ``repeats`` times, encode.py and the plain loop taking
    turns (which goes first alternates); the fastest run of each counts, as
    the least disturbed by other jobs on a shared machine."""
    config, checkpoint, _, root = make_model_and_images(
        folder, max(sizes), workers)
    runs = {}
    for n in sizes:
        list_file = make_model_and_images(folder, n, workers)[2]
        shards = osp.join(folder, f'shards_{n}')
        tried = dict(encode_py=[], plain_loop=[])
        for repeat in range(repeats):
            order = ['encode_py', 'plain_loop'][::1 if repeat % 2 == 0 else -1]
            for name in order:
                if name == 'plain_loop':
                    tried[name].append(
                        run_worker('plain', config, checkpoint, list_file,
                                   root, str(workers)))
                    continue
                if osp.isdir(shards):  # a fresh encoding each time
                    for file in os.listdir(shards):
                        os.remove(osp.join(shards, file))
                tried[name].append(
                    run_worker('encode', config, checkpoint, list_file, root,
                               shards, osp.join(folder, 'work')))
        runs[n] = {
            name:
            dict(
                min(results, key=lambda r: r['wall_s']),
                all_wall_s=[round(r['wall_s'], 1) for r in results])
            for name, results in tried.items()
        }
    small, large = sorted(sizes)[:2]

    def steady(name):
        return (large - small) / (
            runs[large][name]['wall_s'] - runs[small][name]['wall_s'])

    return dict(
        runs=runs,
        steady_img_per_s=dict(
            encode_py=round(steady('encode_py'), 1),
            plain_loop=round(steady('plain_loop'), 1),
            ratio=round(steady('encode_py') / steady('plain_loop'), 3)))


def single_side(side: str, n: int, folder: str, workers: int) -> dict:
    """One encoder on ``n`` made images, in this process (for an outside
    timer that runs the two sides in turn); the model and images are made
    first when missing, and a previous run's shards are removed."""
    config, checkpoint, list_file, root = make_model_and_images(
        folder, n, workers)
    if side == 'plain':
        return plain_worker(config, checkpoint, list_file, root, str(workers))
    shards = osp.join(folder, f'shards_{n}')
    if osp.isdir(shards):
        for file in os.listdir(shards):
            os.remove(osp.join(shards, file))
    return encode_worker(config, checkpoint, list_file, root, shards,
                         osp.join(folder, 'work'))


# ---------------------------------------------------------------- report


def markdown(report: dict) -> str:
    lines = [
        '# Large collections: measured cost curves', '',
        f"Machine: {report['machine']}. Written by "
        '`python -m benchmarks collection_scale` (how each number is '
        'measured is in its docstring); raw numbers in the JSON record '
        'beside this page.', '',
        '## Indexes (synthetic clustered 64-bit codes, k = 100, one thread)',
        '', '| codes | kind | build s | build extra peak RSS MB | index file '
        'MB | query p50 ms | query p99 ms | recall@100 | exact top-k |',
        '|---|---|---|---|---|---|---|---|---|'
    ]
    for row in report['indexes']:
        common = (f"| {row['n']:,} | {row['kind']} | {row['build_s']} | "
                  f"{row['build_extra_rss_mb']} | {row['index_file_mb']} ")
        if row['kind'] != 'ivf':
            lines.append(common + f"| {row['p50_ms']} | {row['p99_ms']} | "
                         f"1 | {'yes' if row['exact_topk'] else 'no'} |")
            continue
        for nprobe, stats in row['nprobe'].items():
            lines.append(
                common.replace(
                    f"| {row['kind']} |",
                    f"| ivf nlist={row['params']['nlist']} "
                    f'nprobe={nprobe} |') +
                f"| {stats['p50_ms']} | {stats['p99_ms']} | "
                f"{stats['recall_at_100']} | no |")
    if report.get('encoding'):
        lines += [
            '', '## Encoding (tools/encode.py --shards vs a plain '
            'PyTorch loop)', '',
            '| loader workers | images | encode.py s | encode.py peak '
            'RSS MB | plain loop s | plain loop peak RSS MB |',
            '|---|---|---|---|---|---|'
        ]
        for workers, enc in sorted(report['encoding'].items()):
            for n, run in sorted(enc['runs'].items(), key=lambda x: int(x[0])):
                lines.append(f"| {workers} | {int(n):,} | "
                             f"{run['encode_py']['wall_s']:.1f} | "
                             f"{run['encode_py']['peak_rss_mb']:.0f} | "
                             f"{run['plain_loop']['wall_s']:.1f} | "
                             f"{run['plain_loop']['peak_rss_mb']:.0f} |")
        lines += [
            '', 'Steady-state throughput (img/s):', '',
            '| loader workers | encode.py | plain loop | ratio |',
            '|---|---|---|---|'
        ]
        for workers, enc in sorted(report['encoding'].items()):
            steady = enc['steady_img_per_s']
            lines.append(f"| {workers} | {steady['encode_py']} | "
                         f"{steady['plain_loop']} | {steady['ratio']} |")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='*',
        default=[100_000, 1_000_000, 10_000_000],
        help='numbers of codes (none: keep the index rows '
        'already in --out)')
    parser.add_argument('--kinds', nargs='+', default=['flat', 'hash', 'ivf'])
    parser.add_argument(
        '--encode-sizes',
        type=int,
        nargs='*',
        default=[10_000, 100_000],
        help='two sizes (none: skip the encoding curves)')
    parser.add_argument(
        '--loader-workers',
        type=int,
        default=1,
        help='data loader worker processes of both encoders')
    parser.add_argument(
        '--repeats',
        type=int,
        default=2,
        help='runs of each encoder per size (the fastest '
        'counts)')
    parser.add_argument(
        '--only',
        choices=['encode', 'plain'],
        help='run one encoder once on the first of '
        '--encode-sizes, in this process, and print its wall '
        'time and peak RSS (nothing written to --out): the '
        'two sides for an outside timer run in turn')
    parser.add_argument(
        '--machine',
        default='unnamed machine',
        help='the hardware, named in the results')
    parser.add_argument(
        '--work-dir',
        default=osp.join(tempfile.gettempdir(), 'hashnet_collection_scale'))
    add_out_argument(parser, 'collection_scale')
    parser.add_argument(
        '--markdown', help='the table (default: beside '
        '--out, .md)')
    parser.add_argument(
        '--worker', nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.markdown = args.markdown or osp.splitext(args.out)[0] + '.md'
    if args.worker:
        kind, *rest = args.worker
        workers = dict(
            index=lambda n, k: index_worker(int(n), k),
            encode=encode_worker,
            plain=plain_worker,
            init=init_worker)
        result = workers[kind](*rest)
        if result is not None:
            print(json.dumps(result))
        return
    if args.only:
        os.environ['OMP_NUM_THREADS'] = '1'  # before torch is imported
        os.makedirs(args.work_dir, exist_ok=True)
        print(
            json.dumps(
                single_side(args.only, args.encode_sizes[0], args.work_dir,
                            args.loader_workers)))
        return
    report = dict(machine=args.machine, indexes=[], encoding={})
    if osp.isfile(args.out):  # keep what this run does not measure
        with open(args.out) as f:
            previous = json.load(f)
        if not args.sizes:
            report['indexes'] = previous['indexes']
        report['encoding'] = previous.get('encoding') or {}
    os.makedirs(osp.dirname(args.out), exist_ok=True)

    def save():
        save_json(args.out, make_record('collection_scale', report, argv))
        with open(args.markdown, 'w') as f:
            f.write(markdown(report))

    for n in args.sizes:
        for kind in args.kinds:
            row = run_worker('index', str(n), kind)
            print(json.dumps(row), flush=True)
            report['indexes'].append(row)
            save()
    if args.encode_sizes:
        os.makedirs(args.work_dir, exist_ok=True)
        curves = encoding_curves(args.encode_sizes, args.work_dir,
                                 args.repeats, args.loader_workers)
        report['encoding'][str(args.loader_workers)] = curves
        print(json.dumps(curves), flush=True)
        save()
    return report


if __name__ == '__main__':
    main()
