"""J(g) and L(h) logging of HashHead (paper fig. 6) and its subclasses."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import hashnet_mm  # noqa: F401

LABELS = [0, 0, 1, 1, 2, 3]


def batch(in_channels=8):
    feats = (torch.randn(len(LABELS), in_channels) * 3, )
    samples = [DataSample().set_gt_label([c]) for c in LABELS]
    return feats, samples


def at_iteration(iteration):
    MessageHub.get_current_instance().update_info('iter', iteration)


@pytest.fixture(autouse=True)
def reset_iteration():
    yield
    at_iteration(0)


HEADS = [
    dict(type='HashHead', loss=dict(type='WeightedPairwiseLoss', alpha=0.5)),
    dict(type='HashHead', loss=dict(type='DHNLoss')),
    dict(type='LinearHashHead'),
    dict(type='DivideEncodeHashHead'),
]


@pytest.mark.parametrize('head_cfg', HEADS, ids=lambda c: c['type'])
def test_objectives_are_the_loss_on_continuous_and_binary_codes(head_cfg):
    head = MODELS.build(
        dict(head_cfg, num_bits=4, in_channels=8, objective_interval=5))
    head.init_weights()
    head.beta = 2.0
    feats, samples = batch()
    labels = torch.eye(4)[LABELS]
    at_iteration(9)
    losses = head.loss(feats, samples)
    z = head(feats)
    torch.testing.assert_close(
        losses['objective_continuous'],
        head.loss_module(head.continuous_codes(z), labels))
    torch.testing.assert_close(losses['objective_binary'],
                               head.loss_module(head.binary_codes(z), labels))
    torch.testing.assert_close(losses['objective_continuous'],
                               losses['loss'].detach())
    assert losses['loss'].requires_grad
    assert not losses['objective_continuous'].requires_grad
    assert not losses['objective_binary'].requires_grad


def test_hashnet_codes_are_tanh_beta_z_and_sign_z():
    head = MODELS.build(dict(type='HashHead', num_bits=4, in_channels=8))
    head.beta = 3.0
    z = torch.tensor([[-2.0, 0.0, 0.1, 5.0]])
    torch.testing.assert_close(head.continuous_codes(z), torch.tanh(3 * z))
    torch.testing.assert_close(
        head.binary_codes(z), torch.tensor([[-1.0, 1.0, 1.0, 1.0]]))


@pytest.mark.parametrize('iteration,logged', [(0, False),
                                              (3, False), (4, True), (9, True),
                                              (10, False)])
def test_logged_on_the_logger_iterations(iteration, logged):
    head = MODELS.build(
        dict(type='HashHead', num_bits=4, in_channels=8, objective_interval=5))
    at_iteration(iteration)
    keys = set(head.loss(*batch()))
    assert keys == ({'loss', 'objective_continuous', 'objective_binary'}
                    if logged else {'loss'})


def test_off_by_default_and_not_summed_into_the_loss():
    plain = MODELS.build(dict(type='HashHead', num_bits=4, in_channels=8))
    at_iteration(4)
    assert set(plain.loss(*batch())) == {'loss'}
    model = ImageClassifier(
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='HashHead', num_bits=4, in_channels=64, objective_interval=1))
    images = torch.randn(len(LABELS), 1, 16, 16)
    losses = model.loss(images, batch()[1])
    total, log_vars = model.parse_losses(losses)
    assert set(log_vars) == {
        'loss', 'objective_continuous', 'objective_binary'
    }
    torch.testing.assert_close(total, losses['loss'])


@pytest.mark.parametrize('interval', [0, -2, 1.5, True])
def test_bad_interval(interval):
    with pytest.raises(ValueError, match='objective_interval'):
        MODELS.build(
            dict(
                type='HashHead',
                num_bits=4,
                in_channels=8,
                objective_interval=interval))
