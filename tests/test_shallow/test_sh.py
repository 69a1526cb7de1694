"""Spectral hashing against a plain per-bit reference."""
import math

import numpy as np
import pytest
import torch

from hashnet_mm.shallow import SpectralHashing


def reference_sh_codes(train, x, num_bits):
    """Weiss et al. 2008 written out: PCA, box [a, b] per direction, all
    (direction, mode) pairs sorted by k / (b - a), sgn(cos(k pi (v - a) /
    (b - a)))."""
    mean = train.mean(axis=0)
    cov = (train - mean).T @ (train - mean) / len(train)
    values, vectors = np.linalg.eigh(cov)
    p = min(num_bits, train.shape[1])
    vectors = vectors[:, np.argsort(-values)[:p]]
    v_train = (train - mean) @ vectors
    low, high = v_train.min(axis=0), v_train.max(axis=0)
    pairs = sorted(((k / (high[j] - low[j]), k, j) for j in range(p)
                    for k in range(1, num_bits + 1)),
                   key=lambda t: (t[0], t[1], t[2]))[:num_bits]
    v = (x - mean) @ vectors
    codes = np.empty((len(x), num_bits))
    for bit, (_, k, j) in enumerate(pairs):
        value = np.cos(k * math.pi * (v[:, j] - low[j]) / (high[j] - low[j]))
        codes[:, bit] = np.where(value >= 0, 1, -1)
    return codes


@pytest.mark.parametrize('num_bits', [3, 8, 20])
def test_matches_reference_up_to_bit_signs(num_bits):
    rng = np.random.default_rng(0)
    # Anisotropic box: several modes per long direction.
    train = rng.uniform(-1, 1, size=(500, 5)) * [5, 3, 2, 1, 0.5]
    test = rng.uniform(-1, 1, size=(200, 5)) * [5, 3, 2, 1, 0.5]
    codes = SpectralHashing(num_bits).fit(train).encode(test).numpy()
    expected = reference_sh_codes(train, test, num_bits)
    # PCA directions have an arbitrary sign, which flips odd modes.
    for bit in range(num_bits):
        assert (codes[:, bit] == expected[:, bit]).all() or \
            (codes[:, bit] == -expected[:, bit]).all(), bit


def test_first_bit_halves_the_longest_direction():
    rng = np.random.default_rng(1)
    train = rng.uniform(-1, 1, size=(2000, 2)) * [4, 1]
    codes = SpectralHashing(2).fit(train).encode(train)
    # Mode 1 of the long side changes sign at its middle (x = 0 here).
    split = torch.tensor(train[:, 0] > 0)
    first = codes[:, 0] > 0
    assert (first == split).float().mean() > 0.99 or \
        (first != split).float().mean() > 0.99
    assert abs(codes[:, 0].mean()) < 0.1  # balanced


def test_flat_direction_raises():
    train = np.c_[np.arange(10.0), np.zeros(10)]
    with pytest.raises(ValueError, match='no spread'):
        SpectralHashing(2).fit(train)
