"""LSH: the collision probability of sign random projections."""
import numpy as np
import pytest

from hashnet_mm.shallow import LSH


@pytest.mark.parametrize('angle', [0.1, np.pi / 3, np.pi / 2, 2.5])
def test_collision_probability_is_one_minus_angle_over_pi(angle):
    # Pairs at a known angle, in random orientations in 10 dimensions.
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(10, 10)))[0]
    x = basis[:, 0] * 3.0
    y = (np.cos(angle) * basis[:, 0] + np.sin(angle) * basis[:, 1]) * 0.5
    num_bits = 20000
    codes = LSH(
        num_bits, center=False).fit(np.stack([x, y,
                                              -x])).encode(np.stack([x, y]))
    collisions = (codes[0] == codes[1]).double().mean().item()
    expected = 1 - angle / np.pi
    sigma = np.sqrt(expected * (1 - expected) / num_bits)
    assert abs(collisions - expected) < 4 * sigma + 1e-9


def test_centering_uses_the_training_mean():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 6)) + 50.0  # far from the origin
    centred = LSH(64).fit(x).encode(x).mean(dim=0).abs().mean()
    uncentred = LSH(64, center=False).fit(x).encode(x).mean(dim=0).abs().mean()
    # Hyperplanes through the data's centre split it; through 0 they don't.
    assert centred < 0.3 < uncentred
