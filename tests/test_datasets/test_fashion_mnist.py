"""Tests for the Fashion-MNIST reader, splitter, list writer and demo."""
import gzip
import os

import numpy as np
import pytest
from PIL import Image

from hashnet_mm.datasets.demo import DEMO_NPZ, materialize_demo
from hashnet_mm.datasets.fashion_mnist import (CLASSES, balanced_split,
                                               read_idx, write_list_dataset)


def _idx_bytes(array):
    header = bytes([0, 0, 8, array.ndim])
    return header + np.array(array.shape, '>u4').tobytes() + array.tobytes()


def _read_list(path):
    with open(path) as f:
        return [line.split() for line in f]


@pytest.mark.parametrize('gz', [False, True])
def test_read_idx(tmp_path, gz):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = str(tmp_path / ('x.idx3' + ('.gz' if gz else '')))
    with (gzip.open if gz else open)(path, 'wb') as f:
        f.write(_idx_bytes(array))
    out = read_idx(path)
    assert out.dtype == np.uint8 and np.array_equal(out, array)


@pytest.mark.parametrize(
    'data',
    [
        b'\x00\x00\x0d\x01\x00\x00\x00\x02ab',  # float dtype code
        _idx_bytes(np.zeros((2, 3), np.uint8))[:-1],  # truncated
        b'',
    ])
def test_read_idx_corrupt(tmp_path, data):
    path = tmp_path / 'bad-idx1-ubyte'
    path.write_bytes(data)
    with pytest.raises(ValueError, match='bad-idx1-ubyte'):
        read_idx(str(path))


def test_read_idx_bad_gzip(tmp_path):
    path = tmp_path / 'bad.gz'
    path.write_bytes(b'not gzip at all')
    with pytest.raises(ValueError, match='bad.gz'):
        read_idx(str(path))


def _labels():
    return np.random.default_rng(1).permutation(np.repeat(np.arange(10), 30))


def test_balanced_split():
    labels = _labels()
    splits = balanced_split(labels, 50, 100, 60, seed=0)
    sizes = {'query': 50, 'train': 100, 'database': 60}
    for name, idx in splits.items():
        assert len(idx) == sizes[name]
        assert np.all(
            np.bincount(labels[idx], minlength=10) == sizes[name] // 10)
    q, t, d = (set(splits[n].tolist()) for n in ('query', 'train', 'database'))
    assert not (q & t or q & d or t & d)
    rest = balanced_split(labels, 50, 100, seed=0)
    assert len(rest['database']) == 300 - 150
    assert set(np.concatenate(list(rest.values())).tolist()) == set(range(300))


def test_balanced_split_seed():
    labels = _labels()
    a, b = (balanced_split(labels, 50, 100, seed=0) for _ in range(2))
    c = balanced_split(labels, 50, 100, seed=1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a['query'], c['query'])


def test_balanced_split_errors():
    labels = _labels()
    with pytest.raises(ValueError, match='has 30 images'):
        balanced_split(labels, 100, 200, 10, seed=0)  # 31 per class > 30
    with pytest.raises(ValueError, match='divisible'):
        balanced_split(labels, 55, 100, seed=0)


def test_write_list_dataset(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    labels = np.arange(40) % 10
    splits = {'query': np.array([3, 1]), 'train': np.array([12, 5, 7])}
    paths = write_list_dataset(str(tmp_path), images, labels, splits, 10)
    assert set(paths) == {'query', 'train'}
    for name, idx in splits.items():
        lines = _read_list(paths[name])
        assert len(lines) == len(idx)
        for i, (rel, *onehot) in zip(idx, lines):
            assert rel == f'images/{i:05d}.png'
            assert len(onehot) == 10 and onehot.count('1') == 1
            assert onehot.count('0') == 9 and onehot.index('1') == labels[i]
            img = np.asarray(Image.open(tmp_path / rel))
            assert np.array_equal(img, images[i])
    assert len(os.listdir(tmp_path / 'images')) == 5
    assert not [p for p in os.listdir(tmp_path) if '.tmp' in p]


def test_shipped_npz():
    with np.load(DEMO_NPZ) as data:
        assert data['images'].shape == (16000, 28, 28)
        assert data['images'].dtype == np.uint8
        assert data['labels'].shape == (16000, )
        assert data['labels'].dtype == np.int64
        sizes = {'query': 1000, 'train': 5000, 'database': 10000}
        for name, size in sizes.items():
            assert data[name].shape == (size, )
            assert np.all(
                np.bincount(data['labels'][data[name]]) == size // 10)
        used = np.concatenate([data[n] for n in sizes])
        assert np.array_equal(np.sort(used), np.arange(16000))
    assert os.path.getsize(DEMO_NPZ) < 8_000_000


@pytest.mark.slow
def test_materialize_demo(tmp_path, capsys):
    out = str(tmp_path / 'demo')
    paths = materialize_demo(out)
    lists = {name: _read_list(p) for name, p in paths.items()}
    assert {
        k: len(v)
        for k, v in lists.items()
    } == {
        'query': 1000,
        'train': 5000,
        'database': 10000
    }
    counts = np.zeros(len(CLASSES), int)
    for rel, *onehot in lists['query']:
        counts[onehot.index('1')] += 1
    assert np.all(counts == 100)
    for rel, *_ in lists['database'][::997] + lists['train'][::499]:
        assert Image.open(os.path.join(out, rel)).size == (28, 28)
    assert all(
        os.path.isfile(os.path.join(out, rel)) for split in lists.values()
        for rel, *_ in split)
    mtimes = {p: os.stat(p).st_mtime_ns for p in paths.values()}
    capsys.readouterr()
    assert materialize_demo(out) == paths
    assert 'already' in capsys.readouterr().out
    assert mtimes == {p: os.stat(p).st_mtime_ns for p in paths.values()}
