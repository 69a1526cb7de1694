"""GreedyHashLoss against a per-sample reference with the straight-through
gradient written out; the sign itself."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from hashnet_mm.codes import straight_through_sign
from hashnet_mm.models.losses import GreedyHashLoss
from .reference import (class_target_batches, code_sign, labelled_rows,
                        sigmoid, sign, softplus)

NUM_CLASSES = 5


def reference_greedyhash(weights, alpha, multi_label):
    """(value, d/du, d/dW) image by image: b = sgn(u) (0 -> +1), logits W b;
    softmax cross-entropy (one label) or per-class binary cross-entropy
    (mean over classes) over the labelled images, + alpha | |u| - 1 |^3 over
    all, as means. Straight-through: d/du of the first term is its
    gradient with respect to b."""

    def reference(u, labels):
        n, k = u.shape
        num_classes = len(weights)
        rows = labelled_rows(labels)
        value = 0.0
        grad, grad_w = np.zeros((n, k)), np.zeros((num_classes, k))
        for i in rows:
            b = [code_sign(x) for x in u[i]]
            logits = [sum(w[j] * b[j] for j in range(k)) for w in weights]
            if multi_label:
                d_logits = [(sigmoid(x) - y) / num_classes
                            for x, y in zip(logits, labels[i])]
                value += sum(
                    softplus(x) - y * x for x, y in zip(
                        logits, labels[i])) / num_classes / len(rows)
            else:
                top = max(logits)
                log_sum = top + math.log(
                    sum(math.exp(x - top) for x in logits))
                label = list(labels[i]).index(1)
                value += (log_sum - logits[label]) / len(rows)
                d_logits = [
                    math.exp(x - log_sum) - (c == label)
                    for c, x in enumerate(logits)
                ]
            for c in range(num_classes):
                for j in range(k):
                    grad[i, j] += d_logits[c] * weights[c][j] / len(rows)
                    grad_w[c, j] += d_logits[c] * b[j] / len(rows)
        for i in range(n):
            for j in range(k):
                x = abs(u[i, j]) - 1
                value += alpha * abs(x)**3 / (n * k)
                grad[i, j] += alpha * 3 * x * x * sign(x) * sign(u[i, j]) / \
                    (n * k)
        return value, grad, grad_w

    return reference


def single_label(labels):
    """Each labelled row's first label only."""
    out = np.zeros_like(labels)
    for i, row in enumerate(labels):
        if row.any():
            out[i, np.flatnonzero(row)[0]] = 1
    return out


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label', 'huge'])
@pytest.mark.parametrize('multi_label', [False, True])
@pytest.mark.parametrize('alpha', [0.1, 2.0])
def test_value_and_straight_through_gradient(batch, multi_label, alpha):
    codes, labels = class_target_batches(NUM_CLASSES)[batch]
    if not multi_label:
        labels = single_label(labels)
    codes[0, 0] = 0.0  # sgn(0) = +1
    loss = GreedyHashLoss(
        NUM_CLASSES, 8, alpha=alpha, multi_label=multi_label).double()
    weights = np.random.default_rng(1).normal(size=(NUM_CLASSES, 8))
    loss.classifier.weight.data = torch.tensor(weights)
    codes_t = torch.tensor(codes, requires_grad=True)
    value = loss(codes_t, torch.tensor(labels))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(codes_t.grad).all()
    expected, grad, grad_w = reference_greedyhash(weights.tolist(), alpha,
                                                  multi_label)(codes, labels)
    assert value.item() == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(
        codes_t.grad.numpy(), grad, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        loss.classifier.weight.grad.numpy(), grad_w, rtol=1e-9, atol=1e-12)


def test_straight_through_sign():
    values = torch.tensor([-2.0, -0.0, 0.0, 1e-8, 3.0], requires_grad=True)
    codes = straight_through_sign(values)
    assert codes.tolist() == [-1.0, 1.0, 1.0, 1.0, 1.0]
    (codes * torch.arange(5.0)).sum().backward()
    assert values.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_softmax_refuses_several_labels():
    loss = GreedyHashLoss(NUM_CLASSES, 8)
    labels = torch.tensor([[1, 1, 0, 0, 0], [0, 0, 1, 0, 0]])
    with pytest.raises(ValueError, match='set multi_label=True'):
        loss(torch.randn(2, 8), labels)
    assert torch.isfinite(
        GreedyHashLoss(NUM_CLASSES, 8, multi_label=True)(torch.randn(2, 8),
                                                         labels))


def test_gradient_reaches_the_hash_layer_through_the_sign():
    head = MODELS.build(
        dict(
            type='LinearHashHead',
            num_bits=8,
            in_channels=6,
            loss=dict(type='GreedyHashLoss', num_classes=NUM_CLASSES)))
    head.init_weights()
    assert head.loss_module.alpha == 0.1
    samples = [DataSample().set_gt_label(i % NUM_CLASSES) for i in range(6)]
    head.loss((torch.randn(6, 6), ), samples)['loss'].backward()
    assert head.fch.weight.grad.abs().sum() > 0
    assert head.loss_module.classifier.weight.grad.abs().sum() > 0


def test_released_imagenet_alpha_is_the_released_formula():
    # The authors' imagenet.py: CrossEntropyLoss of fc(sign(x)) + 1 * mean
    # | |x| - 1 |^3 (0.1 * in cifar1.py and cifar2.py, the default).
    torch.manual_seed(0)
    codes = torch.randn(6, 8, dtype=torch.float64)
    classes = torch.tensor([0, 1, 2, 3, 4, 0])
    labels = torch.eye(5, dtype=torch.long)[classes]
    for alpha in (1.0, 0.1):
        loss = GreedyHashLoss(5, 8, alpha=alpha).double()
        logits = loss.classifier(torch.sign(codes))
        released = torch.nn.CrossEntropyLoss()(logits, classes) + alpha * \
            torch.mean(torch.abs(torch.pow(torch.abs(codes) - 1, 3)))
        assert loss(codes, labels).item() == pytest.approx(
            released.item(), rel=1e-9)
    assert GreedyHashLoss(5, 8).alpha == 0.1
