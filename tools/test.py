"""Evaluate a checkpoint: codes of query and database, then retrieval MAP
(arguments as mmpretrain's test.py)."""
import argparse
import json
import os.path as osp

import mmengine
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from hashnet_mm.engine.hooks import ProgressBarHook
from hashnet_mm.utils.checkpoint import load_model_weights
from hashnet_mm.utils.cli import (add_checkpoint_args, add_loader_args,
                                  add_runner_args, load_runner_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a hashing model')
    parser.add_argument('config', help='config file path')
    add_checkpoint_args(parser)
    parser.add_argument('--out', help='the file to output results.')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='To output whether metrics or predictions (every sample\'s '
        'hash code and logits). Defaults to output predictions.')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision test (float16 on a GPU, '
        'bfloat16 on the CPU); codes are signs of the hash layer, so low '
        'precision can flip the bits whose z is near 0')
    add_loader_args(parser)
    add_runner_args(parser)
    args = parser.parse_args(argv)
    if args.out is None and args.out_item is not None:
        parser.error('--out-item needs --out')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = load_runner_config(args)
    cfg.load_from = None
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    runner = Runner.from_cfg(cfg)
    load_model_weights(
        runner.model,
        args.checkpoint,
        strict=not args.partial_load,
        logger=runner.logger)
    runner.register_hook(ProgressBarHook())
    if args.out and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.out and args.out_item == 'metrics' and runner.rank == 0:
        mmengine.dump(metrics, args.out)
    if runner.rank == 0:
        saved = osp.join(runner.log_dir, f'{runner.timestamp}.json')
        print(f'all metrics, curves included: {saved}')
        print(
            json.dumps(
                {
                    k: round(v, 4)
                    for k, v in metrics.items() if not isinstance(v, list)
                },
                indent=1))
    return metrics


if __name__ == '__main__':
    main()
