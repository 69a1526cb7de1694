"""Fashion-MNIST reading, balanced splitting and list-file writing.

Pure numpy + PIL. The list-file format (HashNet's) is one line per image:
``relative/path l_1 ... l_C`` with multi-hot 0/1 labels.
"""
import gzip
import os

import numpy as np

from .list_files import write_image_arrays

CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
           'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def read_idx(path):
    """Read an unsigned-byte IDX file (gzipped if it ends in ``.gz``)."""
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f'{path}: cannot read IDX file ({e})') from e
    if len(data) < 4 or data[:3] != b'\x00\x00\x08':
        raise ValueError(f'{path}: bad IDX magic number {data[:4].hex()!r} '
                         '(expected 000008xx, unsigned bytes)')
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f'{path}: bad IDX header ({ndim} dims)')
    shape = tuple(int(d) for d in np.frombuffer(data, '>u4', ndim, 4))
    if len(data) - header != int(np.prod(shape)):
        raise ValueError(f'{path}: IDX dims {shape} need {np.prod(shape)} '
                         f'bytes, file has {len(data) - header}')
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape).copy()


def find_idx_file(source_dir, name):
    for candidate in (name + '.gz', name):
        path = os.path.join(source_dir, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f'Fashion-MNIST file {name}[.gz] not found in {source_dir}')


def load_fashion_mnist(source_dir):
    """Return all 70,000 images (N, 28, 28) uint8 and labels (N,) int64,
    the 60,000 training images first, then the 10,000 test images."""
    arrays = [read_idx(find_idx_file(source_dir, name)) for name in FILES]
    train_x, train_y, test_x, test_y = arrays
    for x, y, name in ((train_x, train_y, 'train'), (test_x, test_y, 't10k')):
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
            raise ValueError(f'{source_dir}: {name} images {x.shape} do not '
                             f'match labels {y.shape}')
    labels = np.concatenate([train_y, test_y]).astype(np.int64)
    if labels.max() >= len(CLASSES):
        raise ValueError(f'{source_dir}: label {labels.max()} out of range')
    return np.concatenate([train_x, test_x]), labels


def balanced_split(labels, num_query, num_train, num_database=None, seed=0):
    """Split indices into disjoint, per-class-balanced query / train /
    database sets (each sorted). ``num_database=None`` takes every image
    not in query or train. Sizes must be divisible by the class count."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    sizes = {'query': num_query, 'train': num_train, 'database': num_database}
    per_class = {}
    for name, size in sizes.items():
        if size is not None and size % len(classes):
            raise ValueError(f'{name} size {size} is not divisible by the '
                             f'{len(classes)} classes')
        per_class[name] = None if size is None else size // len(classes)
    rng = np.random.default_rng(seed)
    splits = {name: [] for name in sizes}
    for c in classes:
        idx = rng.permutation(np.flatnonzero(labels == c))
        need = sum(n for n in per_class.values() if n is not None)
        if need > len(idx):
            raise ValueError(f'class {c} has {len(idx)} images, the split '
                             f'needs {need} per class')
        start = 0
        for name, n in per_class.items():
            stop = len(idx) if n is None else start + n
            splits[name].append(idx[start:stop])
            start = stop
    return {
        name: np.sort(np.concatenate(parts))
        for name, parts in splits.items()
    }


def write_list_dataset(out_dir, images, labels, splits, num_classes):
    """Write ``images/{index:05d}.png`` for every index used and one list
    file ``{name}.txt`` per split (class indices become multi-hot rows);
    return ``{name: list-file path}``."""
    return write_image_arrays(out_dir, images,
                              np.eye(num_classes, dtype=np.int64)[labels],
                              splits)
