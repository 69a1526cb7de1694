"""FeatureMLP (the feature track's trunk) and FeatureDataPreprocessor."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import hashnet_mm  # noqa: F401


def test_identity_trunk_l2_normalises():
    x = torch.tensor([[3., 4.], [0., 0.], [-1., 0.]])
    trunk = MODELS.build(
        dict(type='FeatureMLP', in_channels=2, input_norm='l2'))
    (out, ) = trunk(x)
    reference = x.numpy() / np.maximum(
        np.linalg.norm(x.numpy(), axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(out.numpy(), reference, rtol=1e-6)
    assert out[1].tolist() == [0., 0.]  # a zero vector stays zero
    raw = MODELS.build(dict(type='FeatureMLP', in_channels=2, input_norm=None))
    assert torch.equal(raw(x)[0], x) and raw.out_channels == 2


def test_mlp_layers_match_a_plain_computation():
    torch.manual_seed(0)
    trunk = MODELS.build(
        dict(
            type='FeatureMLP',
            in_channels=5,
            hidden_channels=(7, 3),
            input_norm=None))
    assert trunk.out_channels == 3
    x = torch.randn(4, 5)
    w1, b1, w2, b2 = (p.detach().numpy() for p in trunk.parameters())
    hidden = np.maximum(x.numpy() @ w1.T + b1, 0)
    expected = np.maximum(hidden @ w2.T + b2, 0)
    np.testing.assert_allclose(
        trunk(x)[0].detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_default_trunk_standardises_each_dimension():
    """BatchNorm1d without affine parameters: batch statistics in
    training, the running ones (momentum 0.1 from 0 / 1) in testing."""
    x = torch.tensor([[1., 10.], [3., 30.], [5., 20.], [7., 40.]])
    trunk = MODELS.build(dict(type='FeatureMLP', in_channels=2))
    assert trunk.input_norm == 'batchnorm'
    trunk.train()
    mean, var = x.numpy().mean(0), x.numpy().var(0)
    np.testing.assert_allclose(
        trunk(x)[0].numpy(), (x.numpy() - mean) / np.sqrt(var + 1e-5),
        rtol=1e-5)
    trunk.eval()
    running_mean = 0.1 * mean
    running_var = 0.9 + 0.1 * x.numpy().var(0, ddof=1)
    np.testing.assert_allclose(
        trunk(x)[0].numpy(),
        (x.numpy() - running_mean) / np.sqrt(running_var + 1e-5),
        rtol=1e-5)


def test_trunk_errors():
    with pytest.raises(ValueError, match='integers >= 1'):
        MODELS.build(
            dict(type='FeatureMLP', in_channels=4, hidden_channels=(0, )))
    with pytest.raises(ValueError, match=r'dropout must be in \[0, 1\)'):
        MODELS.build(dict(type='FeatureMLP', in_channels=4, dropout=1.0))
    with pytest.raises(ValueError, match="input_norm must be 'l2'"):
        MODELS.build(
            dict(type='FeatureMLP', in_channels=4, input_norm='layer'))
    trunk = MODELS.build(dict(type='FeatureMLP', in_channels=4))
    with pytest.raises(ValueError, match=r'expected \(N, 4\) features'):
        trunk(torch.zeros(2, 5))


def test_preprocessor_stacks_features_and_one_hot_labels():
    pre = MODELS.build(
        dict(type='FeatureDataPreprocessor', num_classes=4, to_onehot=True))
    inputs = [torch.arange(3, dtype=torch.float64) + i for i in range(2)]
    samples = [
        DataSample().set_gt_label([1, 3]),
        DataSample().set_gt_label([0])
    ]
    out = pre(dict(inputs=inputs, data_samples=samples))
    assert out['inputs'].dtype == torch.float32
    np.testing.assert_array_equal(out['inputs'].numpy(),
                                  [[0, 1, 2], [1, 2, 3]])
    scores = np.stack([s.gt_score.numpy() for s in out['data_samples']])
    np.testing.assert_array_equal(scores, [[0, 1, 0, 1], [1, 0, 0, 0]])
    # An already stacked batch passes as it is.
    batch = pre(dict(inputs=torch.ones(2, 3, dtype=torch.int64)))
    assert batch['inputs'].dtype == torch.float32


def test_preprocessor_errors():
    with pytest.raises(
            ValueError, match=r"\['mean', 'std'\] apply to "
            'images'):
        MODELS.build(dict(type='FeatureDataPreprocessor', mean=[1.], std=[2.]))
    pre = MODELS.build(dict(type='FeatureDataPreprocessor'))
    with pytest.raises(ValueError, match='vectors of one length'):
        pre(dict(inputs=[torch.zeros(3), torch.zeros(4)]))
    with pytest.raises(ValueError, match=r'expected an \(N, d\) batch'):
        pre(dict(inputs=torch.zeros(2, 3, 4)))
