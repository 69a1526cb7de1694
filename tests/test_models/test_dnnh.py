"""DNNH: the triplet ranking loss and the divide-and-encode head, against
plain references written triplet by triplet and slice by slice."""
import itertools

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from hashnet_mm.models.losses import TripletRankingLoss
from .reference import check_loss_and_gradient, extreme_batch, random_batch


def reference_triplet(codes, labels, margin=1.0):
    """Mean of max(0, margin - (|F_i - F_k|^2 - |F_i - F_j|^2)) over every
    (i, j, k): j != i shares a label with i, k != i shares none."""
    codes = np.asarray(codes, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(codes)
    losses = []
    for i, j, k in itertools.product(range(n), repeat=3):
        if j == i or k == i:
            continue
        if (labels[i] & labels[j]).any() and not (labels[i] & labels[k]).any():
            positive = sum((codes[i] - codes[j])**2)
            negative = sum((codes[i] - codes[k])**2)
            losses.append(max(0.0, margin - (negative - positive)))
    return float(np.mean(losses)) if losses else 0.0


@pytest.mark.parametrize('margin', [1.0, 2.0, 4.0])
def test_triplet_loss_and_gradient_match_reference(margin):
    codes, labels = random_batch(n=7, k=4, c=3, seed=1)
    check_loss_and_gradient(
        TripletRankingLoss(margin=margin), (codes + 1) / 2, labels,
        lambda u: reference_triplet(u, labels, margin))


@pytest.mark.parametrize('value', [1e6, 0.0])
def test_triplet_extreme_and_identical_codes(value):
    codes, labels = extreme_batch(value, n=5)
    codes = codes * np.random.default_rng(0).random(codes.shape)
    check_loss_and_gradient(
        TripletRankingLoss(),
        codes,
        labels,
        lambda u: reference_triplet(u, labels),
        rtol=None)


def test_bad_shapes():
    with pytest.raises(ValueError, match='expected codes'):
        TripletRankingLoss()(torch.ones(4, 8), torch.ones(3, 2))


@pytest.mark.parametrize('classes', [[0, 0, 0], [0, 1, 2], [0]])
def test_batches_without_triplets_give_zero(classes):
    codes = torch.rand(len(classes), 4, requires_grad=True)
    loss = TripletRankingLoss()(codes, torch.eye(3)[classes])
    loss.backward()
    assert loss.item() == 0 and (codes.grad == 0).all()


def make_head(num_bits=4, in_channels=10, epsilon=0.1):
    head = MODELS.build(
        dict(
            type='DivideEncodeHashHead',
            num_bits=num_bits,
            in_channels=in_channels,
            epsilon=epsilon))
    head.init_weights()
    return head


def test_each_bit_sees_only_its_slice():
    # 10 channels into 4 bits: slices of 3, 3, 2, 2 channels.
    head = make_head()
    torch.nn.init.normal_(head.fch.weight)
    x = torch.randn(3, 10, dtype=torch.float64)
    head.double()
    weight, bias = head.fch.weight.detach(), head.fch.bias.detach()
    slices = [range(0, 3), range(3, 6), range(6, 8), range(8, 10)]
    expected = torch.stack([
        sum(x[:, c] * weight[k, c] for c in channels) + bias[k]
        for k, channels in enumerate(slices)
    ],
                           dim=1)
    torch.testing.assert_close(head((x, )), expected)
    x.requires_grad_(True)
    head((x, ))[:, 2].sum().backward()
    assert (x.grad[:, 6:8] != 0).all()
    assert (x.grad[:, :6] == 0).all() and (x.grad[:, 8:] == 0).all()


def test_piecewise_threshold_values_and_gradient():
    head = make_head(epsilon=0.1)
    s = torch.tensor([0.05, 0.39, 0.41, 0.45, 0.5, 0.55, 0.59, 0.61, 0.99],
                     dtype=torch.float64)
    z = torch.logit(s).requires_grad_(True)
    codes = head.continuous_codes(z)
    expected = [0, 0, 0.41, 0.45, 0.5, 0.55, 0.59, 1, 1]
    np.testing.assert_allclose(codes.detach().numpy(), expected, atol=1e-12)
    codes.sum().backward()
    slope = s * (1 - s)  # d sigma / dz inside the linear band
    inside = (s > 0.4) & (s < 0.6)
    torch.testing.assert_close(z.grad, torch.where(inside, slope, 0.0))


def test_binary_codes_and_predict():
    head = make_head()
    z = torch.tensor([[-2., 0., 3., -1e-9]])
    torch.testing.assert_close(
        head.binary_codes(z), torch.tensor([[0., 1., 1., 0.]]))
    samples = head.predict((torch.randn(5, 10), ))
    for sample in samples:
        assert set(sample.hash_code.tolist()) <= {-1.0, 1.0}
        torch.testing.assert_close(
            sample.hash_code, torch.where(sample.hash_logits >= 0, 1., -1.))


def test_loss_is_triplet_loss_of_thresholded_codes():
    head = make_head()
    head.fch.weight.data.normal_(0, 0.3)
    feats = (torch.randn(6, 10), )
    samples = [DataSample().set_gt_label([c]) for c in (0, 0, 1, 1, 2, 2)]
    codes = head.continuous_codes(head(feats))
    expected = reference_triplet(codes.detach().numpy(),
                                 np.eye(3, dtype=np.int64)[[0, 0, 1, 1, 2, 2]])
    assert head.loss(feats, samples)['loss'].item() == pytest.approx(
        expected, rel=1e-5)


@pytest.mark.parametrize('kwargs,match',
                         [(dict(num_bits=12, in_channels=10), 'in_channels'),
                          (dict(epsilon=0.5), 'epsilon'),
                          (dict(epsilon=-0.1), 'epsilon')])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_head(**kwargs)


def test_bad_margin():
    with pytest.raises(ValueError, match='margin'):
        TripletRankingLoss(margin=0)
