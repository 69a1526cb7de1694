import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import hashnet_mm  # noqa: F401
from hashnet_mm.models.heads.hash_head import batch_multi_hot_labels


def make_head(**kwargs):
    return MODELS.build(
        dict(type='HashHead', num_bits=16, in_channels=8, **kwargs))


def test_predict_stores_exact_binary_codes():
    head = make_head()
    head.init_weights()
    feats = (torch.randn(5, 8), )
    samples = head.predict(feats, [DataSample() for _ in range(5)])
    logits = head(feats)
    for sample, z in zip(samples, logits):
        assert sample.hash_code.dtype == torch.float32
        assert set(sample.hash_code.unique().tolist()) <= {-1.0, 1.0}
        torch.testing.assert_close(sample.hash_code, torch.sign(z))
        torch.testing.assert_close(sample.hash_logits, z)


def test_zero_logit_maps_to_plus_one():
    head = make_head()
    torch.nn.init.zeros_(head.fch.weight)
    torch.nn.init.zeros_(head.fch.bias)
    samples = head.predict((torch.randn(3, 8), ))
    assert all((s.hash_code == 1).all() for s in samples)


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_predict_refuses_non_finite_logits(bad):
    """sign(NaN) would be a code (-1): every diverged image would tie."""
    head = make_head()
    head.init_weights()
    feats = torch.randn(4, 8)
    feats[1, 0] = bad  # one image's feature: all 16 of its logits
    samples = [
        DataSample(metainfo=dict(img_path=f'img{i}.png')) for i in range(4)
    ]
    with pytest.raises(
            ValueError,
            match=r'16 of 64 hash-layer outputs are NaN or inf, '
            r'in 1 of 4 images \(img1.png\)'):
        head.predict((feats, ), samples)
    with pytest.raises(ValueError, match='sample 1'):
        head.predict((feats, ))


def test_predict_accepts_huge_finite_logits():
    head = make_head()
    head.init_weights()
    samples = head.predict((torch.full((2, 8), 1e30), ))
    assert all(
        set(s.hash_code.unique().tolist()) <= {-1.0, 1.0} for s in samples)


def test_loss_uses_tanh_beta_z():
    head = make_head(loss=dict(type='WeightedPairwiseLoss', alpha=0.5))
    head.beta = 3.0
    feats = (torch.randn(6, 8), )
    samples = [DataSample().set_gt_label([c]) for c in (0, 0, 1, 1, 2, 3)]
    expected = head.loss_module(
        torch.tanh(3.0 * head(feats)),
        torch.eye(4)[[0, 0, 1, 1, 2, 3]])
    torch.testing.assert_close(head.loss(feats, samples)['loss'], expected)


def test_labels_from_scores_or_indices_agree():
    indices = [[0, 2], [1], [], [2]]
    by_index = [DataSample().set_gt_label(i) for i in indices]
    scores = torch.zeros(4, 3)
    for row, i in zip(scores, indices):
        row[i] = 1
    by_score = [DataSample().set_gt_score(s) for s in scores]
    torch.testing.assert_close(
        batch_multi_hot_labels(by_index), batch_multi_hot_labels(by_score))


@pytest.mark.parametrize('num_bits', [0, -4, 2.5, True])
def test_bad_bit_length(num_bits):
    with pytest.raises(ValueError, match='num_bits'):
        MODELS.build(dict(type='HashHead', num_bits=num_bits, in_channels=8))


def test_a_loss_taking_num_bits_gets_the_heads():
    """``model.head.num_bits`` alone sets the width of a class-target
    loss's centers; a different length in the loss is an error."""
    head = MODELS.build(
        dict(
            type='HashHead',
            num_bits=24,
            in_channels=4,
            loss=dict(type='DPNLoss', num_classes=3)))
    assert head.loss_module.num_bits == 24
    assert head.loss_module.hash_centers.centers.shape == (3, 24)
    with pytest.raises(ValueError, match='set only model.head.num_bits'):
        MODELS.build(
            dict(
                type='HashHead',
                num_bits=24,
                in_channels=4,
                loss=dict(type='DPNLoss', num_classes=3, num_bits=16)))
