"""Time the offline converters on the real Fashion-MNIST (Debian's
dataset-fashion-mnist files) and print what they wrote.

    python benchmarks/dataset_converters_speed.py [--source DIR]

Runs tools/dataset_converters/fashion_mnist.py (70,000 images, the paper's
protocol) and fashion_mnist_mosaic.py (defaults: 26,000 mosaics) into a
temporary folder, then loads the written lists with HashListDataset.
"""
import argparse
import importlib.util
import os.path as osp
import tempfile
import time

import numpy as np

from hashnet_mm.datasets import HashListDataset

TOOLS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools',
                 'dataset_converters')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name,
                                                  osp.join(TOOLS, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(label, fn):
    start = time.perf_counter()
    result = fn()
    print(f'{label}: {time.perf_counter() - start:.1f} s')
    return result


def label_stats(out):
    dataset = HashListDataset(ann_file='database.txt', data_root=out)
    counts = np.zeros(len(dataset.metainfo['classes']))
    sizes = []
    for info in dataset.load_data_list():
        counts[info['gt_label']] += 1
        sizes.append(len(info['gt_label']))
    return (f'database {len(dataset)}: {np.mean(sizes):.2f} labels an '
            f'image, class frequency max/min {counts.max() / counts.min():.1f}')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--source',
                        default='/usr/share/datasets/fashion-mnist')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for tool, sub in (('fashion_mnist.py', 'full'),
                          ('fashion_mnist_mosaic.py', 'mosaic')):
            out = osp.join(tmp, sub)
            timed(f'{tool} (convert + write PNGs)', lambda: load_tool(
                tool).main(['--source', args.source, '--out', out]))
            print('  ' + timed('  load database list', lambda: label_stats(
                out)))


if __name__ == '__main__':
    main()
