"""Plain float64 / mpmath references shared by the comparison methods'
tests."""
import itertools
import math

import mpmath
import numpy as np
import pytest
import torch


def similar_pairs(labels):
    """{(i, j): shares a label} for every ordered pair i != j."""
    labels = np.asarray(labels)
    n = len(labels)
    return {
        (i, j): bool((labels[i] & labels[j]).any())
        for i, j in itertools.product(range(n), repeat=2) if i != j
    }


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
    assert value.item() == pytest.approx(reference(codes), rel=1e-6, abs=1e-9)
    if rtol is not None:
        np.testing.assert_allclose(
            codes_t.grad.numpy(),
            numeric_gradient(reference, codes),
            rtol=rtol,
            atol=1e-6)
    return codes_t.grad


def softplus(x):
    """log(1 + exp(x)) of a float, exact where exp(x) overflows."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sign(x):
    """+1, 0 or -1 (the derivative of |x| as autograd takes it at 0)."""
    return float(x > 0) - float(x < 0)


def code_sign(x):
    """A code bit: sgn(x) with 0 -> +1."""
    return 1.0 if x >= 0 else -1.0


def center_target(centers, tie_breaker, label_row):
    """One image's target code, bit by bit: the sign of the sum of its
    classes' centers, a zero sum taking the tie-breaking bit."""
    target = []
    for k in range(len(tie_breaker)):
        total = sum(centers[c][k] for c, y in enumerate(label_row) if y)
        target.append(tie_breaker[k] if total == 0 else (
            1.0 if total > 0 else -1.0))
    return target


def loss_center_targets(loss, labels):
    """{i: target code} of the labelled images, from the centers and the
    tie-breaker stored in ``loss.hash_centers`` (per image, bit by bit)."""
    centers = loss.hash_centers.centers.tolist()
    tie_breaker = loss.hash_centers.tie_breaker.tolist()
    return {
        i: center_target(centers, tie_breaker, labels[i])
        for i in labelled_rows(labels)
    }


def class_target_batches(num_classes, k=8, seed=0):
    """{name: (codes (n, k), labels (n, C))} of the batches every class-
    target loss is checked on: one class for all; multi-label rows (two
    labels: ties in the targets) and an unlabelled row; codes +-1e4."""
    rng = np.random.default_rng(seed)
    n = 6
    one_class = np.zeros((n, num_classes), dtype=np.int64)
    one_class[:, 1] = 1
    multi = np.zeros((n, num_classes), dtype=np.int64)
    for row, classes in enumerate([[0], [0, 1], [2, 3, 1], [], [3], [1, 2]]):
        multi[row, classes] = 1
    huge = np.full((4, k), 1e4)
    huge[1::2] *= -1
    huge[:, ::3] *= -1
    return {
        'all_similar': (rng.normal(size=(n, k)) * 1.5, one_class),
        'multi_label': (rng.normal(size=(n, k)) * 1.5, multi),
        'huge': (huge, multi[[0, 1, 4, 5]]),
    }


def check_value_and_gradient(loss, codes, labels, reference, rtol=1e-7):
    """``loss`` (a module) on float64 codes: finite, and its value and its
    autograd gradient equal ``reference(codes, labels)``'s
    ``(value, gradient)``, the reference computed per sample."""
    codes_t = torch.tensor(codes, dtype=torch.float64, requires_grad=True)
    value = loss(codes_t, torch.tensor(labels))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(codes_t.grad).all()
    expected_value, expected_grad = reference(
        np.asarray(codes, float), np.asarray(labels))
    assert value.item() == pytest.approx(expected_value, rel=rtol, abs=1e-12)
    np.testing.assert_allclose(
        codes_t.grad.numpy(), expected_grad, rtol=rtol, atol=1e-12)
    return codes_t.grad


def sigmoid(x):
    """1 / (1 + exp(-x)) of a float, without overflow."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(x) / (1.0 + math.exp(x))


def labelled_rows(labels):
    """Indices of the images with at least one label."""
    return [i for i, row in enumerate(labels) if any(row)]
