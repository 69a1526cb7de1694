"""Hash precomputed features with LSH, SH, ITQ, ITQ-CCA, KSH, BRE or VDSH
and print a Table-1-style row of MAP per code length.

Fits each method on the train split of FEATURE_DIR (written by
tools/extract_features.py), encodes query and database, and scores them
with HammingRetrievalMetric, e.g.

    python tools/shallow_hash.py work_dirs/feats --methods lsh itq itq-cca \
        --bits 16 32 48 64 --topk 5000
"""
import argparse
import json
import time

import torch
from mmengine.config import DictAction

from hashnet_mm.shallow.evaluate import retrieval_map
from hashnet_mm.shallow.feature_files import load_features
from hashnet_mm.shallow.methods import METHODS, build_method


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'feature_dir',
        help='folder of {split}.npy, '
        '{split}_ids.txt, {split}_labels.npy')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=['itq'],
        choices=sorted(METHODS),
        help='methods, one row each')
    parser.add_argument(
        '--bits',
        nargs='+',
        type=int,
        default=[16, 32, 48, 64],
        help='code lengths')
    parser.add_argument(
        '--topk',
        type=int,
        default=-1,
        help='R of MAP@R; -1 ranks the whole database')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--options',
        nargs='+',
        action=DictAction,
        default={},
        help='method arguments: name=value for every listed method, '
        'method.name=value for one, e.g. ksh.num_anchors=300 vdsh.depth=16')
    parser.add_argument(
        '--device',
        default='cpu',
        help='where features and methods live (cuda for VDSH '
        'at depth)')
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args(argv)


def method_options(method, options):
    """The ``--options`` that apply to ``method``, prefix removed."""
    chosen = {}
    for key, value in options.items():
        prefix, _, name = key.rpartition('.')
        if prefix in ('', method):
            chosen[name] = value
        elif prefix not in METHODS:
            raise SystemExit(f'--options {key}: {prefix!r} is not a method')
    return chosen


def table(rows, bits, topk):
    """Markdown table: one row per method, one column per code length."""
    name = 'all' if topk == -1 else topk
    lines = [
        '| method | ' + ' | '.join(f'{k} bits' for k in bits) + ' |',
        '|---' * (len(bits) + 1) + '|'
    ]
    for row in rows:
        lines.append(f'| {row["method"]} | ' +
                     ' | '.join(f'{row["map"][str(k)]:.4f}'
                                for k in bits) + ' |')
    return f'MAP@{name}\n' + '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    options = {m: method_options(m, args.options) for m in args.methods}
    splits = {
        split: load_features(args.feature_dir, split)
        for split in ('train', 'query', 'database')
    }
    data = {
        split: (torch.from_numpy(s['features']).to(args.device),
                torch.from_numpy(s['labels']).to(args.device))
        for split, s in splits.items()
    }
    widths = {s['labels'].shape[1] for s in splits.values()}
    if len(widths) > 1:
        raise ValueError(f'{args.feature_dir}: the splits have different '
                         f'numbers of classes {sorted(widths)}')
    rows = []
    for method in args.methods:
        row = dict(method=METHODS[method][1], map={}, fit_seconds={})
        for num_bits in args.bits:
            hasher = build_method(method, num_bits, args.seed, options[method])
            start = time.perf_counter()
            hasher.fit(*data['train'])
            row['fit_seconds'][str(num_bits)] = time.perf_counter() - start
            row['map'][str(num_bits)] = retrieval_map(
                hasher.encode(data['query'][0]),
                data['query'][1],
                hasher.encode(data['database'][0]),
                data['database'][1],
                topk=args.topk)
            print(
                f'{row["method"]} {num_bits} bits: MAP '
                f'{row["map"][str(num_bits)]:.4f} (fit '
                f'{row["fit_seconds"][str(num_bits)]:.1f} s)',
                flush=True)
        rows.append(row)
    print(table(rows, args.bits, args.topk))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(topk=args.topk, rows=rows), f, indent=1)


if __name__ == '__main__':
    main()
