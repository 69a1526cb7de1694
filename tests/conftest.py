"""Shared fixtures."""
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmpretrain.apis import get_model

from .test_tools.test_train_test import write_config
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


@pytest.fixture
def model_files(tmp_path, tiny_single_label):
    """(config, checkpoint, data root): a freshly initialised 16-bit model
    (its codes differ between images, with ties)."""
    config = write_config(str(tmp_path / 'cfg.py'), tiny_single_label, 1)
    checkpoint = str(tmp_path / 'model.pth')
    model = get_model(Config.fromfile(config))
    model.init_weights()
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    return config, checkpoint, tiny_single_label
