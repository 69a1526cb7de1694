"""tools/encode.py -> tools/build_index.py -> tools/search.py on tiny made
images, checked against the model's codes, a brute-force Hamming search and
the list files' labels (right / wrong marks, contact sheet frames)."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from hashnet_mm.apis import HashInferencer
from hashnet_mm.search import CodesFile, HammingIndex, pack_codes
from hashnet_mm.search.build_index import main as build_index
from hashnet_mm.search.contact_sheet import (QUERY_FRAME, RIGHT_FRAME,
                                             WRONG_FRAME)
from hashnet_mm.utils.checkpoint import CheckpointError
from ..test_search.reference import (popcount_distances, reference_radius,
                                     reference_topk)
from ..tool_modules import load_tool
from ..torchrun import run_two_processes
from .test_train_test import run_tool


def listed_paths(root, split):
    with open(osp.join(root, f'{split}.txt')) as f:
        return [osp.join(root, line.split()[0]) for line in f if line.strip()]


def listed_labels(root, split):
    """(n, C) bool labels of a multi-hot list file."""
    with open(osp.join(root, f'{split}.txt')) as f:
        return np.array([[t == '1' for t in line.split()[1:]] for line in f
                         if line.strip()])


def frame_colour(sheet, row, column, tile=96, gap=6, label_height=14):
    """The colour of a contact sheet cell's frame: the same on its four
    sides, else an AssertionError."""
    left = gap + column * (tile + gap)
    top = gap + row * (tile + label_height + gap)
    colours = {
        sheet.convert('RGB').getpixel(xy)
        for xy in [(left - 2,
                    top + tile // 2), (
                        left + tile + 1,
                        top + tile // 2), (left + tile // 2, top -
                                           2), (left + tile - 1,
                                                top + tile + 1)]
    }
    assert len(colours) == 1, colours
    return colours.pop()


def stored_images(codes):
    """The image files of a codes file: its paths under its image root."""
    return [osp.join(codes.image_root, path) for path in codes.paths]


def run_in_process(tool, *args):
    """Run a tool's main in this process (faster than a new interpreter)."""
    load_tool(tool).main(list(args))


@pytest.mark.slow
def test_encode_index_search(tmp_path, model_files, capsys):
    config, checkpoint, root = model_files
    codes_file = str(tmp_path / 'database.npz')
    run_tool('tools/encode.py', config, checkpoint, '--list',
             osp.join(root, 'database.txt'), '--out', codes_file, '--work-dir',
             str(tmp_path / 'work'))
    encoded = CodesFile.load(codes_file)
    database = listed_paths(root, 'database')
    inferencer = HashInferencer(config, checkpoint, 'cpu')
    assert encoded.num_bits == inferencer.num_bits == 16
    # Paths relative to the image root (the list's folder), recorded.
    assert encoded.image_root == root
    assert stored_images(encoded) == database
    np.testing.assert_array_equal(encoded.ids, np.arange(len(database)))
    assert encoded.labels.dtype == bool
    np.testing.assert_array_equal(encoded.labels,
                                  listed_labels(root, 'database'))
    # The Runner's batched test loop and the plain encoder agree.
    np.testing.assert_array_equal(
        encoded.codes,
        inferencer(database, batch_size=7, packed=True)['codes'])

    index_file = str(tmp_path / 'database.index')
    build_index([codes_file, '--out', index_file])
    queries = listed_paths(root, 'query')[:3]
    distances = popcount_distances(
        inferencer(queries, packed=True)['codes'], encoded.codes)

    results_file, sheet = str(tmp_path / 'hits.json'), str(tmp_path / 's.png')
    run_tool('tools/search.py', config, checkpoint, index_file, '--query',
             *queries, '--topk', '5', '--out', results_file, '--contact-sheet',
             sheet, '--device', 'cpu')
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
        # Queries without labels: their results are not framed.
        assert [frame_colour(image, 0, column) for column in range(6)] == \
            [QUERY_FRAME] + [(255, 255, 255)] * 5

    capsys.readouterr()
    run_in_process('search.py', config, checkpoint, index_file, '--query',
                   *queries, '--radius', '6', '--json')
    printed = json.loads(capsys.readouterr().out)
    assert sum(len(result['neighbours']) for result in printed) > 3
    for result, rows, row in zip(printed, reference_radius(distances, 6),
                                 distances):
        assert [(n['id'], n['distance']) for n in result['neighbours']
                ] == [(int(i), int(row[i])) for i in rows]


@pytest.mark.slow
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
        osp.join('..', 'tools', 'encode.py'),
        config,
        checkpoint,
        '--list',
        list_file,
        '--out',
        codes_file,
        '--batch-size',
        '4',
        '--launcher',
        'pytorch',
        '--work-dir',
        tmp_path / 'work',
        cwd=tmp_path)
    encoded = CodesFile.load(str(codes_file))
    inferencer = HashInferencer(config, checkpoint, 'cpu')
    assert stored_images(encoded) == database
    np.testing.assert_array_equal(encoded.ids, np.arange(31))
    np.testing.assert_array_equal(encoded.codes,
                                  inferencer(database, packed=True)['codes'])


@pytest.mark.slow
def test_encode_a_folder_and_a_plain_path_list(tmp_path, model_files, capsys):
    config, checkpoint, root = model_files
    images = sorted(glob.glob(osp.join(root, 'images', '*.png')))
    run_in_process('encode.py', config, checkpoint, '--dir',
                   osp.join(root,
                            'images'), '--out', str(tmp_path / 'dir.npz'),
                   '--batch-size', '10', '--work-dir', str(tmp_path / 'work'))
    from_dir = CodesFile.load(str(tmp_path / 'dir.npz'))
    assert from_dir.image_root == osp.join(root, 'images')
    assert from_dir.paths == [osp.basename(p) for p in images]

    plain_list = tmp_path / 'plain.txt'
    plain_list.write_text('\n'.join(
        osp.relpath(p, root) for p in images[::-5]) + '\n')
    run_in_process('encode.py', config, checkpoint, '--list',
                   str(plain_list), '--data-root', root, '--out',
                   str(tmp_path / 'plain.npz'), '--work-dir',
                   str(tmp_path / 'work'))
    from_list = CodesFile.load(str(tmp_path / 'plain.npz'))
    assert stored_images(from_list) == images[::-5]
    np.testing.assert_array_equal(from_list.codes, from_dir.codes[::-5])
    assert from_dir.labels is None and from_list.labels is None

    # An index without labels and a labelled query list: a note, no marks.
    build_index(
        [str(tmp_path / 'dir.npz'), '--out',
         str(tmp_path / 'dir.index')])
    capsys.readouterr()
    run_in_process('search.py', config, checkpoint,
                   str(tmp_path / 'dir.index'), '--query-list',
                   osp.join(root, 'query.txt'), '--topk', '2', '--json',
                   '--device', 'cpu')
    out, err = capsys.readouterr()
    assert 'dir.index holds no labels' in err
    printed = json.loads(out)
    assert [r['query'] for r in printed] == listed_paths(root, 'query')
    assert all(r['labels'] and 'right' not in n for r in printed
               for n in r['neighbours'])


def test_checkpoint_of_another_code_length_is_an_error(tmp_path, model_files):
    config, checkpoint, root = model_files
    wider = Config.fromfile(config)
    wider.merge_from_dict({'model.head.num_bits': 32})
    shapes = r'head.fch.weight: checkpoint \(16, \d+\), model \(32, \d+\)'
    with pytest.raises(CheckpointError, match=shapes):
        HashInferencer(wider, checkpoint, 'cpu')
    with pytest.raises(CheckpointError, match=shapes):
        run_in_process('encode.py', config, checkpoint, '--list',
                       osp.join(root, 'query.txt'), '--out',
                       str(tmp_path / 'codes.npz'), '--work-dir',
                       str(tmp_path / 'work'), '--cfg-options',
                       'model.head.num_bits=32')
    assert not (tmp_path / 'codes.npz').exists()


def test_search_refuses_an_index_of_another_code_length(tmp_path, model_files):
    config, checkpoint, root = model_files
    index = HammingIndex(32)
    index.add(pack_codes(np.ones((3, 32))))
    index.save(str(tmp_path / 'wide.index'))
    query = listed_paths(root, 'query')[0]
    with pytest.raises(
            ValueError,
            match='model makes 16-bit codes but .*'
            'wide.index holds 32-bit codes'):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'wide.index'), '--query', query)
    with pytest.raises(FileNotFoundError, match='missing.png'):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'wide.index'), '--query',
                       str(tmp_path / 'missing.png'))


@pytest.mark.slow
def test_query_list_marks_each_neighbour_right_or_wrong(
        tmp_path, model_files, capsys):
    """Labels travel list -> codes file -> index -> search: with a labelled
    query list each neighbour is right (shares a label with the query) or
    wrong, in the JSON, the table and the contact sheet's frames."""
    config, checkpoint, root = model_files
    codes_file = str(tmp_path / 'database.npz')
    run_in_process('encode.py', config, checkpoint, '--list',
                   osp.join(root, 'database.txt'), '--out', codes_file,
                   '--work-dir', str(tmp_path / 'work'))
    index_file = str(tmp_path / 'database.index')
    capsys.readouterr()
    run_in_process('build_index.py', codes_file, '--out', index_file)
    assert 'with labels of 4 classes' in capsys.readouterr().out
    index = HammingIndex.load(index_file)
    assert index.num_classes == 4
    database, database_labels = (listed_paths(root, 'database'),
                                 listed_labels(root, 'database'))
    queries, query_labels = (listed_paths(root, 'query'),
                             listed_labels(root, 'query'))
    encoded = CodesFile.load(codes_file)
    distances = popcount_distances(
        HashInferencer(config, checkpoint,
                       'cpu')(queries, packed=True)['codes'], encoded.codes)
    positions, hamming = reference_topk(distances, 6)
    right = (database_labels[positions] & query_labels[:, None]).any(-1)
    assert right.any() and not right.all()

    sheet = str(tmp_path / 'sheet.png')
    search = (config, checkpoint, index_file, '--query-list',
              osp.join(root, 'query.txt'), '--topk', '6', '--device', 'cpu')
    run_in_process('search.py', *search, '--json', '--contact-sheet', sheet)
    printed = json.loads(capsys.readouterr().out)
    assert [r['query'] for r in printed] == queries
    for result, labels, rows, dists, marks in zip(printed, query_labels,
                                                  positions, hamming, right):
        assert result['labels'] == np.flatnonzero(labels).tolist()
        assert result['neighbours'] == [
            dict(
                rank=rank,
                id=int(i),
                distance=int(d),
                path=database[i],
                right=bool(mark))
            for rank, (i, d, mark) in enumerate(zip(rows, dists, marks), 1)
        ]
    with Image.open(sheet) as image:
        assert image.size == (6 + 7 * (96 + 6), 6 + 8 * (96 + 14 + 6))
        for row, marks in enumerate(right):
            assert [
                frame_colour(image, row, column) for column in range(7)
            ] == [QUERY_FRAME
                  ] + [RIGHT_FRAME if mark else WRONG_FRAME for mark in marks]

    # The default output: a table per query, with the marks.
    run_in_process('search.py', *search)
    blocks = capsys.readouterr().out.strip().split('\n\n')
    assert len(blocks) == len(queries)
    for number, (block, result) in enumerate(zip(blocks, printed), 1):
        head, columns, *rows = block.splitlines()
        count = sum(n['right'] for n in result['neighbours'])
        assert head == (f"query {number}/8: {result['query']}  labels: "
                        f"{' '.join(map(str, result['labels']))}  right: "
                        f'{count}/6')
        assert columns.split() == ['rank', 'id', 'distance', 'mark', 'path']
        assert [row.split() for row in rows] == [[
            str(n['rank']),
            str(n['id']),
            str(n['distance']), 'right' if n['right'] else 'wrong', n['path']
        ] for n in result['neighbours']]

    # Queries by path have no labels: no marks, in the table or the JSON.
    run_in_process('search.py', config, checkpoint, index_file, '--query',
                   queries[0], '--topk', '3', '--device', 'cpu')
    head, columns, *rows = capsys.readouterr().out.strip().splitlines()
    assert head == f'query 1/1: {queries[0]}'
    assert columns.split() == ['rank', 'id', 'distance', 'path']
    assert [row.split()[:3] for row in rows] == [[
        str(rank), str(i), str(d)
    ] for rank, (i, d) in enumerate(zip(positions[0][:3], hamming[0]), 1)]
    run_in_process('search.py', config, checkpoint, index_file, '--query',
                   queries[0], '--topk', '3', '--format', 'json', '--device',
                   'cpu')
    (only, ) = json.loads(capsys.readouterr().out)
    assert 'labels' not in only
    assert all('right' not in n for n in only['neighbours'])


def test_search_table_says_when_a_query_has_no_neighbours(
        tmp_path, model_files, capsys):
    config, checkpoint, root = model_files
    index = HammingIndex(16)
    index.save(str(tmp_path / 'empty.index'))
    query = listed_paths(root, 'query')[0]
    run_in_process('search.py', config, checkpoint,
                   str(tmp_path / 'empty.index'), '--query', query, '--radius',
                   '3', '--device', 'cpu')
    assert capsys.readouterr().out.splitlines() == [
        f'query 1/1: {query}', '  (no neighbours within Hamming distance 3)'
    ]


@pytest.mark.parametrize('line, match', [
    ('images/00000.png 7', r'query.txt:1: class index 7 out of range for 4 '
     'classes'),
    ('images/00000.png 0 1 0', 'query.txt:1: 3 labels, but the dataset has '
     '4 classes'),
])
def test_query_labels_that_do_not_fit_the_index_are_an_error(
        tmp_path, model_files, line, match):
    config, checkpoint, root = model_files
    index = HammingIndex(16)
    index.add(pack_codes(np.ones((2, 16))), labels=np.eye(2, 4, dtype=bool))
    index.save(str(tmp_path / 'db.index'))
    (tmp_path / 'query.txt').write_text(line + '\n')
    with pytest.raises(ValueError, match=match):
        run_in_process('search.py', config, checkpoint,
                       str(tmp_path / 'db.index'), '--query-list',
                       str(tmp_path / 'query.txt'), '--data-root', root)
