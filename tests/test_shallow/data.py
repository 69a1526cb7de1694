"""Small data with known structure for the feature-hashing tests."""
import numpy as np


def separable_split(n, num_classes=4, dim=16, seed=0):
    """Classes told apart by small offsets along 2 dimensions, hidden
    under 14 dimensions of large class-independent noise: what separates
    the classes is invisible to variance-driven (unsupervised) methods."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(num_classes, size=n)
    angles = 2 * np.pi * classes / num_classes
    x = rng.normal(size=(n, dim)) * np.r_[[0.15, 0.15], [3.0] * (dim - 2)]
    x[:, 0] += np.cos(angles)
    x[:, 1] += np.sin(angles)
    return x, np.eye(num_classes, dtype=np.int64)[classes]


def rings_split(n, seed=0):
    """Two concentric rings (radius 1 and 2) in the first two of 4
    dimensions: no hyperplane separates the classes, a kernel can."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(2, size=n)
    angles = rng.uniform(0, 2 * np.pi, size=n)
    radius = 1 + classes + rng.normal(scale=0.1, size=n)
    x = np.c_[radius * np.cos(angles), radius * np.sin(angles),
              rng.normal(scale=0.1, size=(n, 2))]
    return x, np.eye(2, dtype=np.int64)[classes]


def splits(make, sizes=(('train', 400), ('query', 60), ('database', 300))):
    """train / query / database (features, labels) from ``make(n, seed)``."""
    return {name: make(n, seed=seed) for seed, (name, n) in enumerate(sizes)}


def retrieval_map_of(hasher, data):
    """MAP@all of a fitted hasher's codes, query against database."""
    from hashnet_mm.shallow.evaluate import retrieval_map
    (q, ql), (db, dbl) = data['query'], data['database']
    return retrieval_map(hasher.encode(q), ql, hasher.encode(db), dbl)


def clusters_split(n, seed=0):
    """4 Gaussian clusters at +-2 along the axes of 3 dimensions (std 0.7):
    Euclidean neighbours mostly share a label."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(4, size=n)
    x = rng.normal(scale=0.7, size=(n, 3))
    x[np.arange(n), classes % 3] += 2.0 * (1 - 2 * (classes // 3))
    return x, np.eye(4, dtype=np.int64)[classes]
