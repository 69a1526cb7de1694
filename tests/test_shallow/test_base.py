"""The common fit / encode interface of every method, and bad input."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import hashnet_mm.shallow  # noqa: F401  (registers the methods)
from hashnet_mm.codes import sign_codes
from hashnet_mm.registry import HASHERS

# Settings small enough for a test; every method, every interface check.
SMALL = {
    'LSH': {},
    'SpectralHashing': {},
    'ITQ': dict(num_iters=5),
    'ITQCCA': dict(num_iters=5),
    'KSH': dict(num_anchors=20, num_labeled=100, smooth_iters=5),
    'BRE': dict(num_anchors=8, num_train=60, num_sweeps=1),
    'VDSH': dict(depth=2, width=16, num_iters=2),
    'BackpropHashMLP': dict(depth=2, width=16, num_iters=2, steps_per_iter=2),
}


def build(name, num_bits, **options):
    return HASHERS.build(dict(type=name, num_bits=num_bits, **options))


def test_every_method_is_covered():
    assert set(SMALL) == set(HASHERS.module_dict)


@pytest.mark.parametrize('name', sorted(SMALL))
def test_built_by_type(name):
    hasher = build(name, 8, **SMALL[name])
    assert type(hasher).__name__ == name and hasher.num_bits == 8


@pytest.mark.parametrize('name', sorted(SMALL))
def test_codes_are_exactly_binary_and_reproducible(name, separable):
    x, labels = separable['train']
    hasher = build(name, 8, **SMALL[name])
    codes = [hasher.fit(x, labels).encode(x[:50]) for _ in range(2)]
    codes.append(build(name, 8, **SMALL[name]).fit(x, labels).encode(x[:50]))
    assert codes[0].dtype == torch.float32 and codes[0].shape == (50, 8)
    assert set(codes[0].unique().tolist()) <= {-1.0, 1.0}
    assert torch.equal(codes[0], codes[1]) and torch.equal(codes[0], codes[2])


@pytest.mark.parametrize('name', sorted(SMALL))
def test_nan_row_is_named(name, separable):
    x, labels = separable['train']
    x = x.copy()
    x[7, 3] = np.nan
    hasher = build(name, 4, **SMALL[name])
    with pytest.raises(ValueError, match='training features: row 7 has a NaN'):
        hasher.fit(x, labels)


@pytest.mark.parametrize('name', sorted(SMALL))
def test_encode_checks_input(name, separable):
    x, labels = separable['train']
    hasher = build(name, 4, **SMALL[name])
    with pytest.raises(RuntimeError, match='fit'):
        hasher.encode(x)
    hasher.fit(x, labels)
    with pytest.raises(ValueError, match='16'):
        hasher.encode(x[:, :5])
    bad = x[:3].copy()
    bad[1, 0] = np.inf
    with pytest.raises(ValueError, match='row 1'):
        hasher.encode(bad)


@pytest.mark.parametrize(
    'name', [n for n, c in HASHERS.module_dict.items() if c.supervised])
def test_supervised_methods_check_labels(name, separable):
    x, labels = separable['train']
    hasher = build(name, 4, **SMALL[name])
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
        build('LSH', 4).fit(features)


@pytest.mark.parametrize('bits', [0, -3, 2.5, True, '8'])
def test_bad_bit_lengths(bits):
    with pytest.raises(ValueError, match='num_bits'):
        build('LSH', bits)


def test_unknown_method():
    with pytest.raises(ValueError, match='unknown hashing method'):
        build('pq', 8)
    with pytest.raises(
            ValueError,
            match=r"'itq'; choose from \['BRE', "
            r"'BackpropHashMLP', 'ITQ', 'ITQCCA', 'KSH', 'LSH', "
            r"'SpectralHashing', 'VDSH'\]"):
        build('itq', 8)


@pytest.mark.slow
def test_import_hashnet_mm_leaves_the_methods_unimported():
    code = ('import sys, hashnet_mm, hashnet_mm.registry; '
            'assert "hashnet_mm.shallow" not in sys.modules; '
            'from hashnet_mm.registry import HASHERS; '
            'HASHERS.build(dict(type="LSH", num_bits=4)); '
            'assert "hashnet_mm.shallow" in sys.modules')
    subprocess.run([sys.executable, '-c', code], check=True)


def test_sign_codes_maps_zero_to_plus_one():
    assert sign_codes(torch.tensor([-2., -0., 0., 1e-30])).tolist() == \
        [-1., 1., 1., 1.]


@pytest.mark.parametrize('name', ['ITQ', 'ITQCCA'])
def test_more_bits_than_dimensions_raise(name, separable):
    x, labels = separable['train']
    with pytest.raises(
            ValueError, match='cannot produce 17 bits: at most '
            '16'):
        build(name, 17).fit(x, labels)
