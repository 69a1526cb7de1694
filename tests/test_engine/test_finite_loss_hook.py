"""FiniteLossHook: the first NaN / inf loss stops training, naming the
iteration, the loss terms and the images."""
import pytest
import torch
from mmpretrain.structures import DataSample

from hashnet_mm.engine.hooks import FiniteLossHook, NonFiniteLossError


class FakeRunner:
    iter = 36


def batch(inputs):
    return dict(
        inputs=inputs,
        data_samples=[
            DataSample(metainfo=dict(img_path=f'img{i}.jpg'))
            for i in range(len(inputs))
        ])


def test_finite_losses_pass():
    loss = torch.tensor(0.5, requires_grad=True)
    FiniteLossHook().after_train_iter(
        FakeRunner(), 0, batch(torch.zeros(2, 3, 4, 4)),
        dict(
            loss=loss * 2,
            loss_pair=loss,
            objective_binary=torch.tensor(
                float('nan'))))  # not a loss term: logged, not checked


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_loss_names_iteration_terms_and_images(bad):
    inputs = torch.zeros(3, 3, 4, 4)
    with pytest.raises(
            NonFiniteLossError,
            match=r'non-finite loss at training iteration 37 '
            rf'\(0-based 36\): loss={bad}; batch images: img0.jpg, '
            'img1.jpg, img2.jpg'):
        FiniteLossHook().after_train_iter(
            FakeRunner(), 0, batch(inputs),
            dict(loss=torch.tensor(bad), loss_pair=torch.tensor(1.0)))


def test_images_with_non_finite_pixels_come_first():
    inputs = torch.zeros(12, 3, 4, 4)
    inputs[7, 0, 1, 1] = float('nan')
    with pytest.raises(
            NonFiniteLossError,
            match='images with NaN/inf pixels: img7.jpg. '):
        FiniteLossHook().after_train_iter(
            FakeRunner(), 0, batch(inputs),
            dict(loss=torch.tensor(float('nan'))))
    many = batch(torch.zeros(12, 3, 4, 4))
    with pytest.raises(NonFiniteLossError, match=r'img7.jpg ... \(4 more\)'):
        FiniteLossHook().after_train_iter(
            FakeRunner(), 0, many, dict(loss=torch.tensor(float('inf'))))


def test_runs_before_the_checkpoint_hook():
    from mmengine.hooks import CheckpointHook
    from mmengine.runner.priority import get_priority
    assert get_priority(FiniteLossHook.priority) < get_priority(
        CheckpointHook.priority)
