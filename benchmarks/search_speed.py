"""Hamming search at scale: HammingIndex (FAISS) vs brute-force baselines.

    python -m benchmarks search_speed            # 1,000,000 64-bit codes

Database: random K-bit codes. Queries: database codes with 0-3 random bits
flipped (so radius searches find something). Measures, for top-k exact
search, the throughput of 1,000 queries at once and the latency of single
queries for the FAISS flat index, a numpy popcount (XOR + np.bitwise_count)
and the retrieval metric's CPU ranker (numba, from +-1 codes);
checks that all three return identical ids; then radius search (flat scan
vs multi-index hashing), an IVF index's speed and recall, build times and
bytes per item. Prints a markdown table and writes the rows to ``--out``
(default benchmarks/results/search_speed.json).
"""
import argparse
import os
import platform
import tempfile
import time

import faiss
import numpy as np
import torch

from benchmarks._record import add_out_argument, write_record
from hashnet_mm.evaluation.functional import database_ranker
from hashnet_mm.search import HammingIndex, unpack_codes

KIND = 'speed'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-codes', type=int, default=1_000_000)
    parser.add_argument('--num-queries', type=int, default=1_000)
    parser.add_argument('--num-bits', type=int, default=64)
    parser.add_argument('--topk', type=int, default=100)
    parser.add_argument('--radius', type=int, default=2)
    parser.add_argument(
        '--latency-queries',
        type=int,
        default=200,
        help='single queries timed one at a time')
    parser.add_argument('--nlist', type=int, default=1024)
    parser.add_argument('--nprobe', type=int, nargs='+', default=[16, 64])
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='FAISS (OpenMP) and torch threads; 1 keeps a shared machine '
        'usable (and on a busy 2-core CPU, 2 threads were slower)')
    parser.add_argument('--seed', type=int, default=0)
    add_out_argument(parser, 'search_speed')
    return parser.parse_args(argv)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def make_data(args):
    rng = np.random.default_rng(args.seed)
    codes = rng.integers(
        0, 256, (args.num_codes, args.num_bits // 8), dtype=np.uint8)
    queries = codes[rng.choice(args.num_codes, args.num_queries)].copy()
    for query, flips in zip(queries, rng.integers(0, 4, args.num_queries)):
        for bit in rng.choice(args.num_bits, flips, replace=False):
            query[bit // 8] ^= np.uint8(1 << (bit % 8))
    return codes, queries


def numpy_topk(queries, codes, k, batch=16):
    """Top-k ids by (distance, position): XOR + popcount over uint64 words."""
    word = np.uint64 if codes.shape[1] % 8 == 0 else np.uint8
    words = codes.view(word)
    positions = np.arange(len(codes), dtype=np.int64)
    result = []
    for start in range(0, len(queries), batch):
        query_words = queries[start:start + batch].view(word)
        distance = np.bitwise_count(query_words[:, None, :] ^ words[None])
        key = distance.sum(axis=2, dtype=np.int64) * len(codes) + positions
        nearest = np.argpartition(key, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(key, nearest, 1).argsort(axis=1)
        result.append(np.take_along_axis(nearest, order, 1))
    return np.concatenate(result)


def project_topk(queries, codes, k, num_bits, batch=16):
    """Top-k by the retrieval metric's CPU ranker on +-1 codes."""
    database = torch.from_numpy(unpack_codes(codes, num_bits)).float()
    queries = torch.from_numpy(unpack_codes(queries, num_bits)).float()
    ranker = database_ranker(database, backend='numba')
    return torch.cat([
        ranker.rank(queries[start:start + batch], None, min(k,
                                                            len(database))).top
        for start in range(0, len(queries), batch)
    ]).numpy()


def latency_ms(search, queries):
    """Median and 95th percentile milliseconds of single-query searches."""
    times = []
    for query in queries:
        _, seconds = timed(search, query[None])
        times.append(seconds * 1e3)
    return np.median(times), np.percentile(times, 95)


def number(value):
    """A float for the JSON record (None stays None)."""
    return None if value is None else round(float(value), 6)


def file_bytes_per_item(index):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, 'bench.index')
        index.save(path)
        return os.path.getsize(path) / len(index)


def main(argv=None):
    args = parse_args(argv)
    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    codes, queries = make_data(args)
    k, n, q = args.topk, args.num_codes, args.num_queries
    rows, figures = [], []

    def row(method,
            task,
            seconds=None,
            queries_per_s=None,
            latency=None,
            note=''):
        figures.append(
            dict(
                method=method,
                task=task,
                seconds=number(seconds),
                queries_per_s=number(queries_per_s),
                latency_ms=None if latency is None else dict(
                    median=number(latency[0]), p95=number(latency[1])),
                note=note))
        rows.append(
            (method, task, '' if seconds is None else f'{seconds:.3f}',
             '' if queries_per_s is None else f'{queries_per_s:,.0f}',
             '' if latency is None else f'{latency[0]:.2f} / {latency[1]:.2f}',
             note))

    flat = HammingIndex(args.num_bits)
    _, seconds = timed(flat.add, codes)
    row('HammingIndex flat',
        'build (add)',
        seconds,
        note=f'{file_bytes_per_item(flat):.1f} bytes/item on disk; '
        f'{args.num_bits // 8} code + 8 id in memory')
    found, seconds = timed(flat.search, queries, k)
    row(
        'HammingIndex flat', f'top-{k}, {q} queries', seconds, q / seconds,
        latency_ms(lambda x: flat.search(x, k),
                   queries[:args.latency_queries]))

    numpy_ids, seconds = timed(numpy_topk, queries, codes, k)
    row(
        'numpy popcount', f'top-{k}, {q} queries', seconds, q / seconds,
        latency_ms(lambda x: numpy_topk(x, codes, k),
                   queries[:args.latency_queries // 10]))
    project_ids, seconds = timed(project_topk, queries, codes, k,
                                 args.num_bits)
    row('metric CPU ranker',
        f'top-{k}, {q} queries',
        seconds,
        q / seconds,
        note='includes unpacking to +-1 floats')
    identical = np.array_equal(found.ids, numpy_ids) and np.array_equal(
        found.ids, project_ids)
    print(f'top-{k} ids identical (FAISS, numpy, metric CPU ranker): '
          f'{identical}')

    radius_found, seconds = timed(flat.search_radius, queries, args.radius)
    counts = [len(r.ids) for r in radius_found]
    row('HammingIndex flat',
        f'radius {args.radius}, {q} queries',
        seconds,
        q / seconds,
        note=f'{np.mean(counts):.2f} results/query')
    hashed = HammingIndex(args.num_bits, 'hash')
    _, seconds = timed(hashed.add, codes)
    row('HammingIndex hash',
        'build (add)',
        seconds,
        note=f"{hashed.params['num_tables']} tables x "
        f"{hashed.params['hash_bits']} bits; "
        f'{file_bytes_per_item(hashed):.1f} bytes/item on disk')
    hash_found, seconds = timed(hashed.search_radius, queries, args.radius)
    same = all(
        np.array_equal(a.ids, b.ids) for a, b in zip(hash_found, radius_found))
    row('HammingIndex hash',
        f'radius {args.radius}, {q} queries',
        seconds,
        q / seconds,
        latency_ms(lambda x: hashed.search_radius(x, args.radius),
                   queries[:args.latency_queries]),
        note=f'same results as flat: {same}')

    ivf = HammingIndex(args.num_bits, 'ivf', nlist=args.nlist)
    _, seconds = timed(ivf.add, codes)
    row('HammingIndex ivf',
        f'build (train + add), nlist {args.nlist}',
        seconds,
        note=f'{file_bytes_per_item(ivf):.1f} bytes/item on disk')
    kth = found.distances[:, -1:]
    for nprobe in args.nprobe:
        ivf.nprobe = nprobe
        approx, seconds = timed(ivf.search, queries, k)
        # A result counts when it is as near as the exact k-th neighbour.
        recall = ((approx.ids >= 0) & (approx.distances <= kth)).mean()
        row('HammingIndex ivf',
            f'top-{k}, nprobe {nprobe}',
            seconds,
            q / seconds,
            note=f'recall@{k} {recall:.3f}')

    print(f'\n{n:,} random {args.num_bits}-bit codes, {q:,} queries; '
          f'{args.threads} threads; {platform.processor() or "CPU"}, '
          f'load average {os.getloadavg()[0]:.1f}; faiss {faiss.__version__}'
          f', torch {torch.__version__}, numpy {np.__version__}\n')
    print('| method | task | seconds | queries/s | latency ms (median / p95)'
          ' | note |')
    print('|---|---|---|---|---|---|')
    for r in rows:
        print('| ' + ' | '.join(r) + ' |')
    return write_record(
        args.out, 'search_speed',
        dict(
            num_codes=n,
            num_queries=q,
            num_bits=args.num_bits,
            topk=k,
            radius=args.radius,
            threads=args.threads,
            load_average=round(os.getloadavg()[0], 1),
            faiss=faiss.__version__,
            topk_ids_identical=bool(identical),
            rows=figures), argv)


if __name__ == '__main__':
    main()
