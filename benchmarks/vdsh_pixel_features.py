"""Write the shipped Fashion-MNIST demo subset's raw pixels (784-d, scaled
to [0, 1]) as feature files, the input of tools/shallow_hash.py and the VDSH
benchmarks when no trained network is at hand:

    python benchmarks/vdsh_pixel_features.py --out work_dirs/features/pixels
"""
import argparse
import os

import numpy as np

from hashnet_mm.datasets.demo import DEMO_NPZ
from hashnet_mm.datasets.fashion_mnist import CLASSES
from hashnet_mm.shallow.feature_files import SPLITS, save_features


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='work_dirs/features/pixels')
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    with np.load(DEMO_NPZ) as data:
        images, labels = data['images'], data['labels']
        for split in SPLITS:
            index = data[split]
            save_features(
                out, split, images[index].reshape(len(index), -1) / 255.0,
                [f'images/{i:05d}.png' for i in index],
                np.eye(len(CLASSES), dtype=np.uint8)[labels[index]])
            print(f'{split}: {len(index)} x {images[0].size} -> {out}')


if __name__ == '__main__':
    main()
