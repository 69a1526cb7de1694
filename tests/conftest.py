"""Shared fixtures."""
import numpy as np
import pytest

from .tiny_data import one_hot, write_tiny_dataset


@pytest.fixture
def tiny_single_label(tmp_path):
    """4 classes: 32 train, 8 query, 32 database images (32x32)."""
    rng = np.random.default_rng(1)
    splits = {
        name: one_hot(np.repeat(np.arange(4), n // 4)[rng.permutation(n)], 4)
        for name, n in (('train', 32), ('query', 8), ('database', 32))
    }
    return write_tiny_dataset(str(tmp_path), splits)
