"""Train a hashing model from a config (arguments as mmpretrain's train.py)."""
import argparse

from mmengine.runner import Runner

from hashnet_mm.utils.cli import add_runner_args, load_runner_config, use_amp


def parse_args():
    parser = argparse.ArgumentParser(description='Train a hashing model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a path, from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision training (bfloat16 autocast, GPU only)')
    add_runner_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_runner_config(args)
    if args.amp:
        use_amp(cfg)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume:
        cfg.resume = True
        cfg.load_from = args.resume
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
