"""Slow, obvious Hamming search over packed codes for the tests."""
import numpy as np


def popcount_distances(queries, codes):
    """(Q, N) Hamming distances: popcount of XOR, byte by byte."""
    return np.array([[
        sum(bin(int(a) ^ int(b)).count('1') for a, b in zip(query, code))
        for code in codes
    ] for query in queries],
                    dtype=np.int64).reshape(len(queries), len(codes))


def reference_topk(distances, k):
    """(positions, distances) of the k nearest: by distance, then position."""
    order = np.argsort(distances, axis=1, kind='stable')[:, :k]
    return order, np.take_along_axis(distances, order, axis=1)


def reference_radius(distances, radius):
    """Per query, the positions within ``radius``: by distance, then
    position."""
    return [
        np.array(
            sorted(np.flatnonzero(row <= radius), key=lambda i: row[i]),
            dtype=np.int64) for row in distances
    ]


def clustered_codes(rng, num_centers, per_center, num_bits, flip=0.05):
    """(centers, codes) in {-1, +1}: noisy copies of random centers, so that
    small Hamming balls hold many codes and distances tie."""
    centers = rng.choice([-1, 1], size=(num_centers, num_bits))
    codes = np.repeat(centers, per_center, axis=0)
    return centers, np.where(rng.random(codes.shape) < flip, -codes, codes)
