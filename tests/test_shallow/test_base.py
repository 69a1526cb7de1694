"""The common fit / encode interface of every method, and bad input."""
import numpy as np
import pytest
import torch

from hashnet_mm.shallow import METHODS, build_hasher, sign_codes

# Settings small enough for a test; every method, every interface check.
SMALL = {
    'lsh': {},
    'sh': {},
    'itq': dict(num_iters=5),
    'itq-cca': dict(num_iters=5),
    'ksh': dict(num_anchors=20, num_labeled=100, smooth_iters=5),
    'bre': dict(num_anchors=8, num_train=60, num_sweeps=1),
    'vdsh': dict(depth=2, width=16, num_iters=2),
    'vdsh-backprop': dict(depth=2, width=16, num_iters=2, steps_per_iter=2),
}


def test_every_method_is_covered():
    assert set(SMALL) == set(METHODS)


@pytest.mark.parametrize('name', sorted(METHODS))
def test_codes_are_exactly_binary_and_reproducible(name, separable):
    x, labels = separable['train']
    hasher = build_hasher(name, 8, **SMALL[name])
    codes = [hasher.fit(x, labels).encode(x[:50]) for _ in range(2)]
    codes.append(build_hasher(name, 8, **SMALL[name]).fit(
        x, labels).encode(x[:50]))
    assert codes[0].dtype == torch.float32 and codes[0].shape == (50, 8)
    assert set(codes[0].unique().tolist()) <= {-1.0, 1.0}
    assert torch.equal(codes[0], codes[1]) and torch.equal(codes[0],
                                                           codes[2])


@pytest.mark.parametrize('name', sorted(METHODS))
def test_nan_row_is_named(name, separable):
    x, labels = separable['train']
    x = x.copy()
    x[7, 3] = np.nan
    hasher = build_hasher(name, 4, **SMALL[name])
    with pytest.raises(ValueError, match='training features: row 7 has a NaN'):
        hasher.fit(x, labels)


@pytest.mark.parametrize('name', sorted(METHODS))
def test_encode_checks_input(name, separable):
    x, labels = separable['train']
    hasher = build_hasher(name, 4, **SMALL[name])
    with pytest.raises(RuntimeError, match='fit'):
        hasher.encode(x)
    hasher.fit(x, labels)
    with pytest.raises(ValueError, match='16'):
        hasher.encode(x[:, :5])
    bad = x[:3].copy()
    bad[1, 0] = np.inf
    with pytest.raises(ValueError, match='row 1'):
        hasher.encode(bad)


@pytest.mark.parametrize('name', [n for n, c in METHODS.items()
                                  if c.supervised])
def test_supervised_methods_check_labels(name, separable):
    x, labels = separable['train']
    hasher = build_hasher(name, 4, **SMALL[name])
    with pytest.raises(ValueError, match='required'):
        hasher.fit(x)
    with pytest.raises(ValueError, match=r'\(400, C\)'):
        hasher.fit(x, labels[:-1])
    with pytest.raises(ValueError, match='only 0 and 1'):
        hasher.fit(x, labels * 2)


@pytest.mark.parametrize('features,match', [
    (np.zeros((0, 3)), 'non-empty'),
    (np.zeros(5), 'non-empty'),
    (np.zeros((1, 3)), 'at least 2'),
    (np.array([['a', 'b']]), None),
])
def test_bad_feature_matrices(features, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build_hasher('lsh', 4).fit(features)


@pytest.mark.parametrize('bits', [0, -3, 2.5, True, '8'])
def test_bad_bit_lengths(bits):
    with pytest.raises(ValueError, match='num_bits'):
        build_hasher('lsh', bits)


def test_unknown_method():
    with pytest.raises(ValueError, match='unknown hashing method'):
        build_hasher('pq', 8)


def test_sign_codes_maps_zero_to_plus_one():
    assert sign_codes(torch.tensor([-2., -0., 0., 1e-30])).tolist() == \
        [-1., 1., 1., 1.]


@pytest.mark.parametrize('name', ['itq', 'itq-cca'])
def test_more_bits_than_dimensions_raise(name, separable):
    x, labels = separable['train']
    with pytest.raises(ValueError, match='cannot produce 17 bits: at most '
                       '16'):
        build_hasher(name, 17).fit(x, labels)
