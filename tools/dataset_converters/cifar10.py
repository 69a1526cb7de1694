"""Convert CIFAR-10 (the python pickles) to HashNet list files + PNGs.

Protocol: 1,000 query and 5,000 training images, balanced over the 10
classes (seed-fixed), the other 54,000 images as the database; with
--database-includes-train the database also holds the training images
(59,000), the other common variant.

--source is the extracted cifar-10-batches-py folder (data_batch_1..5,
test_batch).

Validation is no extra list: the dataset configs hold 500 of train.txt's
images out as validation queries (``HashListDataset`` ``subset`` /
``val_queries``), ranked against the other 4,500, which are trained on.
"""
import argparse
import pickle

import numpy as np

from hashnet_mm.datasets.fashion_mnist import write_list_dataset
from hashnet_mm.datasets.list_files import describe_splits
from hashnet_mm.datasets.retrieval_splits import balanced_protocol
from hashnet_mm.datasets.validation_split import describe_validation

BATCHES = ('data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4',
           'data_batch_5', 'test_batch')
NUM_CLASSES = 10
# What a CIFAR-10 pickle may refer to: numpy arrays (under numpy 1.x or 2.x)
# and, in pickles re-written by Python 3, bytes built by _codecs.encode.
ALLOWED_GLOBALS = {
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('_codecs', 'encode'),
}


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, nothing executable."""

    def find_class(self, module, name):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f'unexpected object {module}.{name} in a CIFAR-10 pickle')
        return super().find_class(module, name)


def load_batch(path):
    """Images (N, 32, 32, 3) uint8 and labels (N,) int64 of one pickle."""
    try:
        with open(path, 'rb') as f:
            batch = ArrayUnpickler(f, encoding='bytes').load()
    except (OSError, EOFError, pickle.UnpicklingError) as e:
        raise ValueError(f'{path}: cannot read CIFAR-10 pickle ({e})') from e
    if not isinstance(batch, dict):
        raise ValueError(f'{path}: expected a dict, got {type(batch)}')
    for key in (b'data', b'labels'):
        if key not in batch:
            raise ValueError(f'{path}: missing field {key.decode()!r}')
    data = np.asarray(batch[b'data'])
    labels = np.asarray(batch[b'labels'], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f'{path}: data must be (N, 3072) uint8, got '
                         f'{data.shape} {data.dtype}')
    if labels.shape != (len(data), ):
        raise ValueError(f'{path}: {len(labels)} labels for {len(data)} '
                         'images')
    bad = np.flatnonzero((labels < 0) | (labels >= NUM_CLASSES))
    if len(bad):
        raise ValueError(f'{path}: labels[{bad[0]}] = {labels[bad[0]]} is '
                         f'not a class index 0..{NUM_CLASSES - 1}')
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def load_cifar10(source):
    """All images, the five training batches first, then the test batch."""
    parts = [load_batch(f'{source}/{name}') for name in BATCHES]
    return (np.concatenate([images for images, _ in parts]),
            np.concatenate([labels for _, labels in parts]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--source', default='data/cifar-10-batches-py')
    parser.add_argument('--out', default='data/cifar10')
    parser.add_argument('--num-query', type=int, default=1000)
    parser.add_argument('--num-train', type=int, default=5000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--database-includes-train',
        action='store_true',
        help='put the training images into the database too')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, labels = load_cifar10(args.source)
    splits = balanced_protocol(labels, args.num_query, args.num_train,
                               args.seed, args.database_includes_train)
    write_list_dataset(args.out, images, labels, splits, NUM_CLASSES)
    print(f'CIFAR-10 from {args.source} written to {args.out}: '
          f'{describe_splits(splits)}')
    print(describe_validation(len(splits['train'])))
    return splits


if __name__ == '__main__':
    main()
