"""Multi-label mosaics, checked against plain per-mosaic loops."""
import numpy as np
import pytest

from hashnet_mm.datasets.mosaic import TILES, class_probabilities, make_mosaics


def items_and_labels(n=40, classes=4):
    rng = np.random.default_rng(0)
    images = rng.integers(1, 256, (n, 3, 2), dtype=np.uint8)
    return images, np.arange(n) % classes


def test_tiles_and_labels_match_a_plain_reference():
    images, labels = items_and_labels()
    mosaics, multi_hot, items = make_mosaics(images, labels, 50, seed=7)
    assert mosaics.shape == (50, 6, 4) and multi_hot.shape == (50, 4)
    for m in range(50):
        expected = np.zeros((6, 4), np.uint8)
        present = set()
        for t, (row, col) in enumerate(TILES):
            item = items[m, t]
            if item >= 0:
                expected[row * 3:row * 3 + 3, col * 2:col * 2 + 2] = \
                    images[item]
                present.add(labels[item])
        assert present, 'every mosaic holds at least one item'
        assert np.array_equal(mosaics[m], expected)
        assert multi_hot[m].tolist() == [int(c in present) for c in range(4)]


def test_same_seed_same_mosaics():
    images, labels = items_and_labels()
    a, b, c = (make_mosaics(images, labels, 30, seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[2], c[2])


def test_class_probabilities():
    p = class_probabilities(10, 10.)
    assert p.sum() == pytest.approx(1)
    assert p[0] / p[-1] == pytest.approx(10)
    assert (np.diff(p) < 0).all()
    assert np.allclose(class_probabilities(5, 1.), 0.2)
    with pytest.raises(ValueError, match='imbalance must be >= 1'):
        class_probabilities(3, 0.5)


def test_frequencies_follow_empty_prob_and_imbalance():
    images, labels = items_and_labels(n=100, classes=5)
    _, _, items = make_mosaics(
        images, labels, 4000, seed=0, empty_prob=0.3, imbalance=8.)
    filled = items >= 0
    assert filled.mean() == pytest.approx(0.7, abs=0.02)
    counts = np.bincount(labels[items[filled]], minlength=5)
    assert counts / counts.sum() == pytest.approx(
        class_probabilities(5, 8.), abs=0.02)


def test_bad_input():
    images, labels = items_and_labels()
    with pytest.raises(ValueError, match=r'classes \[4\] have no images'):
        make_mosaics(images, labels, 3, num_classes=5)
    with pytest.raises(ValueError, match='empty_prob must be in'):
        make_mosaics(images, labels, 3, empty_prob=1.)
    with pytest.raises(ValueError, match=r'need images \(N, H, W\)'):
        make_mosaics(images[:5], labels, 3)
