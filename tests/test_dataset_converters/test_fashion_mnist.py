"""tools/dataset_converters/fashion_mnist.py and fashion_mnist_mosaic.py on
small synthetic IDX files."""
import os

import numpy as np
import pytest
from PIL import Image

from ..test_datasets.test_fashion_mnist import _idx_bytes
from ..tool_modules import load_tool
from .lists import check_protocol, read_splits

fashion_mnist = load_tool('dataset_converters/fashion_mnist.py')
mosaic = load_tool('dataset_converters/fashion_mnist_mosaic.py')


@pytest.fixture
def idx_dir(tmp_path):
    """100 training and 30 test items, balanced over the 10 classes; every
    pixel of item i is i + 1 (never 0, the empty tile), so a tile tells its
    item."""
    root = tmp_path / 'idx'
    os.makedirs(root)
    for prefix, start, count in (('train', 0, 100), ('t10k', 100, 30)):
        index = np.arange(start, start + count)
        images = np.repeat(index + 1, 28 * 28).astype(np.uint8)
        labels = np.random.default_rng(start).permutation(index % 10)
        (root / f'{prefix}-images-idx3-ubyte').write_bytes(
            _idx_bytes(images.reshape(count, 28, 28)))
        (root / f'{prefix}-labels-idx1-ubyte').write_bytes(
            _idx_bytes(labels.astype(np.uint8)))
    return root


def all_labels(idx_dir):
    from hashnet_mm.datasets.fashion_mnist import load_fashion_mnist
    return load_fashion_mnist(str(idx_dir))[1]


@pytest.mark.parametrize('includes_train', [False, True])
def test_fashion_mnist_protocol(tmp_path, idx_dir, includes_train):
    out = tmp_path / 'out'
    fashion_mnist.main([
        '--source',
        str(idx_dir), '--out',
        str(out), '--num-query', '10', '--num-train', '20'
    ] + (['--database-includes-train'] if includes_train else []))
    splits = read_splits(out)
    check_protocol(
        splits, {
            'query': 10,
            'train': 20,
            'database': 120 if includes_train else 100
        },
        train_in_database=includes_train)
    labels = all_labels(idx_dir)
    for paths, rows in splits.values():
        for path, row in zip(paths, rows):
            assert row.tolist() == np.eye(
                10, dtype=int)[labels[int(path[7:-4])]].tolist()


def run_mosaic(idx_dir, out, seed='0', *extra):
    mosaic.main([
        '--source',
        str(idx_dir), '--out',
        str(out), '--num-query', '12', '--num-train', '15', '--num-database',
        '40', '--seed', seed, *extra
    ])
    return read_splits(out)


def test_mosaic_protocol_tiles_and_labels(tmp_path, idx_dir):
    out = tmp_path / 'mosaic'
    splits = run_mosaic(idx_dir, out)
    check_protocol(
        splits, {
            'query': 12,
            'train': 15,
            'database': 40
        },
        train_in_database=True)
    labels = all_labels(idx_dir)
    for name, (paths, rows) in splits.items():
        for path, row in zip(paths, rows):
            image = np.asarray(Image.open(out / path))
            assert image.shape == (56, 56)
            present = set()
            for top in (0, 28):
                for left in (0, 28):
                    tile = image[top:top + 28, left:left + 28]
                    assert (tile == tile[0, 0]).all()
                    if tile[0, 0]:
                        item = int(tile[0, 0]) - 1
                        # query tiles come from the test items (100..129)
                        assert (item >= 100) == (name == 'query')
                        present.add(int(labels[item]))
            assert 1 <= row.sum() and row.tolist() == [
                int(c in present) for c in range(10)
            ]


def test_mosaic_is_deterministic(tmp_path, idx_dir):
    a = run_mosaic(idx_dir, tmp_path / 'a')
    b = run_mosaic(idx_dir, tmp_path / 'b')
    c = run_mosaic(idx_dir, tmp_path / 'c', '1')
    assert all(a[k][0] == b[k][0] and (a[k][1] == b[k][1]).all() for k in a)
    for path in a['database'][0][:5]:
        assert (tmp_path / 'a' / path).read_bytes() == \
            (tmp_path / 'b' / path).read_bytes()
    assert not np.array_equal(a['database'][1], c['database'][1])
