"""DPNLoss against a per-sample reference: values and gradients."""
import numpy as np
import pytest
import torch

from hashnet_mm.models.losses import DPNLoss
from .reference import (check_value_and_gradient, class_target_batches,
                        loss_center_targets)

NUM_CLASSES = 5


def reference_dpn(loss, margin):
    """(value, gradient): max(0, m - u t) bit by bit over the labelled
    images, as a mean; d/du = -t where the hinge is active."""

    def reference(u, labels):
        n, k = u.shape
        targets = loss_center_targets(loss, labels)
        scale = k * len(targets)
        value, grad = 0.0, np.zeros((n, k))
        for i, target in targets.items():
            for b in range(k):
                if margin - u[i, b] * target[b] > 0:
                    value += (margin - u[i, b] * target[b]) / scale
                    grad[i, b] = -target[b] / scale
        return value, grad

    return reference


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label', 'huge'])
@pytest.mark.parametrize('margin,kind', [(1.0, 'hadamard'), (2.5, 'random'),
                                         (0.3, 'min_distance')])
def test_value_and_gradient_match_reference(batch, margin, kind):
    codes, labels = class_target_batches(NUM_CLASSES)[batch]
    loss = DPNLoss(NUM_CLASSES, 8, margin=margin, centers=kind).double()
    check_value_and_gradient(loss, codes, labels, reference_dpn(loss, margin))


def test_polarized_codes_cost_nothing():
    loss = DPNLoss(NUM_CLASSES, 8)
    assert loss.margin == 1.0
    labels = torch.eye(NUM_CLASSES)
    assert loss(loss.hash_centers.centers * 1.5, labels).item() == 0
    assert loss(torch.zeros(NUM_CLASSES, 8), labels).item() == 1.0


def test_bad_margin():
    with pytest.raises(ValueError, match='margin'):
        DPNLoss(NUM_CLASSES, 8, margin=-1)


def reference_dpn_forms(loss, margin, bit_reduction, multi_label):
    """(value, gradient) image by image: the hinges towards the image's
    target (``'center_sign'``) or towards each of its classes' centers,
    summed over those (``'per_class'``), summed or averaged over the bits,
    averaged over the labelled images."""
    centers = loss.hash_centers.centers.tolist()

    def reference(u, labels):
        n, k = u.shape
        targets = loss_center_targets(loss, labels)
        per_bit = 1.0 if bit_reduction == 'sum' else 1.0 / k
        value, grad = 0.0, np.zeros((n, k))
        for i, target in targets.items():
            aims = [target] if multi_label == 'center_sign' else \
                [centers[c] for c in range(len(centers)) if labels[i][c]]
            for aim in aims:
                for b in range(k):
                    if margin - u[i, b] * aim[b] > 0:
                        value += (margin - u[i, b] * aim[b]) * per_bit / \
                            len(targets)
                        grad[i, b] -= aim[b] * per_bit / len(targets)
        return value, grad

    return reference


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label', 'huge'])
@pytest.mark.parametrize('bit_reduction', ['mean', 'sum'])
@pytest.mark.parametrize('multi_label_target', ['center_sign', 'per_class'])
def test_released_forms_match_reference(batch, bit_reduction,
                                        multi_label_target):
    codes, labels = class_target_batches(NUM_CLASSES)[batch]
    loss = DPNLoss(
        NUM_CLASSES,
        8,
        margin=1.0,
        bit_reduction=bit_reduction,
        multi_label_target=multi_label_target,
        centers='random').double()
    check_value_and_gradient(
        loss, codes, labels,
        reference_dpn_forms(loss, 1.0, bit_reduction, multi_label_target))


def test_sum_is_k_times_mean_and_forms_agree_on_one_label():
    codes, labels = class_target_batches(NUM_CLASSES)['all_similar']
    codes, labels = torch.tensor(codes), torch.tensor(labels)
    values = {
        (reduction, form):
        DPNLoss(
            NUM_CLASSES, 8, bit_reduction=reduction,
            multi_label_target=form).double()(codes, labels).item()
        for reduction in ('mean', 'sum')
        for form in ('center_sign', 'per_class')
    }
    assert values['sum', 'center_sign'] == pytest.approx(
        8 * values['mean', 'center_sign'], rel=1e-12)
    assert values['mean', 'per_class'] == pytest.approx(
        values['mean', 'center_sign'], rel=1e-12)
    # Several labels: the per-class form pays towards every class.
    codes, labels = class_target_batches(NUM_CLASSES)['multi_label']
    codes, labels = torch.tensor(codes), torch.tensor(labels)
    per_class = DPNLoss(NUM_CLASSES, 8, multi_label_target='per_class')
    center_sign = DPNLoss(NUM_CLASSES, 8)
    assert per_class.double()(codes, labels).item() > \
        center_sign.double()(codes, labels).item()


def test_defaults_and_bad_forms():
    loss = DPNLoss(NUM_CLASSES, 8)
    assert (loss.bit_reduction, loss.multi_label_target) == ('mean',
                                                             'center_sign')
    with pytest.raises(ValueError, match='bit_reduction'):
        DPNLoss(NUM_CLASSES, 8, bit_reduction='max')
    with pytest.raises(ValueError, match='multi_label_target'):
        DPNLoss(NUM_CLASSES, 8, multi_label_target='union')
