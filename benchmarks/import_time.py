"""Seconds to import hashnet_mm, against mmpretrain's own import.

Each import runs in a fresh interpreter (``--repeats`` times, median):

- ``mmpretrain``: what mmpretrain's tools import before a config is built
  (``mmpretrain`` and its registries: datasets, models, engine, evaluation);
- ``hashnet_mm``: ``import hashnet_mm`` and mmpretrain's registries, as a
  config's ``custom_imports`` meets them: the plugin registers itself when
  mmpretrain is imported;
- ``hashnet_mm.search``: what a search service imports (no torch, mmengine
  or mmpretrain), with its peak resident memory;
- which heavy or optional modules each import loaded (torch, mmpretrain,
  numba, faiss, timm).

    python -m benchmarks import_time                  # this checkout
    python -m benchmarks import_time --path /tmp/old  # another checkout

Writes the figures to ``--out`` (default benchmarks/results/import_time.json).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from benchmarks._record import add_out_argument, write_record

KIND = 'speed'
BASELINE = ('import mmpretrain.datasets, mmpretrain.models, '
            'mmpretrain.engine, mmpretrain.evaluation')
PLUGIN = 'import hashnet_mm; ' + BASELINE
SEARCH = 'import hashnet_mm.search'
OPTIONAL = ('torch', 'mmpretrain', 'numba', 'faiss', 'timm')


def timed_import(statement: str, path: str) -> dict:
    """Wall seconds of ``statement`` in a new interpreter, and the optional
    modules it loaded."""
    code = ('import resource, sys, time; t = time.perf_counter(); '
            f'{statement}; print(time.perf_counter() - t, '
            'resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, '
            f'*[m for m in {OPTIONAL!r} if m in sys.modules])')
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            p for p in (path, os.environ.get('PYTHONPATH')) if p))
    out = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                         env=env,
                         cwd=path,
                         capture_output=True,
                         text=True,
                         check=True).stdout.split()
    return dict(
        seconds=float(out[0]), peak_rss_mb=int(out[1]) / 1024, loaded=out[2:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--path',
        default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        help='checkout whose hashnet_mm to time')
    parser.add_argument('--repeats', type=int, default=5)
    add_out_argument(parser, 'import_time')
    args = parser.parse_args(argv)
    report = {}
    for name, statement in (('mmpretrain', BASELINE), ('hashnet_mm', PLUGIN),
                            ('hashnet_mm.search', SEARCH)):
        runs = [
            timed_import(statement, args.path) for _ in range(args.repeats)
        ]
        report[name] = dict(
            median_s=round(statistics.median(r['seconds'] for r in runs), 3),
            runs_s=[round(r['seconds'], 3) for r in runs],
            peak_rss_mb=round(max(r['peak_rss_mb'] for r in runs)),
            loaded=runs[-1]['loaded'])
    report['plugin_extra_s'] = round(
        report['hashnet_mm']['median_s'] - report['mmpretrain']['median_s'], 3)
    print(json.dumps(report, indent=1))
    return write_record(args.out, 'import_time', report, argv)


if __name__ == '__main__':
    main()
