"""Train, validate and test methods x bit lengths on one dataset; a
markdown table (validation mAP beside the test metrics).

    python tools/analysis/run_grid.py \
        configs/hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py \
        configs/dhn/dhn_resnet18cifar_1xb64_fashionmnist-demo_32bit.py \
        --bits 16 32 --max-iters 400 --work-dir work_dirs/grid --out grid.md

Each config is one method (a row), run at every ``--bits`` and ``--seeds``
by :mod:`hashnet_mm.experiments.grid` (its docstring: the run folders, the
validation and test of the last checkpoint, resuming, the selection check,
``--data-root`` and how ``--max-iters`` compresses a schedule). Writes
``{work-dir}/grid.json`` (every run's result) and prints the table (also to
``--out``).
"""  # noqa: E501
import argparse

from mmengine.config import DictAction

from hashnet_mm.experiments.grid import run_grid


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train, validate and test methods x bit lengths; '
        'markdown table')
    parser.add_argument('configs', nargs='+', help='one config per method')
    parser.add_argument('--bits', type=int, nargs='+', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument(
        '--max-iters',
        type=int,
        help='compress every schedule to this many iters')
    parser.add_argument(
        '--objective-interval',
        type=int,
        help='log J(g), L(h) every this many iterations '
        "(default: the config's logger interval)")
    parser.add_argument(
        '--data-root', help='read every dataset from this folder instead')
    parser.add_argument('--work-dir', default='work_dirs/grid')
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override entries of every config')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    return run_grid(
        args.configs,
        args.bits,
        args.seeds,
        args.work_dir,
        args.out,
        max_iters=args.max_iters,
        cfg_options=args.cfg_options,
        objective_interval=args.objective_interval,
        data_root=args.data_root)


if __name__ == '__main__':
    main()
