"""Tiny image datasets in HashNet's list format, made by the tests."""
import os
import os.path as osp

import numpy as np
from PIL import Image

# A distinct colour per class; an image shows the colours of its labels.
PALETTE = np.array([[220, 30, 30], [30, 200, 30], [30, 30, 220],
                    [220, 220, 30], [30, 220, 220], [220, 30, 220]])


def write_tiny_dataset(root, labels_per_split, size=32, seed=0):
    """Write images and ``<split>.txt`` list files under ``root``.

    ``labels_per_split`` maps a split name to a (n, C) 0/1 array. Each
    image is split into C vertical bands; band c has the colour of class c if
    the image has label c, else grey, plus noise.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    count = 0
    for split, labels in labels_per_split.items():
        lines = []
        for row in np.asarray(labels):
            img = np.full((size, size, 3), 128, dtype=np.int64)
            bands = np.array_split(np.arange(size), len(row))
            for c, band in enumerate(bands):
                if row[c]:
                    img[:, band] = PALETTE[c]
            img = np.clip(img + rng.integers(-40, 40, img.shape), 0, 255)
            rel = f'images/{count:05d}.png'
            count += 1
            Image.fromarray(img.astype(np.uint8)).save(osp.join(root, rel))
            lines.append(rel + ' ' + ' '.join(str(int(v)) for v in row))
        with open(osp.join(root, f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root


def one_hot(classes, num_classes):
    return np.eye(num_classes, dtype=np.int64)[classes]
