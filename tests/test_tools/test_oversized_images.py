"""The tools refuse a decompression bomb before decoding it: tools/search.py
(its queries go through HashInferencer) and tools/encode.py (its images
through a list-file dataset)."""
import os.path as osp
import time

import numpy as np
import pytest

from hashnet_mm.images import ImageTooLargeError
from hashnet_mm.search import HammingIndex
from ..test_images import bomb_png
from .test_encode_search import run_in_process

LIMIT = '30000 x 30000 = 900,000,000 pixels is more than the limit of ' \
    '67,108,864'


def test_search_refuses_a_bomb_query(tmp_path, model_files):  # noqa: F811
    config, checkpoint, _ = model_files
    index = HammingIndex(16)
    index.add(np.random.default_rng(0).integers(0, 256, (5, 2), np.uint8))
    index.save(str(tmp_path / 'db.index'))
    bomb = tmp_path / 'bomb.png'
    bomb.write_bytes(bomb_png(30000, 30000))
    start = time.perf_counter()
    with pytest.raises(
            ImageTooLargeError,
            match=f'HashInferencer: image '
            f"{bomb}: {LIMIT} \\(HashInferencer's max_pixels"):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'db.index'), '--query', str(bomb),
                       '--device', 'cpu')
    assert time.perf_counter() - start < 60  # the model build included


def test_encode_refuses_a_listed_bomb(tmp_path, model_files):  # noqa: F811
    config, checkpoint, root = model_files
    with open(osp.join(root, 'database.txt')) as f:
        third = f.read().splitlines()[2].split()[0]
    with open(osp.join(root, third), 'wb') as f:
        f.write(bomb_png(30000, 30000))
    with pytest.raises(
            ImageTooLargeError,
            match=r'database.txt:3: image '
            f".*{third}: {LIMIT} \\(HashListDataset's max_pixels"):
        run_in_process('encode.py', config, checkpoint, '--list',
                       osp.join(root, 'database.txt'), '--out',
                       str(tmp_path / 'codes.npz'), '--work-dir',
                       str(tmp_path / 'work'))
    assert not osp.exists(tmp_path / 'codes.npz')


def test_max_pixels_is_set_on_the_command_line(tmp_path,
                                               model_files):  # noqa: F811
    """--max-pixels reaches the loader of encode.py (the dataset) and of
    search.py (the inferencer); 0 lifts the limit."""
    config, checkpoint, root = model_files
    database = osp.join(root, 'database.txt')
    with pytest.raises(
            ImageTooLargeError,
            match=r'more than the limit of '
            r"10 \(HashListDataset's max_pixels"):
        run_in_process('encode.py', config, checkpoint, '--list', database,
                       '--out', str(tmp_path / 'codes.npz'), '--work-dir',
                       str(tmp_path / 'work'), '--max-pixels', '10')
    run_in_process('encode.py', config, checkpoint, '--list', database,
                   '--out', str(tmp_path / 'codes.npz'), '--work-dir',
                   str(tmp_path / 'work'), '--max-pixels', '0')
    assert osp.isfile(tmp_path / 'codes.npz')
    with open(database) as f:
        query = osp.join(root, f.readline().split()[0])
    index = HammingIndex(16)
    index.add(np.random.default_rng(0).integers(0, 256, (5, 2), np.uint8))
    index.save(str(tmp_path / 'db.index'))
    with pytest.raises(
            ImageTooLargeError,
            match=r'more than the limit of '
            r"10 \(HashInferencer's max_pixels"):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'db.index'), '--query', query,
                       '--device', 'cpu', '--max-pixels', '10')
    with pytest.raises(SystemExit):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'db.index'), '--query', query,
                       '--max-pixels', '-1')
