"""Small feature files (the feature track's input) for tests."""
import os

import numpy as np

from hashnet_mm.shallow.feature_files import save_features

SIZES = dict(train=60, query=12, database=40)


def write_feature_files(folder,
                        dim=8,
                        classes=3,
                        seed=0,
                        sizes=None,
                        multi_label=False,
                        noise=0.3):
    """Gaussian clusters, one a class (a row's mean the sum of its labels'
    centres); returns ``{split: (features, labels)}``."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(classes, dim)) * 3
    data = {}
    for split, n in (sizes or SIZES).items():
        labels = np.eye(classes, dtype=np.uint8)[rng.integers(classes, size=n)]
        if multi_label:
            labels |= (rng.random((n, classes)) < 0.3).astype(np.uint8)
        features = labels @ centers + noise * rng.normal(size=(n, dim))
        save_features(
            str(folder), split, features.astype(np.float32),
            [f'{split}/{i}.png' for i in range(n)], labels)
        data[split] = (features.astype(np.float32), labels)
    return data
