"""WeightedPairwiseLoss against a plain float64 / mpmath reference."""
import itertools

import mpmath
import numpy as np
import pytest
import torch

from hashnet_mm.codes import similar_pair_fraction
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
                c = len(pairs) / (
                    num_similar if similar[i, j] else num_dissimilar)
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
    """d loss / d codes for eq. 2 weights, from
    d l_ij / d x = sigmoid(x) - s."""
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
    kwargs = dict(
        eq2={}, fixed=dict(similar_weight=3.0),
        none=dict(use_weights=False))[weighting]
    loss = WeightedPairwiseLoss(
        alpha=0.7, **kwargs)(torch.tensor(codes), torch.tensor(labels))
    expected = reference_loss(codes, labels, 0.7, weighting, 3.0)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_default_alpha_is_ten_over_bits():
    codes, labels = random_batch(k=20)
    loss = WeightedPairwiseLoss()(torch.tensor(codes), torch.tensor(labels))
    assert loss.item() == pytest.approx(
        reference_loss(codes, labels, 10 / 20), rel=1e-6)


@pytest.mark.parametrize('bits', [16, 20, 64])
def test_max_logit_sets_alpha_by_code_length(bits):
    codes, labels = random_batch(k=bits)
    loss = WeightedPairwiseLoss(max_logit=5.0)(torch.tensor(codes),
                                               torch.tensor(labels))
    assert loss.item() == pytest.approx(
        reference_loss(codes, labels, 5 / bits), rel=1e-6)


@pytest.mark.parametrize(
    'kwargs',
    [dict(max_logit=0),
     dict(max_logit=-2),
     dict(alpha=0.3, max_logit=5)])
def test_bad_max_logit(kwargs):
    with pytest.raises(ValueError, match='max_logit'):
        WeightedPairwiseLoss(**kwargs)


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


@pytest.mark.parametrize(
    'classes', [[1, 1, 1, 1], [0, 1, 2, 3]],
    ids=['all-similar', 'all-dissimilar'])
def test_single_kind_batches(classes):
    codes, _ = random_batch(n=4)
    labels = np.eye(4, dtype=np.int64)[classes]
    loss = WeightedPairwiseLoss(alpha=0.5)(torch.tensor(codes),
                                           torch.tensor(labels))
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
        codes.grad.numpy(),
        reference_grad(base, labels, 1e3),
        rtol=1e-5,
        atol=1e-6)


def test_gradient_matches_reference_on_random_batch():
    codes, labels = random_batch()
    codes_t = torch.tensor(codes, requires_grad=True)
    WeightedPairwiseLoss(alpha=0.9)(codes_t, torch.tensor(labels)).backward()
    np.testing.assert_allclose(
        codes_t.grad.numpy(),
        reference_grad(codes, labels, 0.9),
        rtol=1e-5,
        atol=1e-7)


def test_one_sample_has_no_pairs():
    codes = torch.ones(1, 8, requires_grad=True)
    loss = WeightedPairwiseLoss()(codes, torch.ones(1, 3))
    loss.backward()
    assert loss.item() == 0 and (codes.grad == 0).all()


@pytest.mark.parametrize('kwargs', [
    dict(alpha=0),
    dict(alpha=-1),
    dict(similar_weight=0),
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


def slow_loss(codes, labels, alpha, pairs, weight):
    """Eq. 4 over the listed pairs, divided by the sum of their weights;
    ``weight(similar)`` gives c_ij. Pair by pair, mpmath at 50 digits."""
    total, weight_sum = mpmath.mpf(0), mpmath.mpf(0)
    with mpmath.workdps(50):
        for i, j in pairs:
            s = bool((labels[i] & labels[j]).any())
            x = mpmath.mpf(alpha) * mpmath.mpf(float(codes[i] @ codes[j]))
            c = weight(s, pairs)
            total += c * (mpmath.log(1 + mpmath.exp(x)) - s * x)
            weight_sum += c
        return float(total / weight_sum)


def eq2_over(pairs, labels):
    """c_ij of eq. 2 counted over ``pairs``."""
    num_similar = sum(bool((labels[i] & labels[j]).any()) for i, j in pairs)
    return lambda s, _: len(pairs) / (
        num_similar if s else len(pairs) - num_similar)


@pytest.mark.parametrize('n', [8, 9, 72])
def test_cross_halves_are_the_released_36_by_36_pairs(n):
    codes, labels = random_batch(n=n)
    half = n // 2
    cross = [(i, j) for i in range(half) for j in range(half, n)]
    loss = WeightedPairwiseLoss(alpha=0.7, pairing='cross_halves')
    mask = loss.pair_mask(n, torch.device('cpu'))
    assert mask.sum() == len(cross) == half * (n - half)
    assert {tuple(ij) for ij in mask.nonzero().tolist()} == set(cross)
    got = loss(torch.tensor(codes), torch.tensor(labels)).item()
    assert got == pytest.approx(
        slow_loss(codes, labels, 0.7, cross, eq2_over(cross, labels)),
        rel=1e-6)
    fixed = WeightedPairwiseLoss(
        alpha=0.7, pairing='cross_halves', similar_weight=3.0)
    assert fixed(torch.tensor(codes), torch.tensor(labels)).item() == \
        pytest.approx(slow_loss(codes, labels, 0.7, cross,
                                lambda s, _: 3.0 if s else 1.0), rel=1e-6)
    if n == 72:  # 1,296 pairs, as in the released train.py
        assert len(cross) == 1296


def slow_similar_fraction(labels):
    n = len(labels)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    return sum(bool((labels[i] & labels[j]).any())
               for i, j in pairs) / len(pairs)


def test_similar_pair_fraction_matches_slow_count():
    _, labels = random_batch(n=23, c=4)
    labels[:3] = 0  # unlabelled images: dissimilar to everything
    assert similar_pair_fraction(torch.tensor(labels), chunk_size=5) == \
        pytest.approx(slow_similar_fraction(labels), abs=1e-15)
    with pytest.raises(ValueError, match='N >= 2'):
        similar_pair_fraction(torch.ones(1, 3))


@pytest.mark.parametrize('pairing', ['all', 'cross_halves'])
def test_dataset_level_weights_match_slow_reference(pairing):
    # The "training set" of 40 images fixes c_ij; a batch of 8 uses them.
    _, dataset = random_batch(n=40, c=5, seed=1)
    codes, labels = random_batch(n=8, c=5)
    fraction = slow_similar_fraction(dataset)
    loss = WeightedPairwiseLoss(
        alpha=0.7, pairing=pairing, weight_source='dataset')
    loss.set_similar_fraction(similar_pair_fraction(torch.tensor(dataset)))
    if pairing == 'all':
        pairs = [(i, j) for i in range(8) for j in range(8) if i != j]
    else:
        pairs = [(i, j) for i in range(4) for j in range(4, 8)]
    expected = slow_loss(
        codes, labels, 0.7, pairs, lambda s, _: 1 / fraction
        if s else 1 / (1 - fraction))
    got = loss(torch.tensor(codes), torch.tensor(labels)).item()
    assert got == pytest.approx(expected, rel=1e-6)
    # Per-batch weights differ on this batch (its fraction is not 0.2).
    batch = WeightedPairwiseLoss(
        alpha=0.7, pairing=pairing)(torch.tensor(codes),
                                    torch.tensor(labels)).item()
    assert abs(batch - got) > 1e-3


def test_dataset_level_weights_need_the_fraction():
    codes, labels = random_batch()
    loss = WeightedPairwiseLoss(weight_source='dataset')
    with pytest.raises(RuntimeError, match='DatasetPairWeightsHook'):
        loss(torch.tensor(codes), torch.tensor(labels))
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match=r'in \(0, 1\)'):
            loss.set_similar_fraction(bad)
    with pytest.raises(ValueError, match='only used by'):
        WeightedPairwiseLoss().set_similar_fraction(0.5)


@pytest.mark.parametrize('kwargs', [
    dict(pairing='released'),
    dict(weight_source='global'),
    dict(weight_source='dataset', similar_weight=2.0),
    dict(weight_source='dataset', use_weights=False),
    dict(similar_fraction=0.3),
])
def test_bad_pairing_and_weight_source(kwargs):
    with pytest.raises(ValueError):
        WeightedPairwiseLoss(**kwargs)
