"""A tiny served model and index, made once for the module's tests: 4
colour-band classes, 8 query and 32 database images, a freshly initialised
16-bit model, the database's codes in a flat index with paths and labels."""
import os.path as osp

import faiss
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmpretrain.apis import get_model

from hashnet_mm.apis import HashInferencer
from hashnet_mm.search import CodesFile, HammingIndex
from hashnet_mm.search.build_index import main as build_index
from hashnet_mm.serving import SearchService
from ..test_tools.test_train_test import write_config
from ..tiny_data import one_hot, write_tiny_dataset

#: Small limits, so that the tests can pass them.
MAX_UPLOAD_BYTES = 200_000
MAX_PIXELS = 512 * 512


def listed(root, split):
    """(paths, (n, C) bool labels) of a tiny list file."""
    with open(osp.join(root, f'{split}.txt')) as f:
        rows = [line.split() for line in f if line.strip()]
    return ([osp.join(root, row[0]) for row in rows],
            np.array([[t == '1' for t in row[1:]] for row in rows]))


@pytest.fixture(scope='session')
def served_files(tmp_path_factory):
    """(config, checkpoint, index file, data root)."""
    root = str(tmp_path_factory.mktemp('served'))
    rng = np.random.default_rng(1)
    write_tiny_dataset(
        root, {
            name: one_hot(
                np.repeat(np.arange(4), n // 4)[rng.permutation(n)], 4)
            for name, n in (('query', 8), ('database', 32))
        })
    config = write_config(osp.join(root, 'cfg.py'), root, 1)
    checkpoint = osp.join(root, 'model.pth')
    model = get_model(Config.fromfile(config))
    model.init_weights()
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    paths, labels = listed(root, 'database')
    codes = HashInferencer(config, checkpoint, 'cpu')(
        paths, batch_size=16, packed=True)['codes']
    codes_file = osp.join(root, 'database.npz')
    CodesFile(codes, 16, np.arange(len(paths)), paths, labels).save(codes_file)
    index_file = osp.join(root, 'database.index')
    build_index([codes_file, '--out', index_file])
    return config, checkpoint, index_file, root


@pytest.fixture(scope='session')
def service(served_files):
    config, checkpoint, index_file, _ = served_files
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield SearchService.from_files(
        config,
        checkpoint,
        index_file,
        'cpu',
        max_upload_bytes=MAX_UPLOAD_BYTES,
        max_pixels=MAX_PIXELS,
        max_results=20)
    faiss.omp_set_num_threads(threads)


@pytest.fixture(scope='session')
def index(served_files):
    return HammingIndex.load(served_files[2])


@pytest.fixture(scope='session')
def inferencer(served_files):
    config, checkpoint, _, _ = served_files
    return HashInferencer(config, checkpoint, 'cpu')
