"""Write the shipped Fashion-MNIST demo subset's raw pixels (784-d, scaled
to [0, 1]) as feature files, the input of tools/shallow_hash.py and the VDSH
benchmarks when no trained network is at hand:

    python -m benchmarks vdsh_pixel_features \\
        --features work_dirs/features/pixels

``--features`` is the folder of the feature files; ``--out`` the JSON record
of what was written (default benchmarks/results/vdsh_pixel_features.json).
"""
import argparse
import os

import numpy as np

from benchmarks._record import add_out_argument, json_out, write_record
from hashnet_mm.datasets.demo import DEMO_NPZ
from hashnet_mm.datasets.fashion_mnist import CLASSES
from hashnet_mm.shallow.feature_files import SPLITS, save_features

KIND = 'accuracy'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--features',
        default='work_dirs/features/pixels',
        help='the folder the feature files go to')
    add_out_argument(parser, 'vdsh_pixel_features')
    args = parser.parse_args(argv)
    json_out(parser, args.out, 'the feature folder is --features')
    out = args.features
    os.makedirs(out, exist_ok=True)
    written = {}
    with np.load(DEMO_NPZ) as data:
        images, labels = data['images'], data['labels']
        for split in SPLITS:
            index = data[split]
            save_features(out, split,
                          images[index].reshape(len(index), -1) / 255.0,
                          [f'images/{i:05d}.png' for i in index],
                          np.eye(len(CLASSES), dtype=np.uint8)[labels[index]])
            print(f'{split}: {len(index)} x {images[0].size} -> {out}')
            written[split] = [len(index), int(images[0].size)]
    return write_record(args.out, 'vdsh_pixel_features',
                        dict(features=out, shapes=written), argv)


if __name__ == '__main__':
    main()
