"""WeightedPairwiseLoss against a plain float64 / mpmath reference."""
import itertools

import mpmath
import numpy as np
import pytest
import torch

from hashnet_mm.models.losses import WeightedPairwiseLoss


def reference_loss(codes, labels, alpha, weighting='eq2', similar_weight=1.0):
    """Eq. 4 over ordered pairs i != j, divided by the sum of weights.

    Written pair by pair; log(1 + exp(x)) is evaluated by mpmath at 50
    digits, so it is exact even where exp overflows a float.
    """
    codes = np.asarray(codes, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(codes)
    pairs = [(i, j) for i, j in itertools.product(range(n), repeat=2)
             if i != j]
    similar = {(i, j): bool((labels[i] & labels[j]).any()) for i, j in pairs}
    num_similar = sum(similar.values())
    num_dissimilar = len(pairs) - num_similar
    total, weight_sum = mpmath.mpf(0), mpmath.mpf(0)
    with mpmath.workdps(50):
        for i, j in pairs:
            if weighting == 'eq2':
                c = len(pairs) / (num_similar if similar[i, j] else
                                  num_dissimilar)
            elif weighting == 'fixed':
                c = similar_weight if similar[i, j] else 1.0
            else:
                c = 1.0
            x = mpmath.mpf(alpha) * mpmath.mpf(float(codes[i] @ codes[j]))
            s = 1 if similar[i, j] else 0
            total += c * (mpmath.log(1 + mpmath.exp(x)) - s * x)
            weight_sum += c
        return float(total / weight_sum)


def reference_grad(codes, labels, alpha):
    """d loss / d codes for eq. 2 weights, from d l_ij / d x = sigmoid(x) - s."""
    codes = np.asarray(codes, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(codes)
    similar = (labels @ labels.T > 0).astype(np.float64)
    off = 1 - np.eye(n)
    num_pairs = off.sum()
    num_similar = (similar * off).sum()
    weights = np.where(similar > 0, num_pairs / max(num_similar, 1),
                       num_pairs / max(num_pairs - num_similar, 1)) * off
    x = alpha * codes @ codes.T
    sigmoid = np.array([[float(1 / (1 + mpmath.exp(-v))) for v in row]
                        for row in x])
    d_x = weights * (sigmoid - similar) / weights.sum()
    return alpha * (d_x + d_x.T) @ codes


def random_batch(n=8, k=12, c=5, seed=0):
    rng = np.random.default_rng(seed)
    codes = np.tanh(rng.normal(size=(n, k)))
    labels = (rng.random((n, c)) < 0.3).astype(np.int64)
    return codes, labels


@pytest.mark.parametrize('weighting', ['eq2', 'fixed', 'none'])
def test_matches_reference(weighting):
    codes, labels = random_batch()
    kwargs = dict(eq2={}, fixed=dict(similar_weight=3.0),
                  none=dict(use_weights=False))[weighting]
    loss = WeightedPairwiseLoss(alpha=0.7, **kwargs)(
        torch.tensor(codes), torch.tensor(labels))
    expected = reference_loss(codes, labels, 0.7, weighting, 3.0)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_default_alpha_is_ten_over_bits():
    codes, labels = random_batch(k=20)
    loss = WeightedPairwiseLoss()(torch.tensor(codes), torch.tensor(labels))
    assert loss.item() == pytest.approx(
        reference_loss(codes, labels, 10 / 20), rel=1e-6)


def test_eq2_weights_on_hand_made_batch():
    # classes 0, 0, 1, 2: of 12 ordered pairs, 2 similar and 10 dissimilar.
    labels = torch.eye(3, dtype=torch.bool)[[0, 0, 1, 2]]
    similar = (labels.float() @ labels.float().t()) > 0
    pairs = ~torch.eye(4, dtype=torch.bool)
    weights = WeightedPairwiseLoss().pair_weights(similar, pairs)
    expected = torch.full((4, 4), 12 / 10)
    expected[0, 1] = expected[1, 0] = 12 / 2
    expected.fill_diagonal_(0)
    torch.testing.assert_close(weights, expected)
    fixed = WeightedPairwiseLoss(similar_weight=5.).pair_weights(
        similar, pairs)
    assert fixed[0, 1] == 5 and fixed[0, 2] == 1 and fixed[0, 0] == 0


@pytest.mark.parametrize('classes', [[1, 1, 1, 1], [0, 1, 2, 3]],
                         ids=['all-similar', 'all-dissimilar'])
def test_single_kind_batches(classes):
    codes, _ = random_batch(n=4)
    labels = np.eye(4, dtype=np.int64)[classes]
    loss = WeightedPairwiseLoss(alpha=0.5)(
        torch.tensor(codes), torch.tensor(labels))
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(
        reference_loss(codes, labels, 0.5), rel=1e-6)


@pytest.mark.parametrize('sign', [1.0, -1.0])
def test_huge_logits_exact_with_correct_gradient(sign):
    # alpha * <h_i, h_j> = +-1e4 for every pair.
    k = 10
    base = np.ones((4, k))
    base[1::2] *= sign
    labels = np.eye(3, dtype=np.int64)[[0, 0, 1, 2]]
    codes = torch.tensor(base, requires_grad=True)
    loss = WeightedPairwiseLoss(alpha=1e3)(codes, torch.tensor(labels))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(codes.grad).all()
    assert loss.item() == pytest.approx(
        reference_loss(base, labels, 1e3), rel=1e-6)
    np.testing.assert_allclose(
        codes.grad.numpy(), reference_grad(base, labels, 1e3),
        rtol=1e-5, atol=1e-6)


def test_gradient_matches_reference_on_random_batch():
    codes, labels = random_batch()
    codes_t = torch.tensor(codes, requires_grad=True)
    WeightedPairwiseLoss(alpha=0.9)(codes_t, torch.tensor(labels)).backward()
    np.testing.assert_allclose(
        codes_t.grad.numpy(), reference_grad(codes, labels, 0.9),
        rtol=1e-5, atol=1e-7)


def test_one_sample_has_no_pairs():
    codes = torch.ones(1, 8, requires_grad=True)
    loss = WeightedPairwiseLoss()(codes, torch.ones(1, 3))
    loss.backward()
    assert loss.item() == 0 and (codes.grad == 0).all()


@pytest.mark.parametrize('kwargs', [
    dict(alpha=0), dict(alpha=-1), dict(similar_weight=0),
    dict(similar_weight=2, use_weights=False)
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        WeightedPairwiseLoss(**kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match='expected codes'):
        WeightedPairwiseLoss()(torch.ones(4, 8), torch.ones(3, 2))


def test_float32_inside_autocast():
    codes, labels = random_batch(n=16, k=64)
    codes = torch.tensor(codes, dtype=torch.float32)
    loss = WeightedPairwiseLoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mixed = loss(codes, torch.tensor(labels))
    assert mixed.dtype == torch.float32
    assert mixed.item() == loss(codes, torch.tensor(labels)).item()
