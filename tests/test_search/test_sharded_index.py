"""Exact top-k on multi-index hashing, indexes over shards (one streamed
index, or one per shard merged at search time) and the merge itself,
against a brute-force popcount search (ties by distance, then id)."""
import os

import numpy as np
import pytest

from hashnet_mm.search import CodesFile, HammingIndex, Manifest, pack_codes
from hashnet_mm.search.build_index import main as build_index
from hashnet_mm.search.hamming_index import Neighbours
from hashnet_mm.search.sharded_index import (ShardedIndex, load_index,
                                             merge_topk)
from hashnet_mm.search.shards import shard_bounds, write_shard
from .reference import (clustered_codes, popcount_distances, reference_radius,
                        reference_topk)
from .test_hamming_index import make_data

EXACT_HASH = {
    '4-tables-of-16': dict(hash_bits=16, num_tables=4),
    '3-tables-of-10': dict(hash_bits=10, num_tables=3),  # 34 bits unseen
    '1-table-of-8': dict(hash_bits=8, num_tables=1),
    '8-tables-of-8': dict(hash_bits=8, num_tables=8),
}


@pytest.mark.parametrize('setting', EXACT_HASH.values(), ids=EXACT_HASH)
@pytest.mark.parametrize('k', [1, 10, 40, 320, 400])
def test_multi_index_hashing_top_k_is_exact(setting, k):
    """Ties at the k-th distance (clusters of near copies) are broken by
    insertion order, as a stable brute-force sort breaks them; k > n gives
    every item then -1."""
    queries, codes = make_data()
    index = HammingIndex(64, 'hash', **setting)
    assert index.nflip is None and index.exact_topk
    ids = np.random.default_rng(2).permutation(5 * len(codes))[:len(codes)]
    index.add(codes, ids)
    distances = popcount_distances(queries, codes)
    positions, expected = reference_topk(distances, k)
    found = index.search(queries, k)
    width = min(k, len(codes))
    np.testing.assert_array_equal(found.distances[:, :width], expected)
    np.testing.assert_array_equal(found.ids[:, :width], ids[positions])
    assert (found.ids[:, width:] == -1).all()


def test_multi_index_hashing_top_k_of_far_queries():
    """Queries far from every code (the radius passes the tables' bits):
    the stored codes are scanned, still exact."""
    rng = np.random.default_rng(5)
    codes = pack_codes(rng.choice([-1, 1], (50, 16)))
    queries = pack_codes(-np.ones((3, 16)))
    index = HammingIndex(16, 'hash', hash_bits=4, num_tables=4)
    index.add(codes)
    positions, expected = reference_topk(
        popcount_distances(queries, codes), 50)
    found = index.search(queries, 50)
    np.testing.assert_array_equal(found.distances, expected)
    np.testing.assert_array_equal(found.ids, positions)


def test_an_integer_nflip_is_the_approximate_search():
    queries, codes = make_data()
    index = HammingIndex(64, 'hash', nflip=0)
    index.add(codes)
    assert not index.exact_topk
    index.nflip = None
    assert index.exact_topk
    np.testing.assert_array_equal(
        index.search(queries, 5).distances,
        reference_topk(popcount_distances(queries, codes), 5)[1])


def test_merge_topk_breaks_ties_by_id_and_pads():
    first = Neighbours(np.array([[7, 3, -1]]), np.array([[1, 2, -1]]), None)
    second = Neighbours(np.array([[2, 9]]), np.array([[2, 2]]), None)
    merged = merge_topk([first, second], 3)
    assert merged.ids.tolist() == [[7, 2, 3]]
    assert merged.distances.tolist() == [[1, 2, 2]]
    merged = merge_topk([first, second], 6)
    assert merged.ids.tolist() == [[7, 2, 3, 9, -1, -1]]
    assert merged.distances.tolist() == [[1, 2, 2, 2, -1, -1]]


def split(codes, sizes):
    """Consecutive parts of these sizes (0 allowed)."""
    edges = np.cumsum([0] + list(sizes))
    return [(np.arange(a, b), codes[a:b])
            for a, b in zip(edges[:-1], edges[1:])]


PART_SETTINGS = {
    'flat': dict(kind='flat'),
    'hash': dict(kind='hash', hash_bits=16, num_tables=4),
    'ivf-all-lists': dict(kind='ivf', nlist=8, nprobe=8),
}


@pytest.mark.parametrize('setting', PART_SETTINGS.values(), ids=PART_SETTINGS)
@pytest.mark.parametrize('k', [1, 7, 40, 100, 400])
def test_sharded_search_equals_brute_force(setting, k):
    """Parts of 100, 0 (empty), 117 and 103 items; ties at the k-th
    distance; the merged top-k is the brute-force one (for IVF scanning
    every list: the distances; it may pick other items among ties)."""
    queries, codes = make_data(seed=k)
    labels = np.random.default_rng(k).random((len(codes), 3)) < 0.5
    trained = HammingIndex(64, **setting)
    if setting['kind'] == 'ivf':
        trained.train(codes)
    parts = []
    for ids, part in split(codes, [100, 0, 117, 103]):
        index = trained.empty_copy()
        index.add(part, ids, [f'{i}.png' for i in ids], labels[ids])
        parts.append(index)
    sharded = ShardedIndex(parts)
    assert len(sharded) == len(codes) and sharded.num_classes == 3
    distances = popcount_distances(queries, codes)
    positions, expected = reference_topk(distances, k)
    found = sharded.search(queries, k)
    width = min(k, len(codes))
    np.testing.assert_array_equal(found.distances[:, :width], expected)
    assert (found.ids[:, width:] == -1).all()
    if setting['kind'] != 'ivf':
        np.testing.assert_array_equal(found.ids[:, :width], positions)
        assert found.paths[0, 0] == f'{positions[0, 0]}.png'
        np.testing.assert_array_equal(found.labels[:, :width],
                                      labels[positions])
        flat = HammingIndex(64)
        flat.add(codes)
        np.testing.assert_array_equal(found.ids, flat.search(queries, k).ids)


@pytest.mark.parametrize('setting', PART_SETTINGS.values(), ids=PART_SETTINGS)
@pytest.mark.parametrize('radius', [0, 2, 9])
def test_sharded_radius_search_equals_brute_force(setting, radius):
    queries, codes = make_data(seed=radius)
    trained = HammingIndex(64, **setting)
    if setting['kind'] == 'ivf':
        trained.train(codes)
    parts = []
    for ids, part in split(codes, [0, 150, 170]):
        index = trained.empty_copy()
        index.add(part, ids)
        parts.append(index)
    distances = popcount_distances(queries, codes)
    found = ShardedIndex(parts).search_radius(queries, radius)
    for result, expected, row in zip(found,
                                     reference_radius(distances,
                                                      radius), distances):
        np.testing.assert_array_equal(result.ids, expected)
        np.testing.assert_array_equal(result.distances, row[expected])


def test_parts_of_another_kind_are_refused():
    with pytest.raises(ValueError, match='of one kind, code length'):
        ShardedIndex([HammingIndex(64), HammingIndex(32)])


def write_shards(folder, codes, shard_size, labels=None):
    """A shards folder as tools/encode.py --shards writes it."""
    plan = dict(images='test', shard_size=shard_size)
    entries = []
    for index, (first,
                stop) in enumerate(shard_bounds(len(codes), shard_size)):
        ids = np.arange(first, stop)
        entries.append(
            write_shard(
                folder, index,
                CodesFile(codes[first:stop], 64, ids,
                          [f'img/{i}.png' for i in ids],
                          None if labels is None else labels[first:stop],
                          '/data'), plan))
    Manifest.from_entries(folder, entries, len(codes), shard_size, '/data',
                          plan).save()


@pytest.mark.parametrize('kind, extra', [
    ('flat', []),
    ('hash', []),
    ('ivf', ['--nlist', '8', '--nprobe', '8', '--train-size', '100']),
])
@pytest.mark.parametrize('per_shard', [False, True])
def test_index_built_from_shards_equals_brute_force(tmp_path, kind, extra,
                                                    per_shard):
    rng = np.random.default_rng(0)
    _, codes = clustered_codes(rng, 8, 40, 64)
    codes = pack_codes(codes[rng.permutation(len(codes))])
    queries = codes[::37] ^ 3
    folder = str(tmp_path / 'shards')
    write_shards(folder, codes, 50)
    out = str(tmp_path / ('parts' if per_shard else 'db.index'))
    build_index([folder, '--out', out, '--kind', kind, *extra] +
                (['--per-shard'] if per_shard else []))
    index = load_index(out)
    assert isinstance(index, ShardedIndex if per_shard else HammingIndex)
    if per_shard:
        assert len(index.parts) == 7
        assert sorted(os.listdir(out)) == sorted(
            ['index.json'] + [f'index-{i:06d}.npz' for i in range(7)])
    assert index.image_root == '/data' and len(index) == 320
    distances = popcount_distances(queries, codes)
    for k in (1, 10, 100):
        positions, expected = reference_topk(distances, k)
        found = index.search(queries, k)
        np.testing.assert_array_equal(found.distances, expected)
        if kind != 'ivf':
            np.testing.assert_array_equal(found.ids, positions)
            assert found.paths[0, 0] == f'/data/img/{positions[0, 0]}.png'
    for result, expected in zip(
            index.search_radius(queries, 4), reference_radius(distances, 4)):
        np.testing.assert_array_equal(result.ids, expected)


def test_building_from_an_unfinished_encoding_is_an_error(tmp_path):
    folder = tmp_path / 'shards'
    folder.mkdir()
    (folder / 'shard-000000.npz').write_bytes(b'')
    with pytest.raises(FileNotFoundError, match='has not finished'):
        build_index([str(folder), '--out', str(tmp_path / 'x.index')])


def test_per_shard_needs_shards(tmp_path):
    with pytest.raises(SystemExit):
        build_index([str(tmp_path / 'codes.npz'), '--out', 'x', '--per-shard'])


def test_training_and_empty_copies():
    _, codes = make_data()
    with pytest.raises(ValueError, match="only 'ivf' indexes are trained"):
        HammingIndex(64).train(codes)
    ivf = HammingIndex(64, 'ivf', nlist=8, nprobe=8)
    with pytest.raises(ValueError, match='at least nlist=8 codes, got 4'):
        ivf.train(codes[:4])
    ivf.train(codes)
    with pytest.raises(ValueError, match='already trained'):
        ivf.train(codes)
    copy = ivf.empty_copy()
    assert copy.is_trained and len(copy) == 0
    copy.add(codes[:3])  # fewer codes than lists: it is trained already
    assert len(copy) == 3 and len(ivf) == 0
    with pytest.raises(ValueError, match="nflip is for 'hash' indexes"):
        ivf.nflip = 1


def test_image_root_and_exact_mode_survive_save_and_load(tmp_path):
    _, codes = make_data()
    index = HammingIndex(64, 'hash')
    index.image_root = '/data/images'
    index.add(codes)
    index.save(str(tmp_path / 'h.index'))
    loaded = HammingIndex.load(str(tmp_path / 'h.index'))
    assert loaded.image_root == '/data/images'
    assert loaded.nflip is None and loaded.exact_topk


def test_results_give_paths_under_the_image_root():
    """Stored paths are relative to the recorded root; results put them
    under ``image_root`` (changed when the images moved); absolute stored
    paths stay as they are."""
    codes = pack_codes(np.where(np.eye(3, 8) > 0, 1, -1))
    parts = []
    for ids, paths in (([0, 1], ['a/0.png',
                                 '/elsewhere/1.png']), ([2], ['b/2.png'])):
        part = HammingIndex(8)
        part.image_root = '/data'
        part.add(codes[ids], ids, paths)
        parts.append(part)
    sharded = ShardedIndex(parts)
    assert sharded.search(codes[:1], 3).paths.tolist() == [[
        '/data/a/0.png', '/elsewhere/1.png', '/data/b/2.png'
    ]]
    sharded.image_root = '/moved'
    assert parts[1].image_root == '/moved'
    (found, ) = sharded.search_radius(codes[2:], 8)
    assert found.paths.tolist() == [
        '/moved/b/2.png', '/moved/a/0.png', '/elsewhere/1.png'
    ]
