"""Plain float64 / mpmath references shared by the comparison methods' tests."""
import itertools

import mpmath
import numpy as np
import pytest
import torch


def similar_pairs(labels):
    """{(i, j): shares a label} for every ordered pair i != j."""
    labels = np.asarray(labels)
    n = len(labels)
    return {(i, j): bool((labels[i] & labels[j]).any())
            for i, j in itertools.product(range(n), repeat=2) if i != j}


def pairwise_likelihood(codes, labels, alpha):
    """Mean over ordered pairs i != j of log(1 + exp(x)) - s_ij x, with
    x = alpha <u_i, u_j>, at 50 digits (exact where exp overflows)."""
    codes = np.asarray(codes, dtype=np.float64)
    pairs = similar_pairs(labels)
    with mpmath.workdps(50):
        total = mpmath.mpf(0)
        for (i, j), similar in pairs.items():
            x = mpmath.mpf(alpha) * mpmath.mpf(float(codes[i] @ codes[j]))
            total += mpmath.log(1 + mpmath.exp(x)) - (x if similar else 0)
        return float(total / len(pairs))


def random_batch(n=8, k=12, c=5, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    codes = np.tanh(rng.normal(size=(n, k))) * scale
    labels = (rng.random((n, c)) < 0.3).astype(np.int64)
    return codes, labels


def numeric_gradient(function, codes, step=1e-6):
    """Central differences of a scalar function of a float64 array."""
    codes = np.array(codes, dtype=np.float64)
    grad = np.zeros_like(codes)
    for index in np.ndindex(codes.shape):
        plus, minus = codes.copy(), codes.copy()
        plus[index] += step
        minus[index] -= step
        grad[index] = (function(plus) - function(minus)) / (2 * step)
    return grad


def extreme_batch(value, n=4, k=8):
    """Codes +-value in alternating rows; classes 0, 0, 1, 2, ..."""
    codes = np.full((n, k), float(value))
    codes[1::2] *= -1
    labels = np.eye(n - 1, dtype=np.int64)[[0] + list(range(n - 1))]
    return codes, labels


def check_loss_and_gradient(loss, codes, labels, reference, rtol=1e-4):
    """``loss`` (a module) is finite, equals ``reference(codes)`` and its
    gradient equals the reference's central differences (skipped where the
    reference is not smooth enough to difference: pass rtol=None)."""
    codes_t = torch.tensor(codes, requires_grad=True)
    value = loss(codes_t, torch.tensor(labels))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(codes_t.grad).all()
    assert value.item() == pytest.approx(reference(codes), rel=1e-6,
                                         abs=1e-9)
    if rtol is not None:
        np.testing.assert_allclose(codes_t.grad.numpy(),
                                   numeric_gradient(reference, codes),
                                   rtol=rtol, atol=1e-6)
    return codes_t.grad
