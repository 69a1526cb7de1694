"""IndexItems: every item of an index of any kind, by id, through the
index's public search."""
import numpy as np
import pytest

from hashnet_mm.search import HammingIndex, pack_codes
from hashnet_mm.serving import IndexItems


@pytest.mark.parametrize('kind, params', [('flat', {}),
                                          ('hash', dict(hash_bits=8)),
                                          ('ivf', dict(nlist=4, nprobe=1))])
def test_every_item_by_id(kind, params):
    rng = np.random.default_rng(0)
    codes = pack_codes(np.where(rng.random((60, 32)) < 0.5, -1, 1))
    ids = rng.permutation(1000)[:60]
    paths = [f'images/{i:04d}.png' for i in ids]
    labels = rng.random((60, 5)) < 0.3
    index = HammingIndex(32, kind, **params)
    index.add(codes, ids, paths, labels)
    items = IndexItems.of(index)
    order = np.argsort(ids)
    np.testing.assert_array_equal(items.ids, ids[order])
    assert list(items.paths) == [paths[i] for i in order]
    np.testing.assert_array_equal(items.labels, labels[order])
    assert items.path(int(ids[7])) == paths[7]
    np.testing.assert_array_equal(items.label_row(int(ids[7])), labels[7])
    with pytest.raises(KeyError):
        items.row(1000)
    if kind == 'ivf':
        assert index.nprobe == 1


def test_an_index_without_paths_or_labels():
    index = HammingIndex(16)
    index.add(pack_codes(np.ones((3, 16))), [5, 2, 9])
    items = IndexItems.of(index)
    assert items.ids.tolist() == [2, 5, 9]
    assert items.paths is None and items.labels is None
    assert items.path(5) is None and items.label_row(5) is None
    assert len(IndexItems.of(HammingIndex(16))) == 0
