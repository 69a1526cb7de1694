"""CNNH stage 2: CodeRegressionLoss and TargetCodeHashHead."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from hashnet_mm.models.heads.target_code_head import (load_target_codes,
                                                      save_target_codes)
from hashnet_mm.models.losses import CodeRegressionLoss
from .reference import numeric_gradient


def reference_regression(codes, targets):
    """Mean over images of sum_k (u_ik - t_ik)^2, in loops."""
    total = 0.0
    for row, target in zip(np.asarray(codes, dtype=np.float64), targets):
        total += sum((u - t)**2 for u, t in zip(row, target))
    return total / len(codes)


def test_regression_matches_reference_and_gradient():
    rng = np.random.default_rng(0)
    codes = np.tanh(rng.normal(size=(5, 6)) * 2)
    targets = rng.choice([-1, 1], size=(5, 6))
    codes_t = torch.tensor(codes, requires_grad=True)
    loss = CodeRegressionLoss()(codes_t, torch.tensor(targets))
    assert loss.item() == pytest.approx(
        reference_regression(codes, targets), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(
        codes_t.grad.numpy(),
        numeric_gradient(lambda u: reference_regression(u, targets), codes),
        rtol=1e-6,
        atol=1e-8)


def test_regression_on_binary_codes_is_four_hamming():
    codes = torch.tensor([[1., -1., 1.], [1., 1., 1.]])
    targets = torch.tensor([[1, 1, -1], [1, 1, 1]], dtype=torch.int8)
    assert CodeRegressionLoss()(codes, targets).item() == 4 * (2 + 0) / 2


def test_regression_extreme_codes_and_bad_shapes():
    codes = torch.tensor([[1e150, -1e150]], dtype=torch.float64)
    assert CodeRegressionLoss()(codes, torch.tensor([[1, 1]])).item() == \
        pytest.approx(2e300)
    with pytest.raises(ValueError, match='same shape'):
        CodeRegressionLoss()(torch.ones(2, 3), torch.ones(2, 4))


@pytest.fixture
def targets_file(tmp_path):
    """8 images, 4-bit targets, written by the tool's format."""
    paths = [str(tmp_path / 'images' / f'{i}.png') for i in range(8)]
    codes = np.random.default_rng(1).choice([-1, 1], size=(8, 4))
    template = str(tmp_path / 'targets_{num_bits}bit.npz')
    save_target_codes(template.format(num_bits=4), codes, paths)
    return template, paths, codes


def samples_for(indices, paths):
    return [
        DataSample(
            metainfo=dict(sample_idx=i, img_path=paths[i])).set_gt_label([0])
        for i in indices
    ]


def make_head(template, num_bits=4):
    head = MODELS.build(
        dict(
            type='TargetCodeHashHead',
            num_bits=num_bits,
            in_channels=3,
            targets_file=template))
    head.init_weights()
    return head


def test_head_fits_tanh_codes_to_each_images_target(targets_file):
    template, paths, codes = targets_file
    head = make_head(template)
    feats = (torch.randn(3, 3), )
    loss = head.loss(feats, samples_for([5, 0, 7], paths))['loss']
    expected = reference_regression(
        torch.tanh(head(feats)).detach().numpy(), codes[[5, 0, 7]])
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_file_round_trip_keeps_absolute_paths(targets_file, tmp_path):
    template, paths, codes = targets_file
    loaded, loaded_paths = load_target_codes(template.format(num_bits=4))
    np.testing.assert_array_equal(loaded, codes)
    assert loaded.dtype == np.int8 and loaded_paths == paths
    relative = osp.relpath(str(tmp_path / 'x.npz'))
    save_target_codes(relative, codes[:1], ['a/b.png'])
    assert load_target_codes(relative)[1] == [osp.abspath('a/b.png')]


def test_wrong_image_is_an_error(targets_file):
    template, paths, _ = targets_file
    head = make_head(template)
    swapped = samples_for([1, 2], paths)
    swapped[1].set_metainfo(dict(img_path=paths[3]))
    with pytest.raises(ValueError, match='training sample 2 is'):
        head.loss((torch.randn(2, 3), ), swapped)
    beyond = samples_for([1], paths)
    beyond[0].set_metainfo(dict(sample_idx=8))
    with pytest.raises(ValueError, match='no such row'):
        head.loss((torch.randn(1, 3), ), beyond)


def test_missing_file_and_wrong_bits(targets_file, tmp_path):
    template, paths, _ = targets_file
    with pytest.raises(FileNotFoundError, match='tools/cnnh_targets.py'):
        make_head(
            template, num_bits=8).loss((torch.randn(1, 3), ),
                                       samples_for([0], paths))
    save_target_codes(
        template.format(num_bits=6), np.ones((8, 4), dtype=np.int64), paths)
    with pytest.raises(ValueError, match='4-bit targets for a 6-bit head'):
        make_head(
            template, num_bits=6).loss((torch.randn(1, 3), ),
                                       samples_for([0], paths))


def test_testing_needs_no_file(tmp_path):
    head = make_head(str(tmp_path / 'absent_{num_bits}.npz'))
    samples = head.predict((torch.randn(2, 3), ))
    assert samples[0].hash_code.shape == (4, )


def test_bad_target_values(tmp_path):
    with pytest.raises(ValueError, match='codes in'):
        save_target_codes(
            str(tmp_path / 'x.npz'), np.zeros((2, 3)), ['a', 'b'])
