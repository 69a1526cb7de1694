"""Multi-label mosaics of single-label images (e.g. Fashion-MNIST).

A mosaic is a 2x2 grid of tiles; each tile holds one item or is left empty
(black), and the mosaic's labels are the classes of its items. The classes
of the items follow a geometric distribution, so the benchmark is
imbalanced as well as multi-label. Everything is drawn from one seed.
"""
from typing import Tuple

import numpy as np

# Tile t sits at grid row TILES[t][0], column TILES[t][1].
TILES = ((0, 0), (0, 1), (1, 0), (1, 1))


def class_probabilities(num_classes: int, imbalance: float) -> np.ndarray:
    """p_c proportional to imbalance ** (-c / (C - 1)): class 0 is
    ``imbalance`` times as frequent as class C - 1."""
    if imbalance < 1:
        raise ValueError(f'imbalance must be >= 1, got {imbalance}')
    if num_classes == 1:
        return np.ones(1)
    weights = float(imbalance)**(-np.arange(num_classes) / (num_classes - 1))
    return weights / weights.sum()


def make_mosaics(
        images: np.ndarray,
        labels: np.ndarray,
        num: int,
        seed=0,
        empty_prob: float = 0.5,
        imbalance: float = 10.,
        num_classes: int = None) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``num`` mosaics from ``images`` (N, H, W) with class indices
    ``labels`` (N,).

    Each tile is empty with probability ``empty_prob`` (a mosaic with four
    empty tiles gets one filled tile at random); a filled tile takes a class
    from :func:`class_probabilities`, then an item of that class uniformly.

    Args:
        seed: an int, ``np.random.SeedSequence`` or ``np.random.Generator``.

    Returns:
        mosaics (num, 2H, 2W) uint8, multi-hot labels (num, C) int64 and the
        item index in each tile (num, 4) int64, -1 for an empty tile.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or len(images) != len(labels):
        raise ValueError(f'need images (N, H, W) and labels (N,), got '
                         f'{images.shape} and {labels.shape}')
    if not 0 <= empty_prob < 1:
        raise ValueError(f'empty_prob must be in [0, 1), got {empty_prob}')
    num_classes = num_classes or int(labels.max()) + 1
    members = [np.flatnonzero(labels == c) for c in range(num_classes)]
    missing = [c for c, m in enumerate(members) if not len(m)]
    if missing:
        raise ValueError(f'classes {missing} have no images to tile')
    rng = np.random.default_rng(seed)
    filled = rng.random((num, len(TILES))) >= empty_prob
    blank = np.flatnonzero(~filled.any(axis=1))
    filled[blank, rng.integers(len(TILES), size=len(blank))] = True
    classes = rng.choice(
        num_classes,
        size=filled.shape,
        p=class_probabilities(num_classes, imbalance))
    items = np.full(filled.shape, -1, dtype=np.int64)
    for c, pool in enumerate(members):
        chosen = filled & (classes == c)
        items[chosen] = rng.choice(pool, size=int(chosen.sum()))

    h, w = images.shape[1:]
    mosaics = np.zeros((num, 2 * h, 2 * w), dtype=np.uint8)
    multi_hot = np.zeros((num, num_classes), dtype=np.int64)
    for t, (row, col) in enumerate(TILES):
        has = np.flatnonzero(items[:, t] >= 0)
        mosaics[has, row * h:(row + 1) * h, col * w:(col + 1) * w] = \
            images[items[has, t]]
        multi_hot[has, labels[items[has, t]]] = 1
    return mosaics, multi_hot, items
