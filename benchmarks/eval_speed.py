"""HammingRetrievalMetric at MS-COCO scale against a plain per-query loop.

The case is HashNet's MS-COCO protocol in size: 5,000 queries x 117,218
database items, 64-bit codes, 80 labels, MAP@5000. The data are synthetic but
shaped like trained codes on COCO: every image gets 1-8 labels (on average
2.9) with a long-tailed class frequency, and its code is the sign of the sum
of its labels' random prototype codes plus noise, so codes cluster by label
set and Hamming distances tie heavily (the values are for timing, not
comparable to the paper's).

Timed, on the same codes:

- the metric: ``HammingRetrievalMetric.compute_metrics`` on the gathered
  results, i.e. everything it reports (mAP@R, tie-aware mAP@R, P@H<=2,
  P@N / R@N for 10 N, the PR curve), and, of that, the scoring alone
  (``HammingRetrievalMetric.score`` on the stacked tensors);
- a plain per-query numpy loop (Hamming distance by one matrix-vector
  product, stable argsort, AP@R), the way released evaluation scripts do it,
  on the first ``--loop-queries`` queries, extrapolated linearly to all
  queries. Its AP must equal the metric's on those queries.

Peak memory is the largest increase of the process's resident memory during
the metric call, sampled every 2 ms from /proc (Linux). With a CUDA device
the metric is timed there too (peak = torch's max allocated).

    OMP_NUM_THREADS=2 python -m benchmarks eval_speed   # 2-core machine

Writes the figures to ``--out`` (default benchmarks/results/eval_speed.json).
"""
import argparse
import os
import platform
import threading
import time

import numpy as np
import torch

from benchmarks._record import add_out_argument, write_record
from hashnet_mm.evaluation.functional import ranking_statistics
from hashnet_mm.evaluation.metrics import HammingRetrievalMetric

KIND = 'speed'

NUM_QUERY, NUM_DATABASE = 5000, 117218
NUM_BITS, NUM_CLASSES, TOPK = 64, 80, 5000


def coco_like_split(num, prototypes, rng):
    """(codes int8 {-1,+1}, labels bool) for ``num`` synthetic images."""
    num_classes, num_bits = prototypes.shape
    frequency = 1.0 / np.arange(1, num_classes + 1)**0.8
    frequency /= frequency.sum()
    labels = np.zeros((num, num_classes), dtype=bool)
    for row, count in zip(labels, np.minimum(1 + rng.poisson(1.9, num), 8)):
        row[rng.choice(num_classes, count, replace=False, p=frequency)] = True
    logits = labels @ prototypes + rng.normal(0, 0.5, (num, num_bits))
    return np.where(logits >= 0, 1, -1).astype(np.int8), labels


def coco_like_case(seed=0,
                   num_query=NUM_QUERY,
                   num_database=NUM_DATABASE,
                   num_bits=NUM_BITS,
                   num_classes=NUM_CLASSES):
    """(query codes, query labels, database codes, database labels)."""
    rng = np.random.default_rng(seed)
    prototypes = np.where(rng.random((num_classes, num_bits)) < 0.5, -1, 1)
    return (*coco_like_split(num_query, prototypes, rng),
            *coco_like_split(num_database, prototypes, rng))


def numpy_loop_average_precision(query_codes, database_codes, query_labels,
                                 database_labels, topk):
    """AP@R per query, one query at a time (NaN: nothing relevant in top R).
    """
    num_bits = query_codes.shape[1]
    database = database_codes.astype(np.float32)
    average_precisions = []
    for code, labels in zip(query_codes, query_labels):
        distance = 0.5 * (num_bits - database @ code.astype(np.float32))
        order = np.argsort(distance, kind='stable')[:topk]
        relevant = (database_labels[order] & labels).any(1)
        hits = np.cumsum(relevant)
        ranks = np.flatnonzero(relevant) + 1
        average_precisions.append((hits[relevant] / ranks).sum() /
                                  hits[-1] if hits[-1] else np.nan)
    return np.array(average_precisions)


def gathered_results(query_codes, database_codes, query_labels,
                     database_labels):
    """What mmengine hands to compute_metrics after a test loop."""
    results = []
    for split, codes, labels in (('query', query_codes, query_labels),
                                 ('database', database_codes,
                                  database_labels)):
        for code, label in zip(
                torch.from_numpy(codes), torch.from_numpy(labels)):
            results.append(
                dict(
                    sample_idx=len(results),
                    split=split,
                    code=code,
                    labels=label,
                    multi_hot=True))
    return results


class PeakRss:
    """Largest resident-memory increase while the context runs (Linux)."""

    def __enter__(self):
        self.page = os.sysconf('SC_PAGE_SIZE')
        self.start = self.peak = self._rss()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _rss(self):
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * self.page

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, self._rss())
        self.increase = self.peak - self.start


def timed(run, device, repeats):
    """(seconds of each repeat, last result, peak memory in bytes) of run().

    Peak memory: resident-memory increase on CPU, torch's max allocated on
    CUDA.
    """
    seconds, peak = [], 0
    for _ in range(repeats):
        if device == 'cuda':
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        with PeakRss() as rss:
            start = time.perf_counter()
            result = run()
            if device == 'cuda':
                torch.cuda.synchronize()
            seconds.append(time.perf_counter() - start)
        peak = max(
            peak,
            torch.cuda.max_memory_allocated()
            if device == 'cuda' else rss.increase)
    return seconds, result, peak


def time_metric(results, tensors, device, repeats, chunk_size, topk=TOPK):
    """Time compute_metrics on the gathered results, and its scoring alone
    on the stacked tensors (moved to ``device``)."""
    metric = HammingRetrievalMetric(
        topk=topk, device=device, chunk_size=chunk_size)
    on_device = [tensor.to(device) for tensor in tensors]
    full = timed(lambda: metric.compute_metrics(results), device, repeats)
    scoring = timed(lambda: metric.score(*on_device), device, repeats)
    return full, scoring


def report(device_name, full, scoring, loop_seconds=None):
    (seconds, _, peak), (score_seconds, _, score_peak) = full, scoring
    line = (f'metric, {device_name}: best {min(seconds):.3f} s (runs '
            f'{", ".join(f"{s:.2f}" for s in seconds)}), of which scoring '
            f'{min(score_seconds):.3f} s; peak memory '
            f'+{max(peak, score_peak) / 2**30:.2f} GiB')
    if loop_seconds:
        line += f'; {loop_seconds / min(seconds):.1f}x faster than the loop'
    print(line)
    return dict(
        metric_s=[round(s, 4) for s in seconds],
        metric_s_best=round(min(seconds), 4),
        scoring_s_best=round(min(score_seconds), 4),
        peak_memory_gib=round(max(peak, score_peak) / 2**30, 3),
        times_faster_than_loop=round(loop_seconds / min(seconds), 1)
        if loop_seconds else None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--loop-queries',
        type=int,
        default=200,
        help='queries the numpy loop is timed on')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--chunk-size',
        type=int,
        default=128,
        help="the metric's chunk_size (queries scored at once)")
    parser.add_argument(
        '--threads',
        type=int,
        default=os.cpu_count(),
        help='torch threads (default: all cores)')
    add_out_argument(parser, 'eval_speed')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    print(f'machine: {platform.processor() or platform.machine()}, '
          f'{os.cpu_count()} CPU cores, torch {torch.__version__} with '
          f'{torch.get_num_threads()} threads, numpy {np.__version__}')
    query_codes, query_labels, database_codes, database_labels = \
        coco_like_case()
    print(f'case: {NUM_QUERY} queries x {NUM_DATABASE} database items, '
          f'{NUM_BITS} bits, {NUM_CLASSES} labels, R = {TOPK}')

    subset = slice(0, args.loop_queries)

    def time_loop():
        start = time.perf_counter()
        average_precision = numpy_loop_average_precision(
            query_codes[subset], database_codes, query_labels[subset],
            database_labels, TOPK)
        seconds = time.perf_counter() - start
        return seconds / args.loop_queries * NUM_QUERY, average_precision

    # Loop, metric, loop: both see the same load (this machine is shared).
    loop_runs = [time_loop()[0]]
    results = gathered_results(query_codes, database_codes, query_labels,
                               database_labels)
    tensors = [
        torch.from_numpy(a)
        for a in (query_codes, query_labels, database_codes, database_labels)
    ]
    full, scoring = time_metric(results, tensors, 'cpu', args.repeats,
                                args.chunk_size)
    loop_time, loop_ap = time_loop()
    loop_runs.append(loop_time)
    loop_seconds = min(loop_runs)

    # The metric's AP on the loop's queries, from the same one-pass code.
    statistics = ranking_statistics(
        *(torch.from_numpy(a)
          for a in (query_codes[subset], database_codes, query_labels[subset],
                    database_labels)),
        topk=TOPK)
    metric_ap = statistics.average_precision.numpy()
    same_nan = np.array_equal(np.isnan(metric_ap), np.isnan(loop_ap))
    difference = np.nanmax(np.abs(metric_ap - loop_ap))
    print(f'check: AP of the first {args.loop_queries} queries, metric vs '
          f'loop: max |difference| = {difference:.1e}, same undefined '
          f'queries: {same_nan}')
    assert same_nan and difference < 1e-12

    metrics = full[1]
    print(f'metrics: mAP@{TOPK} {metrics[f"mAP@{TOPK}"]:.4f}, tie-aware '
          f'{metrics[f"tie_aware_mAP@{TOPK}"]:.4f}, P@H<=2 '
          f'{metrics["P@H<=2"]:.4f}')
    print(f'numpy loop: {loop_seconds:.1f} s for {NUM_QUERY} queries '
          f'(timed on {args.loop_queries}, x{NUM_QUERY // args.loop_queries};'
          f' runs {", ".join(f"{s:.1f}" for s in loop_runs)} s)')
    figures = dict(
        case=dict(
            queries=NUM_QUERY,
            database=NUM_DATABASE,
            bits=NUM_BITS,
            labels=NUM_CLASSES,
            topk=TOPK),
        torch_threads=torch.get_num_threads(),
        chunk_size=args.chunk_size,
        loop_queries=args.loop_queries,
        loop_s=round(loop_seconds, 2),
        loop_runs_s=[round(s, 2) for s in loop_runs],
        ap_max_difference=float(difference),
        metrics={
            k: float(metrics[k])
            for k in (f'mAP@{TOPK}', f'tie_aware_mAP@{TOPK}', 'P@H<=2')
        },
        cpu=report('CPU', full, scoring, loop_seconds),
        gpu=None)
    if torch.cuda.is_available():
        time_metric(results, tensors, 'cuda', 1, args.chunk_size)  # warm-up
        figures['gpu'] = report(
            f'GPU ({torch.cuda.get_device_name()})',
            *time_metric(results, tensors, 'cuda', args.repeats,
                         args.chunk_size))
    else:
        print('metric, GPU: not measured (no CUDA device here)')
    return write_record(args.out, 'eval_speed', figures, argv)


if __name__ == '__main__':
    main()
