"""Evaluate a checkpoint: codes of query and database, then retrieval MAP."""
import argparse
import json
import os.path as osp

from mmengine.runner import Runner

from hashnet_mm.utils.checkpoint import load_model_weights
from hashnet_mm.utils.cli import (add_checkpoint_args, add_runner_args,
                                  load_runner_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a hashing model')
    parser.add_argument('config', help='config file path')
    add_checkpoint_args(parser)
    add_runner_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_runner_config(args)
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    load_model_weights(runner.model, args.checkpoint,
                       strict=not args.partial_load, logger=runner.logger)
    metrics = runner.test()
    if runner.rank == 0:
        # Curves (lists) are in the log and in the run's JSON, with the rest.
        saved = osp.join(runner.log_dir, f'{runner.timestamp}.json')
        print(f'all metrics, curves included: {saved}')
        print(json.dumps({k: v for k, v in metrics.items()
                          if not isinstance(v, list)}, indent=1))


if __name__ == '__main__':
    main()
