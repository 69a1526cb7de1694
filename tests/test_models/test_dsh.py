"""DSHLoss against a per-pair reference: values and gradients."""
import numpy as np
import pytest
import torch

from hashnet_mm.models.losses import DSHLoss
from .reference import check_value_and_gradient, class_target_batches, sign


def reference_dsh(margin, alpha):
    """(value, gradient) over the ordered pairs i != j, pair by pair:
    s D / 2 + (1 - s) max(m - D, 0) / 2 + alpha (r_i + r_j), D the squared
    distance, r = || |u| - 1 ||_1, averaged over the pairs."""

    def reference(u, labels):
        n, k = u.shape
        m = 2.0 * k if margin is None else margin
        pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
        value, grad = 0.0, np.zeros((n, k))
        for i, j in pairs:
            similar = bool((labels[i] & labels[j]).any())
            diff = [u[i, b] - u[j, b] for b in range(k)]
            distance = sum(d * d for d in diff)
            if similar:
                value += distance / 2
                scale = 1.0
            else:
                value += max(m - distance, 0.0) / 2
                scale = -1.0 if m - distance > 0 else 0.0
            for b in range(k):
                grad[i, b] += scale * diff[b]
                grad[j, b] -= scale * diff[b]
            for row in (i, j):
                for b in range(k):
                    x = abs(u[row, b]) - 1
                    value += alpha * abs(x)
                    grad[row, b] += alpha * sign(x) * sign(u[row, b])
        return value / len(pairs), grad / len(pairs)

    return reference


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label', 'huge'])
@pytest.mark.parametrize('margin,alpha', [(None, 0.01), (3.0, 0.5),
                                          (40.0, 0.0)])
def test_value_and_gradient_match_reference(batch, margin, alpha):
    codes, labels = class_target_batches(5)[batch]
    check_value_and_gradient(
        DSHLoss(margin=margin, quantization_weight=alpha), codes, labels,
        reference_dsh(margin, alpha))


def test_one_image_has_no_pair():
    codes = torch.randn(1, 4, requires_grad=True)
    value = DSHLoss()(codes, torch.ones(1, 2))
    value.backward()
    assert value.item() == 0 and codes.grad.abs().sum() == 0


def test_defaults_and_bad_arguments():
    loss = DSHLoss()
    assert loss.margin is None and loss.quantization_weight == 0.01
    with pytest.raises(ValueError, match='margin'):
        DSHLoss(margin=0)
    with pytest.raises(ValueError, match='quantization_weight'):
        DSHLoss(quantization_weight=-0.1)


def test_bfloat16_codes_under_autocast_are_scored_in_float32():
    codes, labels = class_target_batches(5)['multi_label']
    codes = torch.tensor(codes, dtype=torch.bfloat16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = DSHLoss()(codes, torch.tensor(labels))
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(
        DSHLoss()(codes.float(), torch.tensor(labels)).item(), rel=1e-6)


def reference_dsh_released(margin, alpha):
    """(value, gradient) as the authors' Caffe layer: the contrastive terms
    summed over the unordered pairs i < j and divided by N (N - 1), plus
    alpha * || |u_i| - 1 ||_1 summed over the images and divided by N."""

    def reference(u, labels):
        n, k = u.shape
        m = 2.0 * k if margin is None else margin
        value, grad = 0.0, np.zeros((n, k))
        for i in range(n):
            for j in range(i + 1, n):
                similar = bool((labels[i] & labels[j]).any())
                diff = [u[i, b] - u[j, b] for b in range(k)]
                distance = sum(d * d for d in diff)
                if similar:
                    value += distance / (n * (n - 1))
                    scale = 2.0
                else:
                    value += max(m - distance, 0.0) / (n * (n - 1))
                    scale = -2.0 if m - distance > 0 else 0.0
                for b in range(k):
                    grad[i, b] += scale * diff[b] / (n * (n - 1))
                    grad[j, b] -= scale * diff[b] / (n * (n - 1))
            for b in range(k):
                x = abs(u[i, b]) - 1
                value += alpha * abs(x) / n
                grad[i, b] += alpha * sign(x) * sign(u[i, b]) / n
        return value, grad

    return reference


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label', 'huge'])
@pytest.mark.parametrize('margin,alpha', [(None, 0.01), (3.0, 0.5)])
def test_released_regulariser_matches_the_released_layer(batch, margin, alpha):
    codes, labels = class_target_batches(5)[batch]
    check_value_and_gradient(
        DSHLoss(margin=margin, quantization_weight=alpha, regulariser='image'),
        codes, labels, reference_dsh_released(margin, alpha))


def test_pair_regulariser_is_twice_the_image_one():
    codes, labels = class_target_batches(5)['multi_label']
    codes, labels = torch.tensor(codes), torch.tensor(labels)
    pair = DSHLoss(quantization_weight=0.3)(codes, labels)
    image = DSHLoss(
        quantization_weight=0.3, regulariser='image')(codes, labels)
    regulariser = (codes.abs() - 1).abs().sum(dim=1).mean()
    assert (pair - image).item() == pytest.approx(
        0.3 * regulariser.item(), rel=1e-9)
    assert DSHLoss().regulariser == 'pair'
    with pytest.raises(ValueError, match='regulariser'):
        DSHLoss(regulariser='batch')
