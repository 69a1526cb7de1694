"""VDSH's layer-wise training against back-propagation, same network.

For each depth, the same MLP (same seed, so the same initial weights, codes
and classifier) is trained on the same features and the same objective
(hashnet_mm/shallow/vdsh.py) by VDSH's local updates and by Adam through
the whole network; prints MAP, the objective at the network's forward pass,
and training time:

    python -m benchmarks vdsh_vs_backprop --features work_dirs/features/pixels

(``python -m benchmarks vdsh_pixel_features`` writes those features.) Writes
the rows to ``--out`` (default benchmarks/results/vdsh_vs_backprop.json;
``--json`` is the same option).
"""
import argparse
import platform

import torch

from benchmarks._record import add_out_argument, write_record
from hashnet_mm.shallow import VDSH, BackpropHashMLP
from hashnet_mm.shallow.evaluate import retrieval_map
from hashnet_mm.shallow.feature_files import load_features

KIND = 'accuracy'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--features', default='work_dirs/features/pixels')
    parser.add_argument(
        '--depths', nargs='+', type=int, default=[1, 4, 16, 32])
    parser.add_argument('--width', type=int, default=256)
    parser.add_argument('--bits', type=int, default=32)
    parser.add_argument('--iters', type=int, default=30)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    add_out_argument(parser, 'vdsh_vs_backprop', '--json')
    return parser.parse_args(argv)


def run(model, data):
    model.fit(*data['train'])
    history = model.history[1:]
    return dict(
        map=retrieval_map(
            model.encode(data['query'][0]), data['query'][1],
            model.encode(data['database'][0]), data['database'][1]),
        forward_objective=model.history[-1]['forward_objective'],
        seconds=sum(h['seconds'] for h in history),
        seconds_per_iter=sum(h['seconds'] for h in history) / len(history))


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    data = {}
    for split in ('train', 'query', 'database'):
        loaded = load_features(args.features, split)
        data[split] = (torch.from_numpy(loaded['features']).to(args.device),
                       torch.from_numpy(loaded['labels']).to(args.device))
    print(f'{args.features}: train {tuple(data["train"][0].shape)}, '
          f'{args.bits} bits, width {args.width}, {args.iters} iterations, '
          f'{args.device} ({platform.processor() or platform.machine()}, '
          f'{args.threads} threads)')
    print('| depth | training | MAP@all | objective (forward) | s / iter | '
          'train s |\n|---|---|---|---|---|---|')
    rows = []
    for depth in args.depths:
        options = dict(
            depth=depth,
            width=args.width,
            num_iters=args.iters,
            device=args.device)
        for name, model in (('VDSH layer-wise', VDSH(args.bits, **options)),
                            ('back-propagation',
                             BackpropHashMLP(args.bits, **options))):
            row = dict(depth=depth, training=name, **run(model, data))
            rows.append(row)
            print(
                f'| {depth} | {name} | {row["map"]:.4f} | '
                f'{row["forward_objective"]:.4f} | '
                f'{row["seconds_per_iter"]:.3f} | {row["seconds"]:.1f} |',
                flush=True)
    return write_record(
        args.out, 'vdsh_vs_backprop',
        dict(
            features=args.features,
            width=args.width,
            bits=args.bits,
            iters=args.iters,
            threads=args.threads,
            device=args.device,
            rows=rows), argv)


if __name__ == '__main__':
    main()
