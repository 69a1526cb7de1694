"""DPSHLoss and LinearHashHead against plain float64 / mpmath references."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from hashnet_mm.models.losses import DPSHLoss
from .reference import (check_loss_and_gradient, extreme_batch,
                        pairwise_likelihood, random_batch)


def reference_quantization(codes):
    """Mean over images of ||sgn(u_i) - u_i||^2, sgn(0) = +1, in loops."""
    total = 0.0
    for row in np.asarray(codes, dtype=np.float64):
        for u in row:
            b = 1.0 if u >= 0 else -1.0
            total += (b - u)**2
    return total / len(codes)


def reference_dpsh(codes, labels, eta):
    """Theta_ij = <u_i, u_j> / 2: the pairwise likelihood with alpha 1/2."""
    return pairwise_likelihood(codes, labels, 0.5) + \
        eta * reference_quantization(codes)


@pytest.mark.parametrize('eta', [0.1, 3.0, 0.0])
def test_loss_and_gradient_match_reference(eta):
    # With sgn(u) held fixed the gradient is that of the reference, whose
    # central differences do not cross u = 0 here.
    codes, labels = random_batch(n=6, k=5, seed=4, scale=3.0)
    check_loss_and_gradient(
        DPSHLoss(quantization_weight=eta), codes, labels,
        lambda u: reference_dpsh(u, labels, eta))


@pytest.mark.parametrize('value', [1e3, -1e3])
def test_extreme_codes_are_exact_and_finite(value):
    codes, labels = extreme_batch(value)  # Theta = +-4e6 for every pair
    grad = check_loss_and_gradient(
        DPSHLoss(quantization_weight=0.1),
        codes,
        labels,
        lambda u: reference_dpsh(u, labels, 0.1),
        rtol=None)
    assert torch.isfinite(grad).all()


def test_zero_code_counts_as_plus_one():
    codes = torch.zeros(2, 3)
    labels = torch.eye(2)
    quantization = DPSHLoss(quantization_weight=1.)(codes, labels) - \
        DPSHLoss(quantization_weight=0.)(codes, labels)
    assert quantization.item() == pytest.approx(3.0)


def test_linear_head_trains_on_raw_outputs():
    head = MODELS.build(
        dict(
            type='LinearHashHead',
            num_bits=6,
            in_channels=5,
            objective_interval=1))
    head.init_weights()
    feats = (torch.randn(4, 5) * 50, )
    samples = [DataSample().set_gt_label([c]) for c in (0, 0, 1, 2)]
    z = head(feats)
    labels = torch.eye(3)[[0, 0, 1, 2]]
    losses = head.loss(feats, samples)
    torch.testing.assert_close(losses['loss'], head.loss_module(z, labels))
    torch.testing.assert_close(losses['objective_binary'],
                               head.loss_module(torch.sign(z), labels))
    assert isinstance(head.loss_module, DPSHLoss)


def test_bad_weight():
    with pytest.raises(ValueError, match='quantization_weight'):
        DPSHLoss(quantization_weight=-0.5)
