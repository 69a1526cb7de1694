"""tools/dataset_converters/cifar10.py on hand-made CIFAR-10 pickles."""
import os
import pickle

import numpy as np
import pytest
from PIL import Image

from ..tool_modules import load_tool
from .lists import check_protocol, read_splits

cifar10 = load_tool('dataset_converters/cifar10.py')


def make_cifar(root, per_batch=20, seed=0):
    """Six pickles as CIFAR-10's python version has them (bytes keys, a
    (N, 3072) uint8 array, a list of labels). Returns all images and
    labels, training batches first."""
    rng = np.random.default_rng(seed)
    os.makedirs(root)
    images, labels = [], []
    for name in cifar10.BATCHES:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        batch_labels = [int(v) for v in rng.permutation(per_batch) % 10]
        batch = {
            b'batch_label': name.encode(),
            b'data': data,
            b'labels': batch_labels,
            b'filenames': [b'x.png'] * per_batch
        }
        with open(root / name, 'wb') as f:
            pickle.dump(batch, f, protocol=2)
        # Channel-major rows: R plane, G plane, B plane, each 32x32.
        images += [row.reshape(3, 32, 32).transpose(1, 2, 0) for row in data]
        labels += batch_labels
    return np.array(images), np.array(labels)


def run(root, out, *extra):
    return cifar10.main([
        '--source',
        str(root), '--out',
        str(out), '--num-query', '10', '--num-train', '20', *extra
    ])


@pytest.mark.parametrize('includes_train', [False, True])
def test_splits_images_and_labels(tmp_path, includes_train):
    images, labels = make_cifar(tmp_path / 'raw')
    run(tmp_path / 'raw', tmp_path / 'out',
        *(['--database-includes-train'] if includes_train else []))
    splits = read_splits(tmp_path / 'out')
    check_protocol(
        splits, {
            'query': 10,
            'train': 20,
            'database': 110 if includes_train else 90
        },
        train_in_database=includes_train)
    for name, (paths, rows) in splits.items():
        assert rows.shape[1] == 10 and (rows.sum(axis=1) == 1).all()
        if name != 'database':
            assert (rows.sum(axis=0) == len(paths) // 10).all()  # balanced
        for path, row in zip(paths, rows):
            i = int(os.path.basename(path)[:-4])
            assert row.argmax() == labels[i]
            png = np.asarray(Image.open(tmp_path / 'out' / path))
            assert np.array_equal(png, images[i])


def test_same_seed_same_split(tmp_path):
    make_cifar(tmp_path / 'raw')
    for name, seed in (('a', '0'), ('b', '0'), ('c', '3')):
        run(tmp_path / 'raw', tmp_path / name, '--seed', seed)
    a, b, c = (read_splits(tmp_path / n)['query'][0] for n in 'abc')
    assert a == b and a != c


@pytest.mark.parametrize('edit,match', [
    (lambda b: b.pop(b'labels'), "data_batch_3: missing field 'labels'"),
    (lambda b: b.update({b'data': b[b'data'][:, :100]}),
     r'data_batch_3: data must be \(N, 3072\) uint8'),
    (lambda b: b[b'labels'].__setitem__(4, 10),
     r'data_batch_3: labels\[4\] = 10 is not a class index 0..9'),
    (lambda b: b[b'labels'].pop(), 'data_batch_3: 19 labels for 20 images'),
])
def test_bad_pickles_name_the_file(tmp_path, edit, match):
    make_cifar(tmp_path / 'raw')
    path = tmp_path / 'raw' / 'data_batch_3'
    with open(path, 'rb') as f:
        batch = pickle.load(f)
    edit(batch)
    with open(path, 'wb') as f:
        pickle.dump(batch, f, protocol=2)
    with pytest.raises(ValueError, match=match):
        run(tmp_path / 'raw', tmp_path / 'out')


class RunsCode:
    """Unpickling this would call print(): the loader must refuse."""

    def __reduce__(self):
        return print, ('should never run', )


def test_pickle_that_runs_code_is_refused(tmp_path, capsys):
    make_cifar(tmp_path / 'raw')
    with open(tmp_path / 'raw' / 'test_batch', 'wb') as f:
        pickle.dump({b'data': RunsCode()}, f, protocol=2)
    with pytest.raises(
            ValueError,
            match=r'test_batch: cannot read CIFAR-10 '
            r'pickle \(unexpected object .*builtin.*print'):
        run(tmp_path / 'raw', tmp_path / 'out')
    assert 'should never run' not in capsys.readouterr().out
