"""tools/search.py: a query folder, images that moved after encoding
(--image-root), query-time knobs, and a per-shard index searched like one
index."""
import json
import os
import os.path as osp
import shutil

import pytest

from hashnet_mm.search import HammingIndex
from hashnet_mm.search.build_index import main as build_index
from ..tool_modules import load_tool
from .test_encode_search import listed_paths, run_in_process


def search_json(capsys, *args):
    capsys.readouterr()
    run_in_process('search.py', *args, '--json', '--device', 'cpu')
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def flat_index(tmp_path, model_files):  # noqa: F811
    config, checkpoint, root = model_files
    codes = str(tmp_path / 'database.npz')
    run_in_process('encode.py', config, checkpoint, '--list',
                   osp.join(root, 'database.txt'), '--out', codes,
                   '--work-dir', str(tmp_path / 'work'))
    index = str(tmp_path / 'database.index')
    build_index([codes, '--out', index])
    return index


def test_a_query_folder_means_its_images(tmp_path, model_files, flat_index,
                                         capsys):  # noqa: F811
    config, checkpoint, root = model_files
    folder = tmp_path / 'queries'
    (folder / 'more').mkdir(parents=True)
    images = listed_paths(root, 'query')[:3]
    copies = [
        str(folder / 'a.png'),
        str(folder / 'more' / 'b.PNG'),
        str(folder / 'c.png')
    ]
    for source, target in zip(images, copies):
        shutil.copy(source, target)
    (folder / 'readme.txt').write_text('not an image')
    by_folder = search_json(capsys, config, checkpoint, flat_index, '--query',
                            str(folder), '--topk', '3')
    assert [r['query'] for r in by_folder] == sorted(copies)
    by_file = search_json(capsys, config, checkpoint, flat_index, '--query',
                          *sorted(copies), '--topk', '3')
    assert by_folder == by_file

    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(
            FileNotFoundError, match=f'query folder {empty} holds no images'):
        run_in_process('search.py', config, checkpoint, flat_index, '--query',
                       str(empty))


def test_images_that_moved_are_found_under_image_root(tmp_path, model_files,
                                                      flat_index,
                                                      capsys):  # noqa: F811
    """Paths are stored relative to the recorded image root; after the
    images move, the contact sheet names the missing image and --image-root
    finds them."""
    config, checkpoint, root = model_files
    assert HammingIndex.load(flat_index).image_root == root
    moved = str(tmp_path / 'moved')
    os.makedirs(moved)
    shutil.move(osp.join(root, 'images'), osp.join(moved, 'images'))
    query = osp.join(moved, 'images', '00000.png')
    sheet = str(tmp_path / 'sheet.png')
    with pytest.raises(FileNotFoundError) as error:
        run_in_process('search.py', config, checkpoint, flat_index, '--query',
                       query, '--topk', '2', '--contact-sheet', sheet,
                       '--device', 'cpu')
    message = str(error.value)
    assert message.startswith(f'image not found: {root}/images/')
    assert f'under the image root {root} recorded in {flat_index}' in message
    assert '--image-root' in message
    assert not osp.exists(sheet)

    found = search_json(capsys, config, checkpoint, flat_index, '--query',
                        query, '--topk', '2', '--contact-sheet', sheet,
                        '--image-root', moved)
    assert osp.isfile(sheet)
    paths = [n['path'] for n in found[0]['neighbours']]
    assert all(p.startswith(moved + os.sep) and osp.isfile(p) for p in paths)


def test_query_time_knobs(tmp_path, model_files, flat_index,
                          capsys):  # noqa: F811
    config, checkpoint, root = model_files
    query = listed_paths(root, 'query')[0]
    with pytest.raises(ValueError, match='--nprobe is for ivf indexes'):
        run_in_process('search.py', config, checkpoint, flat_index, '--query',
                       query, '--nprobe', '4')
    hash_index = str(tmp_path / 'hash.index')
    build_index([
        str(tmp_path / 'database.npz'), '--out', hash_index, '--kind', 'hash',
        '--nflip', '0'
    ])
    exact = search_json(capsys, config, checkpoint, hash_index, '--query',
                        query, '--topk', '10')
    flat = search_json(capsys, config, checkpoint, flat_index, '--query',
                       query, '--topk', '10')
    # The index was built approximate (--nflip 0); search is exact
    # unless --nflip is given again.
    assert exact == flat
    approximate = search_json(capsys, config, checkpoint, hash_index,
                              '--query', query, '--topk', '10', '--nflip', '0')
    distances = [n['distance'] for n in approximate[0]['neighbours']]
    assert distances == sorted(distances)


def test_a_per_shard_index_searches_like_one_index(tmp_path, model_files,
                                                   flat_index,
                                                   capsys):  # noqa: F811
    config, checkpoint, root = model_files
    shards = str(tmp_path / 'shards')
    run_in_process('encode.py', config, checkpoint, '--list',
                   osp.join(root, 'database.txt'), '--shards', shards,
                   '--shard-size', '6', '--work-dir', str(tmp_path / 'work'))
    parts = str(tmp_path / 'parts')
    build_index([shards, '--out', parts, '--per-shard', '--kind', 'hash'])
    queries = listed_paths(root, 'query')
    for scope in (['--topk', '9'], ['--radius', '5']):
        assert search_json(capsys, config, checkpoint, parts, '--query',
                           *queries, *scope) == \
            search_json(capsys, config, checkpoint, flat_index, '--query',
                        *queries, *scope)
    one = search_json(capsys, config, checkpoint, parts, '--query', *queries,
                      '--topk', '32')
    assert all(
        sorted(n['id'] for n in r['neighbours']) == list(range(32))
        for r in one)


@pytest.mark.parametrize('tool', ['search.py', 'build_index.py'])
def test_help_states_which_top_k_is_exact(tool, capsys):
    with pytest.raises(SystemExit):
        load_tool(tool).parse_args(['--help'])
    text = ' '.join(capsys.readouterr().out.split())
    assert 'flat: exact top-k' in text
    assert 'exact top-k (the radius grows until k are found; --nflip N ' \
        'makes top-k approximate' in text
    assert 'ivf: approximate search' in text
    assert 'exact distances when --nprobe equals --nlist' in text
