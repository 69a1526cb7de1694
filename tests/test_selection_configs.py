"""Every shipped config selects on validation queries held out of its
training list, never on the test queries, with the test metric's settings."""
import pytest

from hashnet_mm.datasets.validation_split import resolve_val_queries
from hashnet_mm.utils.selection import check_selection_data
from .test_configs import LEAF_CONFIGS, load_config

# (training-list size of the converter's default, validation queries) of
# each dataset, as docs/en/user_guides/evaluation.md states them.
SIZES = {
    'data/fashion_mnist_demo/': (5000, 500),
    'data/fashion_mnist/': (5000, 500),
    'data/fashion_mnist_mosaic/': (5000, 500),
    'data/fashion_mnist_mosaic_cpu/': (5000, 500),
    'data/features/efficientnetlite0-in1k-64px/fashion-mnist-demo/':
    (5000, 500),
    'data/features/efficientnetlite0-in1k-64px/fashion-mnist-mosaic-cpu/':
    (5000, 500),
    'data/cifar10/': (5000, 500),
    'data/coco/': (10000, 1000),
    'data/nus_wide/': (10000, 1000),
    'data/imagenet/': (10000, 1000),
}


@pytest.mark.parametrize('name', LEAF_CONFIGS)
def test_validation_is_held_out_of_the_training_list(name):
    cfg = load_config(name)
    train = cfg.train_dataloader.dataset
    val = cfg.val_dataloader.dataset
    test = cfg.test_dataloader.dataset
    assert val.type == test.type == 'QueryDatabaseDataset'
    assert (val.query.subset, val.database.subset, train.subset) == \
        ('val_query', 'val_database', 'train')
    # A list file names an image dataset's part, a split a feature set's.
    part_key = 'split' if train.type == 'FeatureDataset' else 'ann_file'
    for part in (val.query, val.database):
        for key in ('type', 'data_root', part_key, 'val_queries', 'val_seed',
                    'val_database'):
            assert part[key] == train[key], (name, key)
        assert part.pipeline == test.query.pipeline  # no augmentation
    # Distinct from the test lists; the same measure as the test.
    assert train[part_key] not in (test.query[part_key],
                                   test.database[part_key])
    assert cfg.val_evaluator == cfg.test_evaluator
    num_train, num_val = SIZES[train.data_root]
    assert train.val_queries in ('auto', num_val) and train.val_seed == 0
    assert train.val_database == 0  # against the trained-on rest
    assert resolve_val_queries(train.val_queries, num_train) == num_val
    # Nothing to warn about, even for a sweep.
    assert check_selection_data(cfg, sweep=True) == []
    assert not cfg.get('allow_test_selection')
