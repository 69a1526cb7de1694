"""ChannelsLastDataPreprocessor: ClsDataPreprocessor's values, NHWC."""
import torch
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from hashnet_mm.models.data_preprocessors import ChannelsLastDataPreprocessor

SETTINGS = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    to_onehot=True,
    num_classes=5)


def batch(collated):
    images = torch.randint(
        0,
        256, (3, 3, 8, 8),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(0))
    samples = [
        DataSample().set_gt_label(label) for label in ([0, 4], [1], [2])
    ]
    return dict(
        inputs=images if collated else list(images), data_samples=samples)


def test_same_values_channels_last_layout():
    for collated in (True, False):
        expected = ClsDataPreprocessor(**SETTINGS)(batch(collated), True)
        fast = ChannelsLastDataPreprocessor(**SETTINGS)
        got = fast(batch(collated), True)
        assert fast._non_blocking
        assert got['inputs'].is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(
            got['inputs'], expected['inputs'], rtol=0, atol=0)
        for a, b in zip(got['data_samples'], expected['data_samples']):
            assert torch.equal(a.gt_score, b.gt_score)


def test_settings_off_is_cls_data_preprocessor():
    plain = ChannelsLastDataPreprocessor(
        channels_last=False, non_blocking=False, **SETTINGS)
    got = plain(batch(True), True)['inputs']
    assert not plain._non_blocking
    assert got.is_contiguous()
