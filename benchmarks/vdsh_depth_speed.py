"""Training time per iteration of VDSH (and of the back-propagation
baseline) against depth and width: is the cost linear in the number of
edges? Random features and labels of the given size; a few iterations each:

    python -m benchmarks vdsh_depth_speed --depths 1 2 4 8 16 32 64

Writes the rows to ``--out`` (default
benchmarks/results/vdsh_depth_speed.json).
"""
import argparse
import platform

import torch

from benchmarks._record import add_out_argument, write_record
from hashnet_mm.shallow import VDSH, BackpropHashMLP

KIND = 'speed'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--depths', nargs='+', type=int, default=[1, 2, 4, 8, 16, 32, 64])
    parser.add_argument('--widths', nargs='+', type=int, default=[256])
    parser.add_argument('--rows', type=int, default=5000)
    parser.add_argument('--dim', type=int, default=784)
    parser.add_argument('--bits', type=int, default=32)
    parser.add_argument('--classes', type=int, default=10)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    add_out_argument(parser, 'vdsh_depth_speed')
    return parser.parse_args(argv)


def seconds_per_iter(model, features, labels):
    model.fit(features, labels)
    return sum(h['seconds'] for h in model.history[1:]) / model.num_iters


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(args.rows, args.dim, generator=generator)
    labels = torch.nn.functional.one_hot(
        torch.randint(args.classes, (args.rows, ), generator=generator),
        args.classes)
    features, labels = features.to(args.device), labels.to(args.device)
    print(f'{args.rows} x {args.dim} features, {args.bits} bits, '
          f'{args.device} ({platform.processor() or platform.machine()}, '
          f'{args.threads} threads), mean of {args.iters} iterations')
    print('| width | depth | edges (M) | VDSH s / iter | VDSH us / '
          'edge / iter | backprop s / iter (one epoch) |\n'
          '|---|---|---|---|---|---|')
    rows = []
    for width in args.widths:
        for depth in args.depths:
            edges = args.dim * width + (depth - 1) * width**2 + \
                width * args.bits
            options = dict(
                depth=depth,
                width=width,
                num_iters=args.iters,
                device=args.device)
            vdsh = seconds_per_iter(
                VDSH(args.bits, **options), features, labels)
            backprop = seconds_per_iter(
                BackpropHashMLP(
                    args.bits, steps_per_iter=args.rows // 256, **options),
                features, labels)
            print(
                f'| {width} | {depth} | {edges / 1e6:.3f} | {vdsh:.3f} | '
                f'{vdsh / edges * 1e6:.3f} | {backprop:.3f} |',
                flush=True)
            rows.append(
                dict(
                    width=width,
                    depth=depth,
                    edges=edges,
                    vdsh_s_per_iter=vdsh,
                    vdsh_us_per_edge_iter=vdsh / edges * 1e6,
                    backprop_s_per_iter=backprop))
    return write_record(
        args.out, 'vdsh_depth_speed',
        dict(
            num_rows=args.rows,
            dim=args.dim,
            bits=args.bits,
            classes=args.classes,
            iters=args.iters,
            threads=args.threads,
            device=args.device,
            rows=rows), argv)


if __name__ == '__main__':
    main()
