"""Time the offline converters on the real Fashion-MNIST (Debian's
dataset-fashion-mnist files) and print what they wrote.

    python -m benchmarks dataset_converters_speed [--source DIR]

Runs tools/dataset_converters/fashion_mnist.py (70,000 images, the paper's
protocol) and fashion_mnist_mosaic.py (defaults: 26,000 mosaics) into a
temporary folder, then loads the written lists with HashListDataset. Writes
the times to ``--out`` (default
benchmarks/results/dataset_converters_speed.json).
"""
import argparse
import importlib.util
import os.path as osp
import tempfile
import time

import numpy as np

from benchmarks._record import add_out_argument, write_record
from hashnet_mm.datasets import HashListDataset

KIND = 'speed'

TOOLS = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools',
    'dataset_converters')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(TOOLS, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(label, fn, seconds=None):
    """``fn()``, its wall time printed (and kept in ``seconds[label]``)."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f'{label}: {elapsed:.1f} s')
    if seconds is not None:
        seconds[label] = round(elapsed, 2)
    return result


def label_stats(out):
    dataset = HashListDataset(ann_file='database.txt', data_root=out)
    counts = np.zeros(len(dataset.metainfo['classes']))
    sizes = []
    for info in dataset.load_data_list():
        counts[info['gt_label']] += 1
        sizes.append(len(info['gt_label']))
    return (
        f'database {len(dataset)}: {np.mean(sizes):.2f} labels an '
        f'image, class frequency max/min {counts.max() / counts.min():.1f}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--source', default='/usr/share/datasets/fashion-mnist')
    add_out_argument(parser, 'dataset_converters_speed')
    args = parser.parse_args(argv)
    seconds, databases = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for tool, sub in (('fashion_mnist.py', 'full'),
                          ('fashion_mnist_mosaic.py', 'mosaic')):
            out = osp.join(tmp, sub)
            timed(
                f'{tool} (convert + write PNGs)', lambda: load_tool(tool).main(
                    ['--source', args.source, '--out', out]), seconds)
            databases[tool] = timed(f'{tool}: load database list',
                                    lambda: label_stats(out), seconds)
            print('  ' + databases[tool])
    return write_record(
        args.out, 'dataset_converters_speed',
        dict(source=args.source, seconds=seconds, databases=databases), argv)


if __name__ == '__main__':
    main()
