"""DHNLoss against a plain float64 / mpmath reference."""
import mpmath
import numpy as np
import pytest
import torch

from hashnet_mm.models.losses import DHNLoss
from .reference import (check_loss_and_gradient, extreme_batch,
                        pairwise_likelihood, random_batch)


def reference_dhn(codes, labels, weight, alpha=1.0):
    """Mean pairwise cross-entropy + weight * mean_i sum_k
    log(cosh(|u_ik| - 1)), log cosh by mpmath at 50 digits."""
    codes = np.asarray(codes, dtype=np.float64)
    with mpmath.workdps(50):
        quantization = sum(
            mpmath.log(mpmath.cosh(abs(mpmath.mpf(float(u))) - 1))
            for u in codes.ravel()) / len(codes)
        return pairwise_likelihood(codes, labels, alpha) + \
            weight * float(quantization)


@pytest.mark.parametrize('weight,alpha', [(0.1, 1.0), (2.0, 0.3), (0.0, 1.0)])
def test_loss_and_gradient_match_reference(weight, alpha):
    codes, labels = random_batch(n=6, k=5, seed=3)
    check_loss_and_gradient(
        DHNLoss(quantization_weight=weight, alpha=alpha), codes, labels,
        lambda u: reference_dhn(u, labels, weight, alpha))


@pytest.mark.parametrize('value', [1e4, -1e4, 1.0, 0.0])
def test_extreme_codes_are_exact_and_finite(value):
    # log cosh(1e4 - 1) overflows cosh in float64; <u_i, u_j> = +-8e8.
    codes, labels = extreme_batch(value)
    check_loss_and_gradient(
        DHNLoss(quantization_weight=0.1),
        codes,
        labels,
        lambda u: reference_dhn(u, labels, 0.1),
        rtol=None)


def test_quantization_is_zero_on_binary_codes():
    codes = torch.tensor([[1., -1., 1.], [-1., -1., 1.]])
    labels = torch.tensor([[1, 0], [0, 1]])
    assert DHNLoss(quantization_weight=5.)(codes, labels).item() == \
        pytest.approx(DHNLoss(quantization_weight=0.)(codes, labels).item())


def test_bad_weight():
    with pytest.raises(ValueError, match='quantization_weight'):
        DHNLoss(quantization_weight=-1)
