"""tools/encode.py -> build_index -> tools/search.py on tiny made images,
checked against the model's codes and a brute-force Hamming search."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmpretrain.apis import get_model
from PIL import Image

from hashnet_mm.apis import HashInferencer
from hashnet_mm.search import CodesFile, HammingIndex, pack_codes
from hashnet_mm.search.build_index import main as build_index
from hashnet_mm.utils.checkpoint import CheckpointError

from ..test_search.reference import (popcount_distances, reference_radius,
                                     reference_topk)
from ..tool_modules import load_tool
from ..torchrun import run_two_processes
from .test_train_test import run_tool, write_config


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


def listed_paths(root, split):
    with open(osp.join(root, f'{split}.txt')) as f:
        return [osp.join(root, line.split()[0]) for line in f if line.strip()]


def run_in_process(tool, *args):
    """Run a tool's main in this process (faster than a new interpreter)."""
    load_tool(tool).main(list(args))


def test_encode_index_search(tmp_path, model_files, capsys):
    config, checkpoint, root = model_files
    codes_file = str(tmp_path / 'database.npz')
    run_tool('tools/encode.py', config, checkpoint, '--list',
             osp.join(root, 'database.txt'), '--out', codes_file,
             '--work-dir', str(tmp_path / 'work'))
    encoded = CodesFile.load(codes_file)
    database = listed_paths(root, 'database')
    inferencer = HashInferencer(config, checkpoint, 'cpu')
    assert encoded.num_bits == inferencer.num_bits == 16
    assert encoded.paths == database
    np.testing.assert_array_equal(encoded.ids, np.arange(len(database)))
    # The Runner's batched test loop and the plain encoder agree.
    np.testing.assert_array_equal(
        encoded.codes, inferencer(database, batch_size=7, packed=True)['codes'])

    index_file = str(tmp_path / 'database.index')
    build_index([codes_file, '--out', index_file])
    queries = listed_paths(root, 'query')[:3]
    distances = popcount_distances(inferencer(queries, packed=True)['codes'],
                                   encoded.codes)

    results_file, sheet = str(tmp_path / 'hits.json'), str(tmp_path / 's.png')
    run_tool('tools/search.py', config, checkpoint, index_file, '--query',
             *queries, '--topk', '5', '--out', results_file,
             '--contact-sheet', sheet, '--device', 'cpu')
    with open(results_file) as f:
        results = json.load(f)
    positions, expected = reference_topk(distances, 5)
    assert [r['query'] for r in results] == queries
    for result, rows, hamming in zip(results, positions, expected):
        assert result['neighbours'] == [
            dict(rank=rank, id=int(i), distance=int(d), path=database[i])
            for rank, (i, d) in enumerate(zip(rows, hamming), 1)
        ]
    with Image.open(sheet) as image:  # 3 rows of query + 5 results
        assert image.size == (6 + 6 * (96 + 6), 6 + 3 * (96 + 14 + 6))

    capsys.readouterr()
    run_in_process('search.py', config, checkpoint,
                   index_file, '--query', *queries, '--radius', '6')
    printed = json.loads(capsys.readouterr().out)
    assert sum(len(result['neighbours']) for result in printed) > 3
    for result, rows, row in zip(printed, reference_radius(distances, 6),
                                 distances):
        assert [(n['id'], n['distance']) for n in result['neighbours']] == [
            (int(i), int(row[i])) for i in rows
        ]


def test_encode_with_two_processes_equals_one_process(tmp_path, model_files):
    """torchrun, 2 CPU processes (gloo): every image once, in list order,
    with the codes of one process, also when the count is odd (DefaultSampler
    pads rank 1 with a duplicate, which the gathering drops)."""
    config, checkpoint, root = model_files
    database = listed_paths(root, 'database')[:31]
    list_file = tmp_path / 'odd.txt'
    list_file.write_text(''.join(p + '\n' for p in database))
    codes_file = tmp_path / 'two.npz'
    run_two_processes(
        osp.join('..', 'tools', 'encode.py'), config, checkpoint, '--list',
        list_file, '--out', codes_file, '--batch-size', '4', '--launcher',
        'pytorch', '--work-dir', tmp_path / 'work', cwd=tmp_path)
    encoded = CodesFile.load(str(codes_file))
    inferencer = HashInferencer(config, checkpoint, 'cpu')
    assert encoded.paths == database
    np.testing.assert_array_equal(encoded.ids, np.arange(31))
    np.testing.assert_array_equal(
        encoded.codes, inferencer(database, packed=True)['codes'])


def test_encode_a_folder_and_a_plain_path_list(tmp_path, model_files):
    config, checkpoint, root = model_files
    images = sorted(glob.glob(osp.join(root, 'images', '*.png')))
    run_in_process('encode.py', config, checkpoint,
                   '--dir', osp.join(root, 'images'), '--out',
                   str(tmp_path / 'dir.npz'), '--batch-size', '10',
                   '--work-dir', str(tmp_path / 'work'))
    from_dir = CodesFile.load(str(tmp_path / 'dir.npz'))
    assert from_dir.paths == images

    plain_list = tmp_path / 'plain.txt'
    plain_list.write_text('\n'.join(
        osp.relpath(p, root) for p in images[::-5]) + '\n')
    run_in_process('encode.py', config, checkpoint,
                   '--list', str(plain_list), '--data-root', root, '--out',
                   str(tmp_path / 'plain.npz'), '--work-dir',
                   str(tmp_path / 'work'))
    from_list = CodesFile.load(str(tmp_path / 'plain.npz'))
    assert from_list.paths == images[::-5]
    np.testing.assert_array_equal(from_list.codes, from_dir.codes[::-5])


def test_checkpoint_of_another_code_length_is_an_error(tmp_path, model_files):
    config, checkpoint, root = model_files
    wider = Config.fromfile(config)
    wider.merge_from_dict({'model.head.num_bits': 32})
    shapes = r'head.fch.weight: checkpoint \(16, \d+\), model \(32, \d+\)'
    with pytest.raises(CheckpointError, match=shapes):
        HashInferencer(wider, checkpoint, 'cpu')
    with pytest.raises(CheckpointError, match=shapes):
        run_in_process('encode.py', config, checkpoint,
                       '--list', osp.join(root, 'query.txt'), '--out',
                       str(tmp_path / 'codes.npz'), '--work-dir',
                       str(tmp_path / 'work'), '--cfg-options',
                       'model.head.num_bits=32')
    assert not (tmp_path / 'codes.npz').exists()


def test_search_refuses_an_index_of_another_code_length(
        tmp_path, model_files):
    config, checkpoint, root = model_files
    index = HammingIndex(32)
    index.add(pack_codes(np.ones((3, 32))))
    index.save(str(tmp_path / 'wide.index'))
    query = listed_paths(root, 'query')[0]
    with pytest.raises(ValueError, match='model makes 16-bit codes but .*'
                       'wide.index holds 32-bit codes'):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'wide.index'), '--query', query)
    with pytest.raises(FileNotFoundError, match='missing.png'):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'wide.index'), '--query',
                       str(tmp_path / 'missing.png'))
