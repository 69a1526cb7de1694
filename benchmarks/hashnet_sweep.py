"""HashNet's alpha and final beta, and the simpler losses, by code length.

    python -m benchmarks hashnet_sweep --data demo --bits 16 32 64 \
        --seeds 0 1 --max-iters 1000 --variants hashnet alpha-5/K \
        alpha-20/K beta-3 beta-16 dpsh dhn hashnet-w --jobs 2 \
        --work-dir work_dirs/sweep --table work_dirs/sweep/demo.md

Every run is one run of the grid engine (``hashnet_mm.experiments.grid``:
train, then validate and test the last checkpoint; a finished run is read
back, so an interrupted sweep resumes) of the narrow CIFAR ResNet-18 on the
project's own data: the Fashion-MNIST demo subset (``--data demo``,
single-label) or the multi-label mosaics (``--data mosaic``). The HashNet
variants all use the budget-aware continuation
(``ContinuationHook(schedule='budget')``), so beta ends where the variant
says whatever ``--max-iters`` is:

- ``hashnet``: alpha = 10 / K (released code), final beta 6.4 (where the
  2,000-iteration CPU demo schedule ends);
- ``alpha-C/K`` and ``alpha-A``: alpha = C / K, or a constant A, final beta
  6.4;
- ``beta-B``: alpha = 10 / K, final beta B;
- ``dpsh``, ``dhn``, ``hashnet-w``, ``hashnet-c``, ``dnnh``, ``cnnh``: the
  method's own demo / mosaic config, its schedule compressed to
  ``--max-iters`` (HashNet-W: the released-shape continuation, ending at
  the config's final beta too).

Validation is on the queries the configs hold out of train.txt; each
run's config is checked by ``check_selection_data``
(``hashnet_mm.utils.selection``) and one that selects on test data is
refused, unless it sets ``allow_test_selection = True``. The best variant
at each K is the one of the highest mean validation mAP@all; its test
mAP@all is reported beside it, never used to choose.

``--jobs N`` runs N runs at once, each with ``--threads`` torch threads.
Writes ``{work-dir}/{data}/sweep.json`` (the runs), the JSON record
``--out`` (default benchmarks/results/hashnet_sweep.json: the runs, the
table, the best variants) and a markdown table (rows: variants; columns:
validation and test mAP@all mean ± sample std over the seeds, by K; the
best variants below it), printed and written to ``--table``.
"""
import argparse
import os
import os.path as osp
import re
import sys
from concurrent.futures import ThreadPoolExecutor

from benchmarks._record import add_out_argument, json_out, write_record
from hashnet_mm.experiments import grid

KIND = 'accuracy'
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEMO_SETTING = 'resnet18cifar_1xb64_fashionmnist-demo_32bit'
MOSAIC_SETTING = 'resnet18cifar_1xb64_fashionmnist-mosaic_64bit'
DATA = {
    'demo':
    dict(
        hashnet=f'hashnet/hashnet_{DEMO_SETTING}.py',
        method='{folder}/{method}_' + DEMO_SETTING + '.py',
        data_root='data/fashion_mnist_demo/'),
    'mosaic':
    dict(
        hashnet=f'hashnet/hashnet_{MOSAIC_SETTING}.py',
        method='{folder}/{method}_' + MOSAIC_SETTING + '.py',
        data_root='data/fashion_mnist_mosaic_cpu/'),
}
METHOD_FOLDERS = {
    'dpsh': 'dpsh',
    'dhn': 'dhn',
    'hashnet-w': 'hashnet_w',
    'hashnet-c': 'hashnet_c',
    'dnnh': 'dnnh',
    'cnnh': 'cnnh'
}
REFERENCE_FINAL_BETA = 6.4
RELEASED_ALPHA_TIMES_BITS = 10.0
METRIC = 'retrieval/mAP@all'


def variant_run(variant: str, data: str, bits: int) -> tuple:
    """(config path, cfg_options) of one variant at ``bits`` bits."""
    paths = DATA[data]
    if variant in METHOD_FOLDERS:
        config = paths['method'].format(
            folder=METHOD_FOLDERS[variant], method=variant)
        return osp.join(ROOT, 'configs', config), {}
    alpha = RELEASED_ALPHA_TIMES_BITS / bits
    final_beta = REFERENCE_FINAL_BETA
    if variant.startswith('alpha-'):
        value = variant[len('alpha-'):]
        alpha = float(value[:-2]) / bits if value.endswith('/K') \
            else float(value)
    elif variant.startswith('beta-'):
        final_beta = float(variant[len('beta-'):])
    elif variant != 'hashnet':
        raise ValueError(f'unknown variant {variant!r}')
    options = {
        'model.head.loss.alpha':
        alpha,
        'custom_hooks': [
            dict(
                type='ContinuationHook',
                schedule='budget',
                final_beta=final_beta)
        ],
    }
    return osp.join(ROOT, 'configs', paths['hashnet']), options


def run(job: tuple, args) -> dict:
    variant, bits, seed = job
    config, options = variant_run(variant, args.data, bits)
    work_dir = osp.join(args.work_dir, args.data,
                        re.sub(r'[^\w.-]', '_', variant))
    result = grid.run_one(
        config,
        bits,
        seed,
        work_dir,
        strict=True,
        max_iters=args.max_iters,
        cfg_options=options,
        data_root=DATA[args.data]['data_root'])
    result['variant'] = variant
    print(grid.run_summary(result, f'{args.data} {variant}'), flush=True)
    return result


def check_variant(variant: str, data: str, bits: int) -> None:
    """Raise for an unknown variant, or one whose config selects on test
    data, before anything runs."""
    config, options = variant_run(variant, data, bits)
    grid.selection_warnings(
        grid.asked_config(
            config,
            bits,
            0,
            cfg_options=options,
            data_root=DATA[data]['data_root']),
        config,
        strict=True)


def markdown_table(results: list, variants: list, bits: list) -> str:
    """A row a variant; validation and test mAP@all by K."""
    return grid.markdown_table([r for r in results if r['bits'] in bits],
                               'variant',
                               {'mAP@all': '^' + re.escape(METRIC) + '$'},
                               variants)


def best_variants(results: list, bits: list) -> dict:
    """``{K: the variant of the best mean validation mAP@all}`` (None
    where no run has validation scores)."""
    return {k: grid.best_on_validation(results, 'variant', k) for k in bits}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', choices=sorted(DATA), required=True)
    parser.add_argument('--bits', type=int, nargs='+', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--max-iters', type=int, required=True)
    parser.add_argument('--variants', nargs='+', required=True)
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch threads of each run (OMP_NUM_THREADS)')
    parser.add_argument('--work-dir', default='work_dirs/sweep')
    parser.add_argument('--table', help='also write the markdown table here')
    add_out_argument(parser, 'hashnet_sweep')
    args = parser.parse_args(argv)
    json_out(parser, args.out, 'the markdown table goes to --table')
    return args


def main(argv=None) -> str:
    args = parse_args(argv)
    for variant in args.variants:  # unknown or selecting on test: now
        check_variant(variant, args.data, args.bits[0])
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    jobs = [(variant, bits, seed) for seed in args.seeds for bits in args.bits
            for variant in args.variants]
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run, job, args) for job in jobs]
    failed = [(job, future.exception()) for job, future in zip(jobs, futures)
              if future.exception()]
    for job, error in failed:
        print(f'FAILED {job}: {error}', file=sys.stderr)
    if failed:
        raise SystemExit(f'{len(failed)} of {len(jobs)} runs failed (why: '
                         'above); finished runs are kept, so once the cause '
                         'is fixed the same command runs only the failed ones')
    results = [future.result() for future in futures]
    table = markdown_table(results, args.variants, args.bits) + '\n' + \
        grid.best_lines(results, 'variant')
    grid.write_results(results, table,
                       osp.join(args.work_dir, args.data, 'sweep.json'),
                       args.table)
    write_record(
        args.out, 'hashnet_sweep',
        dict(
            data=args.data,
            bits=args.bits,
            seeds=args.seeds,
            max_iters=args.max_iters,
            variants=args.variants,
            best_on_validation={
                str(k): v
                for k, v in best_variants(results, args.bits).items()
            },
            table=table,
            runs=results), argv)
    return table


if __name__ == '__main__':
    main()
