"""The command line of the comparison (``tools/compare.py``)."""
import argparse
import json
import os
import os.path as osp
import re
import shlex
import sys
import time

from mmengine.config import DictAction

from .comparison import (SHALLOW_METHODS, Comparison, default_methods,
                         method_label)
from .report import figure, load_average, machine, markdown_table


def dataset_name(config: str) -> str:
    """A dataset's name: its config's stem after the last ``_``, a code
    length (``_{K}bit``) at the end left out (``fashion-mnist-demo`` for
    ``hashnet_mlp_..._fashion-mnist-demo.py``, ``fashionmnist-demo`` for
    ``hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py``)."""
    stem = osp.splitext(osp.basename(config))[0]
    stem = re.sub(r'_\d+bit$', '', stem)
    return stem.rsplit('_', 1)[-1]


def validation_database(args) -> str:
    """What the report says the validation queries are ranked against."""
    if args.val_database:
        return (f'{args.val_database} other training images held out of '
                'training')
    return 'the rest, which is trained on'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='tools/compare.py',
        description='Deep and shallow hashing methods x code lengths x '
        'seeds: selected on validation, reported on test; a markdown '
        'table, a figure and JSON.')
    parser.add_argument(
        'configs',
        nargs='+',
        help='HashNet configs, one a dataset: the feature track\'s '
        '(configs/feature_track/hashnet_mlp_*.py; deep and shallow '
        'methods) or any image config with a validation split (deep '
        'methods, end to end)')
    parser.add_argument(
        '--methods',
        nargs='+',
        help='deep: hashnet and the names of '
        'configs/_base_/methods/*.py (hashnet-w, dhn, ...); shallow: ' +
        ', '.join(SHALLOW_METHODS) + ' (default: every one that runs on '
        'features)')
    parser.add_argument('--bits', type=int, nargs='+', default=[16, 32, 64])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='worker processes (default 1: this process)')
    parser.add_argument(
        '--max-iters',
        type=int,
        help='every deep run\'s iterations (default: the '
        'config\'s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='merged into every deep config')
    parser.add_argument(
        '--val-database',
        type=int,
        default=0,
        help='hold this many training images out of training as the '
        'validation database, so validation ranks unseen queries against '
        'unseen images as the test does (default 0: against the trained-on '
        'rest, which favours losses that fit the training images to class '
        'targets when ranking methods)')
    parser.add_argument('--work-dir', default='work_dirs/compare')
    parser.add_argument(
        '--out',
        help='report stem: writes OUT.md, OUT.png '
        'and OUT.json (default: WORK_DIR/comparison)')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    command = 'python tools/compare.py ' + ' '.join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    names = [dataset_name(c) for c in args.configs]
    if len(set(names)) != len(names):
        raise SystemExit(f'two configs name the same dataset: {names}')
    datasets = dict(zip(names, args.configs))
    methods = args.methods
    if methods is None:
        methods, skipped = default_methods(args.configs[0])
        for name, reason in skipped.items():
            print(f'skipping {name}: {reason}')
    comparison = Comparison(
        datasets,
        methods,
        args.bits,
        args.seeds,
        args.work_dir,
        args.max_iters,
        args.cfg_options,
        val_database=args.val_database)
    load_before, start = load_average(), time.perf_counter()
    results = comparison.run(args.jobs)
    wall = time.perf_counter() - start
    table = markdown_table(results)
    out = args.out or osp.join(args.work_dir, 'comparison')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    seconds = sum(r['seconds'] for r in results)
    header = (
        f'Command: `{command}`\n\n'
        f'Machine: {machine()}; {args.jobs} job(s). Wall time of this '
        f'invocation {wall / 60:.1f} min (runs read back from the work '
        f'dir take none); the {len(results)} runs took {seconds / 60:.1f} '
        f'min of run time together. Load average (1 / 5 / 15 min) '
        f'{load_before} before, {load_average()} after.\n\n'
        'Selection on validation (the validation queries drawn from the '
        f'training set, ranked against {validation_database(args)}): '
        'deep methods test the checkpoint of the best validation mAP, '
        'shallow methods the option set of the best validation mAP. The '
        'test queries and database are only reported.\n\n')
    with open(out + '.md', 'w') as f:
        f.write(header + table)
    figure(results, out + '.png')
    with open(out + '.json', 'w') as f:
        json.dump(
            dict(
                command=command,
                machine=machine(),
                jobs=args.jobs,
                val_database=args.val_database,
                wall_seconds=round(wall, 1),
                labels={m: method_label(m)
                        for m in methods},
                results=results),
            f,
            indent=1)
    print(table)
    print(f'-> {out}.md, {out}.png, {out}.json ({wall / 60:.1f} min)')
    return table
