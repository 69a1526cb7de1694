"""tools/model_converters/efficientnet_lite0_to_mmpretrain.py: the converted
TIMMBackbone computes what the original EfficientNet-Lite0 computes."""
import os.path as osp

import matplotlib
import numpy as np
import pytest
import torch
from efficientnet_lite_pytorch import EfficientNet
from mmpretrain.registry import MODELS
from PIL import Image

import hashnet_mm  # noqa: F401
from ..tool_modules import load_tool

converter = load_tool('model_converters/efficientnet_lite0_to_mmpretrain.py')
# A real photograph that ships with matplotlib (Grace Hopper in uniform).
PHOTO = osp.join(matplotlib.get_data_path(), 'sample_data', 'grace_hopper.jpg')
MILITARY_UNIFORM = 652  # its ImageNet class


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('ckpt') / 'lite0.pth')
    return converter.main(['--out', out])


def photo_batch(size=224):
    """The photo resized to size x size, normalised as (x - 127) / 128."""
    image = Image.open(PHOTO).convert('RGB').resize((size, size))
    pixels = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)
    return (pixels[None].float() - 127.) / 128.


def test_same_features_as_the_original(checkpoint):
    original = EfficientNet.from_pretrained(
        'efficientnet-lite0', weights_path=converter.default_source()).eval()
    backbone = MODELS.build(
        dict(
            type='TIMMBackbone',
            model_name='tf_efficientnet_lite0',
            init_cfg=dict(
                type='Pretrained', checkpoint=checkpoint, prefix='backbone')))
    backbone.init_weights()
    backbone.eval()
    x = photo_batch()
    with torch.no_grad():
        (features, ) = backbone(x)
        expected = original.extract_features(x)
        # The weights are the real ImageNet ones.
        assert original(x).argmax().item() == MILITARY_UNIFORM
    assert features.shape == (1, 1280, 7, 7)
    torch.testing.assert_close(features, expected, rtol=1e-5, atol=1e-5)


def test_checkpoint_layout(checkpoint):
    saved = torch.load(checkpoint, map_location='cpu', weights_only=True)
    keys = list(saved['state_dict'])
    assert all(k.startswith('backbone.timm_model.') for k in keys)
    assert not any('classifier' in k for k in keys)
    assert saved['meta']['timm_model'] == 'tf_efficientnet_lite0'


def test_weights_that_do_not_fit_are_refused():
    source = torch.load(
        converter.default_source(), map_location='cpu', weights_only=True)
    target = converter.timm_backbone()
    source['_conv_head.weight'] = source['_conv_head.weight'][:640]
    with pytest.raises(
            ValueError,
            match=r'conv_head.weight: shape '
            r'\(640, 320, 1, 1\), tf_efficientnet_lite0 needs '
            r'\(1280, 320, 1, 1\)'):
        converter.convert_state_dict(source, target)
    del source['_blocks.3._expand_conv.weight']
    with pytest.raises(
            ValueError,
            match=r'_blocks.3._bn0.weight: no '
            'counterpart in tf_efficientnet_lite0'):
        converter.convert_state_dict(source, target)
