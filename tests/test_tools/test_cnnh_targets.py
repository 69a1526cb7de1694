"""tools/cnnh_targets.py (CNNH stage 1) against direct recomputation, and
stage 1 -> stage 2 on tiny made images."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from hashnet_mm.models.heads.target_code_head import load_target_codes
from ..test_configs import point_at
from ..tool_modules import load_tool
from .test_train_test import CONFIGS

cnnh = load_tool('cnnh_targets.py')
DEMO_CNNH = osp.join(CONFIGS, 'cnnh',
                     'cnnh_resnet18cifar_1xb64_fashionmnist-demo_32bit.py')


def squared_error(similarity, codes):
    """||H H^T - K S||_F^2, written out entry by entry."""
    n, k = codes.shape
    return sum((codes[a] @ codes[b] - k * similarity[a, b])**2
               for a in range(n) for b in range(n))


def test_similarity_matrix():
    labels = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]])
    expected = np.array([[1, 1, -1, -1], [1, 1, -1, -1], [-1, -1, 1, -1],
                         [-1, -1, -1, 1]])
    np.testing.assert_array_equal(cnnh.similarity_matrix(labels), expected)


def test_entry_polynomial_is_the_exact_change_of_the_objective():
    rng = np.random.default_rng(0)
    similarity = cnnh.similarity_matrix(np.eye(3, dtype=int)[[0, 1, 1, 2, 0]])
    codes = rng.uniform(-1, 1, size=(5, 3))
    residual = codes @ codes.T - 3 * similarity
    for i, j, d in [(0, 0, 0.3), (4, 2, -1.2), (2, 1, 0.05)]:
        a1, a2, a3 = cnnh.entry_coefficients(residual, codes[:, j],
                                             (codes[:, j]**2).sum(), i)
        moved = codes.copy()
        moved[i, j] += d
        change = squared_error(similarity, moved) - \
            squared_error(similarity, codes)
        assert a1 * d + a2 * d**2 + a3 * d**3 + d**4 == \
            pytest.approx(change, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    'a1,a2,a3,low,high',
    [
        (3.0, 2.0, 0.5, -1.5, 0.5),  # Newton step inside the interval
        (-8.0, 1.0, 0.0, -0.2, 0.4),  # Newton step clipped at high
        (1.0, -3.0, 2.0, -1.0, 1.0),  # concave at 0: an end is best
        (0.0, 1.0, 0.0, -1.0, 1.0),  # already a minimum
    ])
def test_coordinate_step_never_increases_the_objective(a1, a2, a3, low, high):
    d = cnnh.coordinate_step(a1, a2, a3, low, high)

    def f(x):
        return a1 * x + a2 * x**2 + a3 * x**3 + x**4

    assert low <= d <= high and f(d) <= 0.0
    candidates = [low, high
                  ] + ([min(max(-a1 / (2 * a2), low), high)] if a2 > 0 else [])
    assert f(d) <= min(f(c) for c in candidates) + 1e-12


def test_learned_codes_separate_the_classes():
    classes = np.random.default_rng(2).integers(4, size=40)
    similarity = cnnh.similarity_matrix(np.eye(4, dtype=int)[classes])
    codes, history = cnnh.learn_target_codes(similarity, 8, sweeps=4, seed=1)
    assert codes.dtype == np.int8 and set(np.unique(codes)) == {-1, 1}
    assert len(history) == 4
    assert all(b <= a + 1e-12 for a, b in zip(history, history[1:]))
    for a in range(40):
        for b in range(40):
            same = classes[a] == classes[b]
            assert (codes[a] == codes[b]).all() == same


def test_bad_inputs():
    with pytest.raises(ValueError, match='symmetric'):
        cnnh.learn_target_codes(np.ones((3, 2)), 4)
    with pytest.raises(ValueError, match='num_bits'):
        cnnh.learn_target_codes(np.ones((3, 3)), 0)


@pytest.mark.slow
def test_stage_one_then_stage_two(tmp_path, tiny_single_label):
    # Stage 1 and 2 on the whole list (the configs hold validation queries
    # out; the target file follows whatever the training set is).
    options = [
        f'train_dataloader.dataset.data_root={tiny_single_label}',
        'train_dataloader.dataset.subset=all'
    ]
    out = cnnh.main([
        DEMO_CNNH, '--bits', '8', '--sweeps', '3', '--out',
        str(tmp_path / 'targets_{num_bits}.npz'), '--cfg-options', *options
    ])
    codes, paths = load_target_codes(out)
    with open(osp.join(tiny_single_label, 'train.txt')) as f:
        lines = [line.split() for line in f if line.strip()]
    assert out.endswith('targets_8.npz') and codes.shape == (32, 8)
    assert paths == [
        osp.abspath(osp.join(tiny_single_label, line[0])) for line in lines
    ]
    classes = [line[1:].index('1') for line in lines]
    for a in range(32):
        assert [b for b in range(32) if (codes[a] == codes[b]).all()] == \
            [b for b in range(32) if classes[b] == classes[a]]

    cfg = point_at(
        Config.fromfile(DEMO_CNNH),
        tiny_single_label,
        str(tmp_path / 'work'),
        max_iters=3,
        batch_size=8)
    cfg.train_dataloader.dataset.subset = 'all'
    cfg.model.head.update(num_bits=8, targets_file=out, objective_interval=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    assert hub.get_scalar('train/loss').current() > 0
    # L(h) = 4 x the mean Hamming distance of sgn(z) to the targets over
    # a batch of 8: a multiple of 1/2 in [0, 32].
    binary = hub.get_scalar('train/objective_binary').current()
    assert 0 <= binary <= 32 and 2 * binary == pytest.approx(
        round(2 * binary), abs=1e-5)
