"""HammingIndex against a brute-force popcount: top-k, radius, add, remove,
save / load, and bad input."""
import os
import sys

import numpy as np
import pytest

from hashnet_mm.search import HammingIndex, pack_codes
from hashnet_mm.search.hamming_index import INDEX_FORMAT
from hashnet_mm.search.storage import load_arrays, save_arrays
from .reference import (clustered_codes, popcount_distances, reference_radius,
                        reference_topk)

# Each index kind and parameters under which its radius search is exact.
EXACT_RADIUS = {
    'flat': dict(kind='flat'),
    'hash-1-table': dict(kind='hash', hash_bits=16, num_tables=1),
    'hash-4-tables': dict(kind='hash', hash_bits=16, num_tables=4),
    'hash-3-tables-of-10': dict(kind='hash', hash_bits=10, num_tables=3),
    'ivf-all-lists': dict(kind='ivf', nlist=8, nprobe=8),
}


def make_data(num_bits=64, seed=0, flip=0.05):
    """Packed (queries, database): 8 clusters of 40 noisy codes; queries
    are noisy copies of the centres, so distances tie a lot."""
    rng = np.random.default_rng(seed)
    centers, codes = clustered_codes(rng, 8, 40, num_bits, flip)
    queries = np.where(
        rng.random((12, num_bits)) < flip, -np.tile(centers, (2, 1))[:12],
        np.tile(centers, (2, 1))[:12])
    return pack_codes(queries), pack_codes(codes)


def assert_radius_equal(found, expected_positions, distances, ids):
    assert len(found) == len(expected_positions)
    for result, positions, row in zip(found, expected_positions, distances):
        np.testing.assert_array_equal(result.ids, ids[positions])
        np.testing.assert_array_equal(result.distances, row[positions])


@pytest.mark.parametrize('num_bits', [64, 12, 8])
@pytest.mark.parametrize('k', [1, 10, 320, 400])
def test_flat_topk_equals_brute_force(num_bits, k):
    queries, codes = make_data(num_bits)
    index = HammingIndex(num_bits)
    ids = np.random.default_rng(1).permutation(10 * len(codes))[:len(codes)]
    index.add(codes, ids)
    found = index.search(queries, k)
    distances = popcount_distances(queries, codes)
    positions, expected = reference_topk(distances, k)
    width = min(k, len(codes))
    np.testing.assert_array_equal(found.ids[:, :width], ids[positions])
    np.testing.assert_array_equal(found.distances[:, :width], expected)
    assert (found.ids[:, width:] == -1).all()
    assert (found.distances[:, width:] == -1).all()
    assert found.paths is None


@pytest.mark.parametrize('setting', EXACT_RADIUS.values(), ids=EXACT_RADIUS)
@pytest.mark.parametrize('radius', [0, 1, 2, 3, 5, 9])
def test_radius_search_equals_brute_force(setting, radius):
    queries, codes = make_data(seed=radius)
    index = HammingIndex(64, **setting)
    ids = index.add(codes)
    distances = popcount_distances(queries, codes)
    expected = reference_radius(distances, radius)
    assert sum(map(len, expected)) > 0 or radius == 0
    assert_radius_equal(
        index.search_radius(queries, radius), expected, distances, ids)


@pytest.mark.parametrize(
    'setting', [
        dict(kind='hash', hash_bits=8, num_tables=1, nflip=1),
        dict(kind='hash', hash_bits=4, num_tables=4, nflip=0),
        dict(kind='ivf', nlist=8, nprobe=2),
    ],
    ids=['hash', 'multi-hash', 'ivf'])
def test_approximate_topk_reports_true_distances_in_order(setting):
    queries, codes = make_data(16)
    index = HammingIndex(16, **setting)
    index.add(codes)
    found = index.search(queries, 15)
    distances = popcount_distances(queries, codes)
    for row, ids, hamming in zip(distances, found.ids, found.distances):
        valid = ids >= 0
        assert valid.any()
        np.testing.assert_array_equal(hamming[valid], row[ids[valid]])
        assert (np.diff(hamming[valid]) >= 0).all()
        assert len(set(ids[valid])) == valid.sum()


def test_ivf_scanning_every_list_finds_the_exact_distances():
    queries, codes = make_data()
    index = HammingIndex(64, 'ivf', nlist=8, nprobe=8)
    index.add(codes)
    _, expected = reference_topk(popcount_distances(queries, codes), 25)
    np.testing.assert_array_equal(
        index.search(queries, 25).distances, expected)
    index.nprobe = 1
    assert index.nprobe == index.params['nprobe'] == 1


@pytest.mark.parametrize('setting', EXACT_RADIUS.values(), ids=EXACT_RADIUS)
def test_add_then_remove_equals_brute_force_on_what_is_left(setting):
    queries, codes = make_data()
    index = HammingIndex(64, **setting)
    first = index.add(codes[:200])
    second = index.add(codes[200:])  # default ids continue after the first
    np.testing.assert_array_equal(first, np.arange(200))
    np.testing.assert_array_equal(second, np.arange(200, len(codes)))
    removed = np.random.default_rng(2).choice(len(codes), 90, replace=False)
    index.remove(removed)
    kept = np.setdiff1d(np.arange(len(codes)), removed)
    assert len(index) == len(kept)
    np.testing.assert_array_equal(index.ids, kept)
    distances = popcount_distances(queries, codes[kept])
    assert_radius_equal(
        index.search_radius(queries, 6), reference_radius(distances, 6),
        distances, kept)
    if setting['kind'] == 'flat':
        positions, expected = reference_topk(distances, 30)
        found = index.search(queries, 30)
        np.testing.assert_array_equal(found.ids, kept[positions])
        np.testing.assert_array_equal(found.distances, expected)


def test_remove_everything_then_add_again():
    queries, codes = make_data()
    index = HammingIndex(64)
    index.add(codes[:5], paths=[f'{i}.png' for i in range(5)])
    index.remove(np.arange(5))
    assert len(index) == 0
    assert (index.search(queries, 3).ids == -1).all()
    index.add(codes[:2], [7, 3])  # an empty index may drop its paths
    np.testing.assert_array_equal(index.search(codes[1:2], 1).ids, [[3]])


def test_paths_follow_their_items():
    queries, codes = make_data()
    paths = [f'images/{i:03d}.png' for i in range(len(codes))]
    index = HammingIndex(64)
    index.add(codes, np.arange(len(codes)) * 2, paths)
    index.remove([0, 2, 4])
    found = index.search(queries, 5)
    for ids, row_paths in zip(found.ids, found.paths):
        assert list(row_paths) == [paths[i // 2] for i in ids]
    for result in index.search_radius(queries, 4):
        assert list(result.paths) == [paths[i // 2] for i in result.ids]


def test_empty_index():
    queries, _ = make_data()
    for kind in ('flat', 'hash', 'ivf'):
        index = HammingIndex(64, kind)
        found = index.search(queries, 4)
        assert (found.ids == -1).all() and (found.distances == -1).all()
        assert all(len(r.ids) == 0 for r in index.search_radius(queries, 3))


@pytest.mark.parametrize('setting', EXACT_RADIUS.values(), ids=EXACT_RADIUS)
def test_save_load_round_trip(tmp_path, setting):
    queries, codes = make_data()
    index = HammingIndex(64, **setting)
    index.add(codes,
              np.arange(len(codes)) + 5,
              [f'ü/{i}.png' for i in range(len(codes))])
    index.remove([5, 6])
    path = str(tmp_path / 'db.index')
    index.save(path)
    assert os.listdir(tmp_path) == ['db.index']
    loaded = HammingIndex.load(path)
    assert (loaded.num_bits, loaded.kind, loaded.params) == (64, index.kind,
                                                             index.params)
    np.testing.assert_array_equal(loaded.ids, index.ids)
    for a, b in zip(loaded.search(queries, 20), index.search(queries, 20)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(
            loaded.search_radius(queries, 5), index.search_radius(queries, 5)):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    loaded.add(codes[:1], [1], ['new.png'])  # usable: IVF stays trained
    assert len(loaded) == len(index) + 1


def test_truncated_or_corrupt_index_file(tmp_path):
    _, codes = make_data()
    index = HammingIndex(64, 'hash')
    index.add(codes)
    path = str(tmp_path / 'db.index')
    index.save(path)
    data = open(path, 'rb').read()
    for size in (0, 100, len(data) // 2, len(data) - 1):
        with open(path, 'wb') as f:
            f.write(data[:size])
        with pytest.raises(ValueError, match='db.index: not a readable'):
            HammingIndex.load(path)
    corrupt = bytearray(data)
    corrupt[len(data) // 2] ^= 0xFF  # inside the FAISS index's bytes
    with open(path, 'wb') as f:
        f.write(corrupt)
    with pytest.raises(ValueError, match='db.index: '):
        HammingIndex.load(path)


def test_header_that_does_not_match_the_faiss_index(tmp_path):
    _, codes = make_data()
    index = HammingIndex(64)
    index.add(codes)
    path = str(tmp_path / 'db.index')
    index.save(path)
    meta, arrays = load_arrays(path, INDEX_FORMAT, ())
    meta.pop('format')
    save_arrays(path, INDEX_FORMAT, dict(meta, kind='ivf', params={}), arrays)
    with pytest.raises(
            ValueError, match='IndexBinaryFlat of 64 bits, not '
            "the 'ivf' index"):
        HammingIndex.load(path)
    save_arrays(path, INDEX_FORMAT, meta, dict(arrays, ids=arrays['ids'][1:]))
    with pytest.raises(ValueError, match='ids must be 320 integers'):
        HammingIndex.load(path)


def test_a_failed_save_keeps_the_old_index(tmp_path, monkeypatch):
    _, codes = make_data()
    index = HammingIndex(64)
    index.add(codes[:10])
    path = str(tmp_path / 'db.index')
    index.save(path)
    index.add(codes[10:20])

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, 'savez', crash)
    with pytest.raises(KeyboardInterrupt):
        index.save(path)
    monkeypatch.undo()
    assert len(HammingIndex.load(path)) == 10
    assert os.listdir(tmp_path) == ['db.index']


def test_codes_of_another_width_are_refused():
    queries, codes = make_data(64)
    narrow_queries, narrow = make_data(32)
    index = HammingIndex(64)
    match = '4 bytes wide .* 64-bit codes take 8 bytes'
    with pytest.raises(ValueError, match=match):
        index.add(narrow)
    index.add(codes)
    with pytest.raises(ValueError, match='queries are ' + match):
        index.search(narrow_queries, 3)
    with pytest.raises(ValueError, match='queries are ' + match):
        index.search_radius(narrow_queries, 3)
    with pytest.raises(ValueError, match='packed'):
        index.search(np.ones((2, 64), dtype=np.float32), 3)
    with pytest.raises(ValueError, match='bits set beyond bit 60'):
        HammingIndex(60).add(codes)


def test_bad_ids_and_paths():
    _, codes = make_data()
    index = HammingIndex(64)
    index.add(codes[:10], np.arange(10), [str(i) for i in range(10)])
    with pytest.raises(ValueError, match=r'already in the index: \[3\]'):
        index.add(codes[10:12], [3, 99], ['a', 'b'])
    with pytest.raises(ValueError, match=r'repeated: \[11\]'):
        index.add(codes[10:12], [11, 11], ['a', 'b'])
    with pytest.raises(ValueError, match='stores paths for all'):
        index.add(codes[10:12], [11, 12])
    with pytest.raises(ValueError, match='2 paths for 1 codes'):
        index.add(codes[10:11], [11], ['a', 'b'])
    with pytest.raises(KeyError, match=r'not in the index: \[10, 42\]'):
        index.remove([42, 3, 10])
    with pytest.raises(ValueError, match='integers'):
        index.remove([1.5])
    assert len(index) == 10  # nothing changed by the failed calls
    no_paths = HammingIndex(64)
    no_paths.add(codes[:2])
    with pytest.raises(ValueError, match='stores no paths'):
        no_paths.add(codes[2:3], paths=['x'])


@pytest.mark.parametrize('kwargs, match', [
    (dict(kind='lsh'), 'kind must be one of'),
    (dict(kind='hash', hash_bits=16, num_tables=5), 'do not fit'),
    (dict(kind='hash', hash_bits=0), 'hash_bits'),
    (dict(kind='hash', nflip=-1), 'nflip'),
    (dict(kind='ivf', nlist=0), 'nlist'),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HammingIndex(64, **kwargs)


def test_bad_search_arguments():
    queries, codes = make_data()
    index = HammingIndex(64)
    index.add(codes)
    with pytest.raises(ValueError, match='k must be'):
        index.search(queries, 0)
    with pytest.raises(ValueError, match='radius must be'):
        index.search_radius(queries, -1)
    with pytest.raises(ValueError, match='nprobe is for'):
        index.nprobe = 4


def test_ivf_needs_enough_codes_to_train():
    _, codes = make_data()
    index = HammingIndex(64, 'ivf', nlist=400)
    with pytest.raises(ValueError, match='at least nlist=400 codes, got 320'):
        index.add(codes)


@pytest.mark.parametrize('radius', [3, 4, 5, 8])
def test_multi_hash_radius_search_finds_flips_spread_over_all_tables(radius):
    # Codes at distance exactly `radius` from the query, their flips dealt
    # round-robin over the 4 tables (and some all in one table): only the
    # pigeonhole bound radius // 4 on the flips probed finds them all.
    rng = np.random.default_rng(radius)
    query = rng.choice([-1, 1], (1, 64))
    codes = np.repeat(query, 60, axis=0)
    for row in codes[:50]:
        tables = rng.permutation(4)
        bits = [16 * tables[i % 4] + rng.integers(16) for i in range(radius)]
        while len(set(bits)) < radius:
            bits = [
                16 * tables[i % 4] + rng.integers(16) for i in range(radius)
            ]
        row[bits] *= -1
    for row in codes[50:]:
        row[16 * rng.integers(4) + rng.choice(16, radius, replace=False)] *= -1
    index = HammingIndex(64, 'hash', hash_bits=16, num_tables=4)
    index.add(pack_codes(codes))
    (found, ) = index.search_radius(pack_codes(query), radius)
    np.testing.assert_array_equal(found.ids, np.arange(60))
    assert (found.distances == radius).all()
    (closer, ) = index.search_radius(pack_codes(query), radius - 1)
    assert len(closer.ids) == 0


def test_header_asking_for_too_much_memory_is_a_value_error(tmp_path):
    """A crafted header (valid checksum) whose IVF would need 2**40 lists:
    FAISS's bad_alloc surfaces as the documented ValueError."""
    from hashnet_mm.search.hamming_index import INDEX_FORMAT
    from hashnet_mm.search.storage import load_arrays, save_arrays
    index = HammingIndex(64)
    index.add(np.zeros((4, 8), dtype=np.uint8))
    path = str(tmp_path / 'db.index')
    index.save(path)
    meta, arrays = load_arrays(path, INDEX_FORMAT, ('ids', 'faiss'))
    meta.pop('format')
    save_arrays(path, INDEX_FORMAT,
                dict(meta, kind='ivf', params=dict(nlist=2**40, nprobe=1)),
                arrays)
    with pytest.raises(ValueError, match='db.index: MemoryError'):
        HammingIndex.load(path)


def make_labels(n, num_classes=6, seed=3):
    return np.random.default_rng(seed).random((n, num_classes)) < 0.3


@pytest.mark.parametrize('setting', EXACT_RADIUS.values(), ids=EXACT_RADIUS)
def test_labels_follow_their_items_through_remove_save_and_load(
        tmp_path, setting):
    queries, codes = make_data()
    labels = make_labels(len(codes))
    index = HammingIndex(64, **setting)
    index.add(codes[:200], np.arange(200) * 2, labels=labels[:200])
    index.add(
        codes[200:],
        np.arange(200, len(codes)) * 2,
        labels=labels[200:].astype(np.uint8))  # 0/1 integers too
    index.remove([0, 2, 4])
    path = str(tmp_path / 'db.index')
    index.save(path)
    loaded = HammingIndex.load(path)
    assert loaded.num_classes == index.num_classes == 6
    for each in (index, loaded):
        found = each.search(queries, 7)
        assert found.labels.shape == (len(queries), 7, 6)
        valid = found.ids >= 0
        np.testing.assert_array_equal(found.labels[valid],
                                      labels[found.ids[valid] // 2])
        assert not found.labels[~valid].any()
        for result in each.search_radius(queries, 5):
            np.testing.assert_array_equal(result.labels,
                                          labels[result.ids // 2])


def test_relevant_marks_results_sharing_a_label_with_their_query():
    queries, codes = make_data()
    labels = make_labels(len(codes))
    query_labels = make_labels(len(queries), seed=4)
    index = HammingIndex(64)
    index.add(codes, labels=labels)
    found = index.search(queries, 400)  # more than there are: some -1
    relevant = found.relevant(query_labels)
    expected = (labels[found.ids] & query_labels[:, None]).any(-1)
    np.testing.assert_array_equal(relevant, expected & (found.ids >= 0))
    assert not relevant[:, 320:].any()
    for row, result in enumerate(index.search_radius(queries, 6)):
        np.testing.assert_array_equal(
            result.relevant(query_labels[row]),
            (labels[result.ids] & query_labels[row]).any(-1))
        np.testing.assert_array_equal(
            found.select(row).found().relevant(query_labels[row]),
            relevant[row, :320])
    assert found.relevant(None) is None
    unlabelled = HammingIndex(64)
    unlabelled.add(codes)
    assert unlabelled.search(queries, 3).labels is None
    assert unlabelled.search(queries, 3).relevant(query_labels) is None
    assert unlabelled.num_classes is None
    with pytest.raises(
            ValueError,
            match=r'query labels of shape \(12, 4\) '
            'for results with 6 labels per item'):
        found.relevant(query_labels[:, :4])


def test_bad_labels():
    _, codes = make_data()
    index = HammingIndex(64)
    index.add(codes[:10], labels=make_labels(10))
    with pytest.raises(ValueError, match='stores labels for all'):
        index.add(codes[10:12])
    with pytest.raises(
            ValueError, match='labels of 4 classes for an index '
            'of 6'):
        index.add(codes[10:12], labels=make_labels(2, 4))
    with pytest.raises(ValueError, match=r'labels must be a \(2, C\)'):
        index.add(codes[10:12], labels=make_labels(3))
    with pytest.raises(ValueError, match='0 or 1'):
        index.add(codes[10:12], labels=np.full((2, 6), 3))
    assert len(index) == 10
    no_labels = HammingIndex(64)
    no_labels.add(codes[:2])
    with pytest.raises(ValueError, match='stores no labels'):
        no_labels.add(codes[2:3], labels=make_labels(1))


def test_index_file_with_labels_of_a_wrong_shape_names_the_file(tmp_path):
    _, codes = make_data()
    index = HammingIndex(64)
    index.add(codes, labels=make_labels(len(codes)))
    path = str(tmp_path / 'db.index')
    index.save(path)
    meta, arrays = load_arrays(path, INDEX_FORMAT, ())
    meta.pop('format')
    save_arrays(path, INDEX_FORMAT, meta,
                dict(arrays, labels=arrays['labels'][1:]))
    with pytest.raises(
            ValueError,
            match=r'db.index: labels must be a '
            r'\(320, C\) multi-hot array'):
        HammingIndex.load(path)


def test_without_faiss_the_index_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, 'faiss', None)  # import faiss fails
    with pytest.raises(
            ImportError,
            match=r"HammingIndex \(binary search\) "
            r"needs faiss, .*pip install 'hashnet_mm\[search\]'"):
        HammingIndex(64)
