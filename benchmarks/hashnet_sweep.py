"""HashNet's alpha and final beta, and the simpler losses, by code length.

    python benchmarks/hashnet_sweep.py --data demo --bits 16 32 64 \
        --seeds 0 1 --max-iters 1000 --variants hashnet alpha-5/K \
        alpha-20/K beta-3 beta-16 dpsh dhn hashnet-w --jobs 2 \
        --work-dir work_dirs/sweep --out work_dirs/sweep/demo.md

Every run is one ``tools/analysis/run_grid.py`` run (train, then test the
last checkpoint; a finished run is read back, so an interrupted sweep
resumes) of the narrow CIFAR ResNet-18 on the project's own data: the
Fashion-MNIST demo subset (``--data demo``, single-label) or the multi-label
mosaics (``--data mosaic``). The HashNet variants all use the budget-aware
continuation (``ContinuationHook(schedule='budget')``), so beta ends where
the variant says whatever ``--max-iters`` is:

- ``hashnet``: alpha = 10 / K (released code), final beta 6.4 (where the
  2,000-iteration CPU demo schedule ends);
- ``alpha-C/K`` and ``alpha-A``: alpha = C / K, or a constant A, final beta
  6.4;
- ``beta-B``: alpha = 10 / K, final beta B;
- ``dpsh``, ``dhn``, ``hashnet-w``, ``hashnet-c``, ``dnnh``, ``cnnh``: the
  method's own demo / mosaic config, its schedule compressed to
  ``--max-iters`` (HashNet-W: the released-shape continuation, ending at
  the config's final beta too).

``--jobs N`` runs N runs at once, each with ``--threads`` torch threads.
Writes ``{work-dir}/{data}/sweep.json`` and a markdown table (rows:
variants; columns: mAP@all mean ± sample std over the seeds, by K).
"""
import argparse
import os
import os.path as osp
import re
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
import run_grid  # noqa: E402

DATA = {
    'demo': dict(
        hashnet='hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py',
        method='{folder}/{method}_resnet18cifar_1xb64_fashionmnist-demo_32bit.py',
        data_root='data/fashion_mnist_demo/'),
    'mosaic': dict(
        hashnet='hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py',
        method='{folder}/{method}_resnet18cifar_1xb64_fashionmnist-mosaic_64bit.py',
        data_root='data/fashion_mnist_mosaic_cpu/'),
}
METHOD_FOLDERS = {'dpsh': 'dpsh', 'dhn': 'dhn', 'hashnet-w': 'hashnet_w',
                  'hashnet-c': 'hashnet_c', 'dnnh': 'dnnh', 'cnnh': 'cnnh'}
REFERENCE_FINAL_BETA = 6.4
RELEASED_ALPHA_TIMES_BITS = 10.0
METRIC = 'retrieval/mAP@all'


def variant_run(variant: str, data: str, bits: int) -> tuple:
    """(config path, cfg_options) of one variant at ``bits`` bits."""
    paths = DATA[data]
    if variant in METHOD_FOLDERS:
        config = paths['method'].format(folder=METHOD_FOLDERS[variant],
                                        method=variant)
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
        'model.head.loss.alpha': alpha,
        'custom_hooks': [dict(type='ContinuationHook', schedule='budget',
                              final_beta=final_beta)],
    }
    return osp.join(ROOT, 'configs', paths['hashnet']), options


def run(job: tuple, args) -> dict:
    variant, bits, seed = job
    config, options = variant_run(variant, args.data, bits)
    work_dir = osp.join(args.work_dir, args.data,
                        re.sub(r'[^\w.-]', '_', variant))
    result = run_grid.run_one(
        config, bits, seed, work_dir, max_iters=args.max_iters,
        cfg_options=options, data_root=DATA[args.data]['data_root'])
    result['variant'] = variant
    print(f'{args.data} {variant} {bits} bits seed {seed}: '
          f'{result["metrics"][METRIC]:.4f} (train {result["train_seconds"]}'
          ' s)', flush=True)
    return result


def markdown_table(results: list, variants: list, bits: list) -> str:
    lines = ['| variant | ' + ' | '.join(f'mAP@all {k} bits' for k in bits)
             + ' |', '|---|' + '---|' * len(bits)]
    for variant in variants:
        cells = [run_grid.format_values(
            [r['metrics'][METRIC] for r in results
             if r['variant'] == variant and r['bits'] == k]) for k in bits]
        lines.append(f'| {variant} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', choices=sorted(DATA), required=True)
    parser.add_argument('--bits', type=int, nargs='+', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--max-iters', type=int, required=True)
    parser.add_argument('--variants', nargs='+', required=True)
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads of each run (OMP_NUM_THREADS)')
    parser.add_argument('--work-dir', default='work_dirs/sweep')
    parser.add_argument('--out', help='also write the table here')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    for variant in args.variants:
        variant_run(variant, args.data, args.bits[0])  # unknown: fail now
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    jobs = [(variant, bits, seed) for seed in args.seeds
            for bits in args.bits for variant in args.variants]
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
    table = markdown_table(results, args.variants, args.bits)
    run_grid.write_results(
        results, table, osp.join(args.work_dir, args.data, 'sweep.json'),
        args.out)
    return table


if __name__ == '__main__':
    main()
