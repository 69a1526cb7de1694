"""CSQLoss against a per-sample reference: values and gradients."""
import math

import numpy as np
import pytest
import torch

from hashnet_mm.models.losses import CSQLoss
from .reference import (check_value_and_gradient, class_target_batches,
                        loss_center_targets, sigmoid, sign, softplus)

NUM_CLASSES = 5


def reference_csq(loss, weight):
    """(value, d value / d z), image by image and bit by bit: BCE of
    sigmoid(2z) = (tanh z + 1) / 2 towards (c + 1) / 2 over the labelled
    images, + weight * (|tanh z| - 1)^2 over all, both as means."""

    def reference(z, labels):
        n, k = z.shape
        targets = loss_center_targets(loss, labels)
        value, grad = 0.0, np.zeros((n, k))
        for i, target in targets.items():
            for b in range(k):
                c, x = (target[b] + 1) / 2, 2 * z[i, b]
                value += (softplus(x) - c * x) / (k * len(targets))
                grad[i, b] += 2 * (sigmoid(x) - c) / (k * len(targets))
        for i in range(n):
            for b in range(k):
                u = math.tanh(z[i, b])
                value += weight * (abs(u) - 1)**2 / (n * k)
                grad[i, b] += weight * 2 * (abs(u) - 1) * sign(u) * \
                    (1 - u * u) / (n * k)
        return value, grad

    return reference


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label', 'huge'])
@pytest.mark.parametrize('weight,kind', [(1e-4, 'hadamard'), (0.5, 'random'),
                                         (0.0, 'min_distance')])
def test_value_and_gradient_match_reference(batch, weight, kind):
    codes, labels = class_target_batches(NUM_CLASSES)[batch]
    loss = CSQLoss(
        NUM_CLASSES, 8, quantization_weight=weight, centers=kind).double()
    check_value_and_gradient(loss, codes, labels, reference_csq(loss, weight))


def test_huge_logits_float32_are_finite():
    codes, labels = class_target_batches(NUM_CLASSES)['huge']
    codes = torch.tensor(codes, dtype=torch.float32, requires_grad=True)
    value = CSQLoss(NUM_CLASSES, 8)(codes, torch.tensor(labels))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(codes.grad).all()


def test_codes_on_their_centers_only_pay_the_cross_entropy_floor():
    loss = CSQLoss(NUM_CLASSES, 8, quantization_weight=1.0)
    labels = torch.eye(NUM_CLASSES)
    on_center = loss(loss.hash_centers.centers * 30, labels)
    off_center = loss(-loss.hash_centers.centers * 30, labels)
    assert on_center.item() < 1e-12 and off_center.item() > 59


def test_defaults_and_shape_checks():
    loss = CSQLoss(10, 32)
    assert loss.quantization_weight == 1e-4
    assert loss.hash_centers.centers.shape == (10, 32)
    with pytest.raises(ValueError, match='built for 32-bit codes and 10'):
        loss(torch.zeros(2, 16), torch.zeros(2, 10))
    with pytest.raises(ValueError, match='built for 32-bit codes and 10'):
        loss(torch.zeros(2, 32), torch.zeros(2, 11))
    # Labels only as wide as a batch's largest class index are padded.
    labels = torch.tensor([[0, 1, 0]])
    assert loss(torch.ones(1, 32), labels).item() == pytest.approx(
        loss(torch.ones(1, 32), torch.nn.functional.pad(labels,
                                                        (0, 7))).item())
    with pytest.raises(ValueError, match='quantization_weight'):
        CSQLoss(10, 32, quantization_weight=-1)


def test_bfloat16_codes_under_autocast_are_scored_in_float32():
    codes, labels = class_target_batches(NUM_CLASSES)['multi_label']
    codes = torch.tensor(codes, dtype=torch.bfloat16)
    loss = CSQLoss(NUM_CLASSES, 8, quantization_weight=0.5)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(codes, torch.tensor(labels))
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(
        loss(codes.float(), torch.tensor(labels)).item(), rel=1e-6)


def test_released_resnet50_weight_is_the_released_formula():
    # The authors' train.py: BCELoss on (y + 1) / 2, y = tanh(z), towards
    # (c + 1) / 2, + lambda2 * mean (|y| - 1)^2, lambda2 = 0.05 (ResNet-50).
    torch.manual_seed(0)
    z = torch.randn(6, 8, dtype=torch.float64) * 1.5
    labels = torch.eye(NUM_CLASSES, dtype=torch.long)[[0, 1, 2, 3, 4, 0]]
    loss = CSQLoss(NUM_CLASSES, 8, quantization_weight=0.05).double()
    y = torch.tanh(z)
    centers = loss.hash_centers.centers.double()[labels.argmax(dim=1)]
    released = torch.nn.BCELoss()((y + 1) / 2, (centers + 1) / 2) + \
        0.05 * ((y.abs() - 1)**2).mean()
    assert loss(z, labels).item() == pytest.approx(released.item(), rel=1e-9)
    default = CSQLoss(NUM_CLASSES, 8).double()(z, labels)
    assert (loss(z, labels) - default).item() == pytest.approx(
        (0.05 - 1e-4) * ((y.abs() - 1)**2).mean().item(), rel=1e-9)
