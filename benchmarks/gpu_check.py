"""One prepared GPU check: training, speed, the metric and search, timed.

Makes its own data under ``--work-dir``, then runs each step in its own
process under a time cap (killed past it), going on past a failed step:

- ``data``: JPEGs of ``train_speed.write_jpeg_dataset`` listed as
  train.txt (all), query.txt and database.txt (disjoint);
- ``train``: ``tools/train.py`` on ``hashnet_resnet50_coco_64bit.py``
  (random init, no download) with ``--amp``: loss finite, beta logged, a
  checkpoint;
- ``test``: ``tools/test.py`` on that checkpoint: the MAP;
- ``train_speed``: the ``train_speed`` benchmark on the same JPEGs: b/a
  (target >= 0.9), loader wait, peak memory, the loss's share of a step;
- ``metric``: ``HammingRetrievalMetric`` at MS-COCO size on the device
  (``eval_speed``'s case; target < 0.1 s), and per-query AP and counts of
  the device's matrix-product ranking against the CPU kernel (1e-12);
- ``encode``: ``tools/encode.py`` of the database images;
- ``index``: a FAISS index over those codes (``build_index``): top-k and
  radius ids against a brute-force popcount.

Every figure goes to ``--out`` (the JSON record, rewritten after each step;
default benchmarks/results/gpu_check.json), with the machine; the steps'
logs go beside it (``{out}_logs/``; default ``WORK_DIR/gpu_check_logs/``).
A table is printed at the end. ``--smoke``: the same steps at tiny
size on the CPU in fp32 (mmengine's AMP needs a GPU), as the tests run it.
``--steps`` reruns some steps in an existing ``--work-dir``.

On a machine with a CUDA GPU and the package installed, from the
repository root::

    python -m benchmarks gpu_check --work-dir /tmp/gpu_check
"""
import argparse
import glob
import importlib.metadata
import json
import math
import os
import os.path as osp
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

from benchmarks._record import (add_out_argument, default_out, make_record,
                                save_json)

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)
CONFIG = osp.join(REPO, 'configs', 'hashnet_resnet50_coco_64bit.py')
KIND = 'device'
STEPS = ('data', 'train', 'test', 'train_speed', 'metric', 'encode', 'index')
FIGURES = 'FIGURES '  # the line a --part process ends its output with

# Sizes and caps (seconds). FULL's caps add up to 7.5 minutes.
FULL = dict(
    device='cuda',
    amp=True,
    image_size=(640, 480),
    num_images=1024,
    num_query=256,
    train_iters=300,
    batch_size=128,
    workers=12,
    test_batch_size=128,
    test_workers=8,
    log_interval=25,
    beta_step=None,
    crop=None,
    speed_iters=100,
    speed_warmup=20,
    speed_batch_size=128,
    metric_query=5000,
    metric_database=117218,
    metric_topk=5000,
    metric_repeats=3,
    search_topk=10,
    search_radius=2,
    caps=dict(
        data=45,
        train=120,
        test=45,
        train_speed=90,
        metric=75,
        encode=45,
        index=30))
SMOKE = dict(
    FULL,
    device='cpu',
    amp=False,
    image_size=(64, 48),
    num_images=24,
    num_query=8,
    train_iters=4,
    batch_size=4,
    workers=0,
    test_batch_size=8,
    test_workers=0,
    log_interval=1,
    beta_step=2,
    crop=(64, 56),
    speed_iters=2,
    speed_warmup=1,
    speed_batch_size=2,
    metric_query=100,
    metric_database=1000,
    metric_topk=250,
    metric_repeats=1,
    caps={name: 180
          for name in STEPS})
AMP_NOTE = ("fp32: mmengine's AmpOptimWrapper (tools/train.py --amp) needs a "
            'GPU')


class StepError(RuntimeError):
    """A step's process failed or one of its checks did not hold."""


@dataclass
class Step:
    """A step: ``command()`` gives its process (raising if a step it needs
    left nothing), ``check(log)`` its figures (raising if a check fails)."""
    name: str
    cap_s: float
    command: Callable[[], List[str]]
    check: Callable[[str], dict]


def tail(path, chars=3000):
    try:
        with open(path, errors='replace') as f:
            return f.read()[-chars:]
    except OSError:
        return ''


def run_step(step: Step, log_path: str, env: Optional[dict] = None) -> dict:
    """Run one step in its own process group; a record, never raising."""
    record = dict(
        name=step.name,
        passed=False,
        seconds=None,
        cap_s=step.cap_s,
        error=None,
        figures={},
        log=log_path)
    start = time.perf_counter()
    process = None
    if osp.exists(log_path):
        os.remove(log_path)  # an earlier run's
    try:
        command = step.command()
        with open(log_path, 'w') as log:
            log.write('$ ' + ' '.join(command) + '\n')
            log.flush()
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env=env,
                start_new_session=True)
            try:
                code = process.wait(timeout=step.cap_s)
            except subprocess.TimeoutExpired:
                raise StepError(f'over its cap of {step.cap_s:g} s: killed')
        if code != 0:
            raise StepError(f'exit status {code}')
        with open(log_path, errors='replace') as f:
            record['figures'] = step.check(f.read())
        record['passed'] = True
    except Exception as error:  # the next steps still run
        record['error'] = f'{type(error).__name__}: {error}'
        record['log_tail'] = tail(log_path)
    finally:
        if process is not None:  # past its cap, or workers it left behind
            kill_group(process)
    record['seconds'] = time.perf_counter() - start
    return record


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def run_steps(steps: List[Step],
              log_dir: str,
              env: Optional[dict] = None,
              after_each: Optional[Callable[[list], None]] = None) -> list:
    """Every step in order, whatever the earlier ones did."""
    os.makedirs(log_dir, exist_ok=True)
    records = []
    for step in steps:
        print(
            f'[gpu_check] {step.name} (cap {step.cap_s:g} s) ...', flush=True)
        record = run_step(step, osp.join(log_dir, f'{step.name}.log'), env)
        records.append(record)
        print(
            f"[gpu_check] {step.name}: "
            f"{'passed' if record['passed'] else 'FAILED'} in "
            f"{record['seconds']:.1f} s" +
            (f" ({record['error']})" if record['error'] else ''),
            flush=True)
        if after_each is not None:
            after_each(records)
    return records


def printed_figures(log: str) -> dict:
    """The figures a ``--part`` process printed last."""
    lines = [line for line in log.splitlines() if line.startswith(FIGURES)]
    if not lines:
        raise StepError(f'no {FIGURES.strip()} line in the output')
    return json.loads(lines[-1][len(FIGURES):])


def finite(value):
    return isinstance(value, (int, float)) and math.isfinite(value)


# ---------------------------------------------------------------- figures


def machine_info(sizes):
    """The machine and the versions that ran the check."""
    info = dict(
        python=platform.python_version(),
        cpu_cores=os.cpu_count(),
        mode_device=sizes['device'])
    try:
        from benchmarks.train_speed import cpu_name
        info['cpu'] = cpu_name()
    except Exception as error:  # noqa: BLE001
        info['cpu'] = f'unknown ({error})'
    try:
        import torch
        info.update(
            torch=torch.__version__,
            cuda=torch.version.cuda,
            cuda_available=torch.cuda.is_available())
        if torch.cuda.is_available():
            info.update(
                gpu=torch.cuda.get_device_name(),
                cudnn=torch.backends.cudnn.version())
    except Exception as error:  # noqa: BLE001
        info['torch'] = f'not importable ({error})'
    for package in ('numpy', 'numba', 'mmengine', 'mmcv-lite', 'mmcv',
                    'mmpretrain', 'faiss-cpu', 'opencv-python',
                    'opencv-python-headless', 'pillow'):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    info['name'] = info.get('gpu') or f"{info['cpu']}, {os.cpu_count()} cores"
    return info


def runner_options(work_dir, sizes, train=False):
    """--cfg-options for the tools: the made data, random init, sizes."""
    data = osp.join(work_dir, 'data')
    options = [
        'model.backbone.init_cfg=None',
        f'train_dataloader.dataset.data_root={data}'
    ]
    for loader in ('test_dataloader', 'val_dataloader'):
        options += [
            f'{loader}.batch_size={sizes["test_batch_size"]}',
            f'{loader}.num_workers={sizes["test_workers"]}'
        ]
        if not sizes['test_workers']:
            options.append(f'{loader}.persistent_workers=False')
        if sizes['device'] == 'cpu':
            options.append(f'{loader}.pin_memory=False')
        for split in ('query', 'database'):
            options.append(f'{loader}.dataset.{split}.data_root={data}')
            if sizes['crop']:
                scale, crop = sizes['crop']
                pipeline = f'{loader}.dataset.{split}.pipeline'
                options += [
                    f'{pipeline}.1.scale=({scale},{scale})',
                    f'{pipeline}.2.crop_size={crop}'
                ]
    if sizes['crop']:
        options += train_crop_options(sizes)
    if train:
        iters = sizes['train_iters']
        options += [
            f'train_dataloader.batch_size={sizes["batch_size"]}',
            f'train_dataloader.num_workers={sizes["workers"]}',
            f'train_cfg.max_iters={iters}',
            f'train_cfg.val_begin={iters + 1}',  # no validation: test runs
            f'default_hooks.checkpoint.interval={iters}',
            f'default_hooks.logger.interval={sizes["log_interval"]}'
        ]
        if not sizes['workers']:
            options.append('train_dataloader.persistent_workers=False')
        if sizes['device'] == 'cpu':
            options.append('train_dataloader.pin_memory=False')
        if sizes['beta_step']:
            options.append(f'custom_hooks.0.step={sizes["beta_step"]}')
    return options


def train_crop_options(sizes):
    scale, crop = sizes['crop']
    pipeline = 'train_dataloader.dataset.pipeline'
    return [
        f'{pipeline}.1.scale=({scale},{scale})',
        f'{pipeline}.2.crop_size={crop}'
    ]


def last_checkpoint(work_dir):
    path = osp.join(work_dir, 'train', 'last_checkpoint')
    if not osp.isfile(path):
        raise StepError('no checkpoint: the train step did not finish')
    with open(path) as f:
        return f.read().strip()


def train_figures(work_dir, sizes):
    """Loss, beta, time and memory from mmengine's scalars.json."""
    found = sorted(
        glob.glob(
            osp.join(work_dir, 'train', '*', 'vis_data', 'scalars.json')))
    if not found:
        raise StepError('no vis_data/scalars.json in the train work dir')
    with open(found[-1]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    rows = [row for row in rows if 'loss' in row]
    if not rows:
        raise StepError('no loss logged')
    losses = [row['loss'] for row in rows]
    if not all(finite(loss) for loss in losses):
        raise StepError(f'loss not finite: {losses}')
    betas = [row['beta'] for row in rows if 'beta' in row]
    if not betas:
        raise StepError('beta not logged')
    if rows[-1]['iter'] != sizes['train_iters']:
        raise StepError(f"last logged iteration {rows[-1]['iter']}, not "
                        f"{sizes['train_iters']}")
    checkpoint = last_checkpoint(work_dir)
    if not osp.isfile(checkpoint):
        raise StepError(f'{checkpoint} missing')
    # Iteration times of the logging windows after the first (warm-up).
    steady = rows[1:] or rows
    seconds = sorted(row['time'] for row in steady)[len(steady) // 2]
    figures = dict(
        iters=rows[-1]['iter'],
        batch_size=sizes['batch_size'],
        amp=sizes['amp'],
        loss_first=losses[0],
        loss_last=losses[-1],
        beta_first=betas[0],
        beta_last=betas[-1],
        iter_s_median=seconds,
        img_s=sizes['batch_size'] / seconds,
        data_time_s_median=sorted(row['data_time']
                                  for row in steady)[len(steady) // 2])
    memory = [row['memory'] for row in rows if 'memory' in row]
    if memory:
        figures['gpu_memory_mib_max'] = max(memory)
    if not sizes['amp']:
        figures['amp_note'] = AMP_NOTE
    return figures


def test_figures(log):
    """The metrics tools/test.py saved (or printed)."""
    match = re.search(r'all metrics, curves included: (\S+)', log)
    if match and osp.isfile(match.group(1)):
        with open(match.group(1)) as f:
            metrics = json.load(f)
    else:
        lines = log.splitlines()
        start = max(i for i, line in enumerate(lines) if line == '{')
        stop = next(i for i in range(start, len(lines)) if lines[i] == '}')
        metrics = json.loads('\n'.join(lines[start:stop + 1]))
    maps = {
        k: v
        for k, v in metrics.items()
        if re.fullmatch(r'retrieval/(tie_aware_)?mAP@\w+', k)
    }
    if not maps or not all(finite(v) and 0 <= v <= 1 for v in maps.values()):
        raise StepError(f'no valid MAP in the test results: {maps}')
    keep = ('retrieval/P@H<=2', 'retrieval/P@100')
    return dict(maps, **{k: metrics[k] for k in keep if k in metrics})


def speed_figures(path):
    with open(path) as f:
        results = json.load(f)
    for key in ('synthetic_img_s', 'real_img_s', 'ratio', 'loss_ms'):
        if not finite(results.get(key)) or results[key] <= 0:
            raise StepError(f'{key} = {results.get(key)}')
    results['target_ratio_0.9_met'] = results['ratio'] >= 0.9
    return results


def encode_figures(log, work_dir, sizes):
    match = re.search(r'codes\.npz: (\d+) images, (\d+)-bit codes', log)
    if not match:
        raise StepError('tools/encode.py printed no summary')
    count, bits = map(int, match.groups())
    expected = sizes['num_images'] - sizes['num_query']
    if count != expected or bits != 64:
        raise StepError(f'{count} {bits}-bit codes, expected {expected} '
                        '64-bit')
    return dict(
        codes=count,
        num_bits=bits,
        file_kib=osp.getsize(codes_path(work_dir)) / 1024)


def codes_path(work_dir):
    return osp.join(work_dir, 'encode', 'codes.npz')


# ---------------------------------------------------------------- parts


def part_data(work_dir, sizes):
    from mmengine.config import Config

    from benchmarks.train_speed import write_jpeg_dataset
    root = osp.join(work_dir, 'data')
    os.makedirs(root, exist_ok=True)
    num_classes = Config.fromfile(CONFIG).data_preprocessor.num_classes
    start = time.perf_counter()
    mean_bytes = write_jpeg_dataset(root, sizes['num_images'],
                                    sizes['image_size'], num_classes)
    with open(osp.join(root, 'train.txt')) as f:
        lines = f.read().splitlines()
    split = sizes['num_query']
    for name, part in (('query', lines[:split]), ('database', lines[split:])):
        with open(osp.join(root, f'{name}.txt'), 'w') as f:
            f.write('\n'.join(part) + '\n')
    return dict(
        images=len(lines),
        query=split,
        database=len(lines) - split,
        image_size='x'.join(map(str, sizes['image_size'])),
        mean_jpeg_kib=mean_bytes / 1024,
        write_s=time.perf_counter() - start)


def statistics_with(backend, tensors, topk, chunk_size):
    """``ranking_statistics`` with the ranking backend forced."""
    from hashnet_mm.evaluation.functional import ranking_statistics
    query_codes, query_labels, database_codes, database_labels = tensors
    return ranking_statistics(
        query_codes,
        database_codes,
        query_labels,
        database_labels,
        topk=topk,
        chunk_size=chunk_size,
        backend=backend)


def part_metric(work_dir, sizes):
    import numpy as np
    import torch

    from benchmarks import eval_speed
    device, topk = sizes['device'], sizes['metric_topk']
    start = time.perf_counter()
    case = eval_speed.coco_like_case(0, sizes['metric_query'],
                                     sizes['metric_database'])
    query_codes, query_labels, database_codes, database_labels = case
    results = eval_speed.gathered_results(query_codes, database_codes,
                                          query_labels, database_labels)
    tensors = [torch.from_numpy(array) for array in case]
    made = time.perf_counter() - start
    chunk = 128
    eval_speed.time_metric(results, tensors, device, 1, chunk, topk)  # warm
    (seconds, metrics, peak), (score_seconds, _, score_peak) = \
        eval_speed.time_metric(results, tensors, device,
                               sizes['metric_repeats'], chunk, topk)

    # The device's ranking (matrix products; on CPU too in --smoke) against
    # the CPU kernel (packed codes, numba), every query.
    start = time.perf_counter()
    on_device = statistics_with('torch', [t.to(device) for t in tensors], topk,
                                chunk)
    if device == 'cuda':
        torch.cuda.synchronize()
    device_s = time.perf_counter() - start
    start = time.perf_counter()
    on_cpu = statistics_with('numba', tensors, topk, chunk)
    cpu_s = time.perf_counter() - start
    ap_device = on_device.average_precision.cpu().numpy()
    ap_cpu = on_cpu.average_precision.numpy()
    same_nan = bool(np.array_equal(np.isnan(ap_device), np.isnan(ap_cpu)))
    defined = ~np.isnan(ap_cpu)
    difference = float(np.abs(ap_device - ap_cpu)[defined].max()) \
        if defined.any() else 0.0
    counts_equal = all(
        torch.equal(getattr(on_device, name).cpu(), getattr(on_cpu, name))
        for name in ('distance_counts', 'relevant_counts'))
    name = f'mAP@{topk}'
    figures = dict(
        device=device,
        queries=len(query_codes),
        database=len(database_codes),
        topk=topk,
        case_s=made,
        metric_s_best=min(seconds),
        metric_s_runs=seconds,
        scoring_s_best=min(score_seconds),
        peak_mib=max(peak, score_peak) / 2**20,
        target_0p1_s_met=min(seconds) < 0.1,
        scoring_target_0p1_s_met=min(score_seconds) < 0.1,
        **{name: metrics[name]},
        agreement_queries=len(ap_cpu),
        ap_max_difference=difference,
        ap_same_undefined=same_nan,
        counts_equal=counts_equal,
        device_ranking_s=device_s,
        cpu_kernel_s=cpu_s,
        cpu_threads=torch.get_num_threads())
    if not (same_nan and difference <= 1e-12 and counts_equal):
        raise StepError(f'device and CPU kernel disagree: {figures}')
    return figures


def part_index(work_dir, sizes):
    import numpy as np

    from benchmarks.search_speed import numpy_topk
    from hashnet_mm.search import CodesFile, HammingIndex
    from hashnet_mm.search.build_index import main as build_index
    path = codes_path(work_dir)
    if not osp.isfile(path):
        raise StepError(f'{path} missing: the encode step did not finish')
    codes = CodesFile.load(path)
    index_path = osp.join(work_dir, 'encode', 'database.index')
    start = time.perf_counter()
    build_index([path, '--out', index_path])
    index = HammingIndex.load(index_path)
    build_s = time.perf_counter() - start
    packed, ids = codes.codes, codes.ids
    queries = packed[:sizes['num_query']]
    k = min(sizes['search_topk'], len(packed))
    start = time.perf_counter()
    found = index.search(queries, k)
    search_s = time.perf_counter() - start
    topk_same = bool(
        np.array_equal(found.ids, ids[numpy_topk(queries, packed, k)]))

    radius = sizes['search_radius']
    distance = np.bitwise_count(queries[:, None, :] ^ packed[None]).sum(
        axis=2, dtype=np.int64)
    within = index.search_radius(queries, radius)
    radius_same = True
    for row, result in zip(distance, within):
        near = np.flatnonzero(row <= radius)
        near = near[np.lexsort((near, row[near]))]
        radius_same &= bool(
            np.array_equal(result.ids, ids[near])
            and np.array_equal(result.distances, row[near]))
    figures = dict(
        codes=len(packed),
        distinct_codes=len(np.unique(packed, axis=0)),
        num_bits=codes.num_bits,
        queries=len(queries),
        k=k,
        build_load_s=build_s,
        search_s=search_s,
        topk_identical=topk_same,
        radius=radius,
        radius_identical=radius_same,
        radius_mean_results=float(np.mean([len(r.ids) for r in within])))
    if not (topk_same and radius_same):
        raise StepError(f'FAISS and brute force differ: {figures}')
    return figures


PARTS = dict(data=part_data, metric=part_metric, index=part_index)

# ---------------------------------------------------------------- steps


def make_steps(work_dir, sizes, smoke, python=sys.executable):
    """The steps of the check, in order."""
    caps = sizes['caps']
    train_dir = osp.join(work_dir, 'train')
    speed_json = osp.join(work_dir, 'train_speed.json')
    mode = ['--smoke'] if smoke else []

    def part(name):
        return Step(
            name, caps[name], lambda: [
                python, '-m', 'benchmarks', 'gpu_check', '--part', name,
                '--work-dir', work_dir
            ] + mode, printed_figures)

    def tool(name, *args):
        return [python, osp.join(REPO, 'tools', name), CONFIG, *args]

    def train():
        # A fresh run: tools/train.py refuses to overwrite the checkpoints
        # of an earlier (e.g. failed) try of this step.
        shutil.rmtree(train_dir, ignore_errors=True)
        command = tool('train.py', '--work-dir', train_dir)
        if sizes['amp']:
            command.append('--amp')
        return command + ['--cfg-options'] + runner_options(
            work_dir, sizes, train=True)

    def speed():
        command = [
            python, '-m', 'benchmarks', 'train_speed', CONFIG, '--device',
            sizes['device'], '--data-root',
            osp.join(work_dir, 'data'), '--batch-size',
            str(sizes['speed_batch_size']), '--workers',
            str(sizes['workers']), '--iters',
            str(sizes['speed_iters']), '--warmup',
            str(sizes['speed_warmup']), '--json', speed_json
        ]
        if sizes['amp']:
            command.append('--amp')
        if sizes['crop']:
            command += ['--cfg-options'] + train_crop_options(sizes)
        return command

    def encode():
        return tool('encode.py', last_checkpoint(work_dir), '--list',
                    osp.join(work_dir, 'data', 'database.txt'), '--out',
                    codes_path(work_dir), '--work-dir',
                    osp.join(work_dir, 'encode'), '--cfg-options',
                    *runner_options(work_dir, sizes))

    return [
        part('data'),
        Step('train', caps['train'], train,
             lambda log: train_figures(work_dir, sizes)),
        Step(
            'test', caps['test'],
            lambda: tool('test.py', last_checkpoint(work_dir), '--work-dir',
                         osp.join(work_dir, 'test'), '--cfg-options',
                         *runner_options(work_dir, sizes)), test_figures),
        Step('train_speed', caps['train_speed'], speed,
             lambda log: speed_figures(speed_json)),
        part('metric'),
        Step('encode', caps['encode'], encode,
             lambda log: encode_figures(log, work_dir, sizes)),
        part('index'),
    ]


def child_env(smoke):
    """The environment of the steps: this one's (PYTHONPATH included), the
    repository importable; --smoke on one CPU thread, no GPU."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    if smoke:
        env['CUDA_VISIBLE_DEVICES'] = ''
        env.setdefault('OMP_NUM_THREADS', '1')
    return env


# ---------------------------------------------------------------- report

HEADLINES = dict(
    data=('images', 'image_size', 'mean_jpeg_kib'),
    train=('iters', 'loss_last', 'beta_last', 'img_s', 'gpu_memory_mib_max'),
    test=('retrieval/mAP@5000', 'retrieval/tie_aware_mAP@5000'),
    train_speed=('synthetic_img_s', 'real_img_s', 'ratio', 'loader_wait_ms',
                 'peak_memory_mib', 'loss_share'),
    metric=('metric_s_best', 'scoring_s_best', 'ap_max_difference',
            'counts_equal', 'cpu_kernel_s'),
    encode=('codes', 'num_bits'),
    index=('distinct_codes', 'topk_identical', 'radius_identical'))


def number(value):
    if isinstance(value, float):
        return f'{value:.4g}'
    return str(value)


def table(report):
    lines = [
        '| step | result | seconds (cap) | figures |', '|---|---|---|---|'
    ]
    for record in report['steps']:
        figures = record['figures']
        shown = ', '.join(f'{key} {number(figures[key])}'
                          for key in HEADLINES.get(record['name'], ())
                          if key in figures and figures[key] is not None)
        result = 'passed' if record['passed'] else 'FAILED'
        if record.get('earlier_run'):
            result += ' (earlier run)'
        if record['error']:
            shown = record['error'][:200]
        lines.append(f"| {record['name']} | {result} | "
                     f"{record['seconds']:.1f} ({record['cap_s']:g}) | "
                     f'{shown} |')
    targets = report['targets']
    lines.append('')
    lines.append('targets: ' + ', '.join(f'{key} {number(value)}'
                                         for key, value in targets.items()))
    lines.append(f"machine: {report['machine']['name']}; total "
                 f"{report['total_s']:.1f} s")
    return '\n'.join(lines)


def targets_of(records):
    figures = {r['name']: r['figures'] for r in records}
    speed, metric = figures.get('train_speed', {}), figures.get('metric', {})
    index = figures.get('index', {})
    return dict(
        train_b_over_a=speed.get('ratio'),
        train_b_over_a_at_least_0p9=speed.get('target_ratio_0.9_met'),
        metric_s=metric.get('metric_s_best'),
        metric_under_0p1_s=metric.get('target_0p1_s_met'),
        metric_scoring_s=metric.get('scoring_s_best'),
        metric_ap_difference=metric.get('ap_max_difference'),
        search_ids_identical=(index.get('topk_identical')
                              and index.get('radius_identical'))
        if index else None)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='tiny sizes on the CPU (the tests run this)')
    parser.add_argument(
        '--work-dir',
        default=osp.join(REPO, 'work_dirs', 'gpu_check'),
        help='data, checkpoints, logs')
    add_out_argument(
        parser,
        'gpu_check',
        what='the JSON record of every '
        'figure (the logs beside it)')
    parser.set_defaults(out=None)
    parser.add_argument(
        '--steps',
        nargs='+',
        choices=STEPS,
        help='run only these (e.g. to rerun failed steps in '
        'the same --work-dir)')
    parser.add_argument(
        '--part', choices=sorted(PARTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    return args


def main(argv=None):
    args = parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    if args.part:
        print(
            FIGURES + json.dumps(PARTS[args.part](args.work_dir, sizes)),
            flush=True)
        return 0
    start = time.perf_counter()
    # Killed from outside: the current step's process group goes too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    machine = machine_info(sizes)
    if not args.smoke and not machine.get('cuda_available'):
        sys.exit('no CUDA device here: run with --smoke on a CPU')
    out = osp.abspath(args.out or default_out('gpu_check'))
    log_dir = osp.splitext(out)[0] + '_logs' if args.out else \
        osp.join(args.work_dir, 'gpu_check_logs')
    os.makedirs(osp.dirname(out), exist_ok=True)
    os.makedirs(args.work_dir, exist_ok=True)
    steps = [
        step for step in make_steps(args.work_dir, sizes, args.smoke)
        if not args.steps or step.name in args.steps
    ]
    report = dict(
        mode='smoke' if args.smoke else 'full',
        machine=machine,
        amp=sizes['amp'],
        amp_note=None if sizes['amp'] else AMP_NOTE,
        sizes=sizes,
        work_dir=args.work_dir,
        steps_run=args.steps)

    header = make_record('gpu_check', {}, argv)
    # With --steps, the other steps' records of an earlier run are kept.
    earlier = {}
    if args.steps and osp.isfile(out):
        with open(out) as f:
            earlier = {r['name']: r for r in json.load(f).get('steps', [])}

    def write(new):
        done = {r['name']: r for r in new}
        records = [
            done.get(name) or dict(earlier[name], earlier_run=True)
            for name in STEPS if name in done or name in earlier
        ]
        report.update(
            steps=records,
            targets=targets_of(records),
            total_s=time.perf_counter() - start,
            all_passed=all(r['passed'] for r in records))
        save_json(out, dict(header, **report))

    run_steps(steps, log_dir, child_env(args.smoke), write)
    print('\n' + table(report))
    print(f'figures: {out}')
    return 0 if report['all_passed'] else 1


if __name__ == '__main__':
    sys.exit(main())
