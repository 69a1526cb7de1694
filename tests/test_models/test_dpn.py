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
    check_value_and_gradient(loss, codes, labels,
                             reference_dpn(loss, margin))


def test_polarized_codes_cost_nothing():
    loss = DPNLoss(NUM_CLASSES, 8)
    assert loss.margin == 1.0
    labels = torch.eye(NUM_CLASSES)
    assert loss(loss.hash_centers.centers * 1.5, labels).item() == 0
    assert loss(torch.zeros(NUM_CLASSES, 8), labels).item() == 1.0


def test_bad_margin():
    with pytest.raises(ValueError, match='margin'):
        DPNLoss(NUM_CLASSES, 8, margin=-1)
