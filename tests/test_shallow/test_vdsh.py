"""VDSH: every update is an exact block minimiser, so the objective never
increases; codes are binary; the back-propagation baseline."""
import numpy as np
import pytest
import torch

from hashnet_mm.shallow import LSH, VDSH, BackpropHashMLP
from hashnet_mm.shallow.vdsh import relu_preact_update

from .data import retrieval_map_of

EXACT = dict(dtype=torch.float64, penalty_growth=1.0)


def test_objective_never_increases_at_fixed_penalties(separable):
    x, labels = separable['train']
    model = VDSH(8, depth=3, width=12, num_iters=15, code_weight=0.5,
                 preact_weight=0.5, act_weight=0.5, **EXACT).fit(x, labels)
    values = [h['objective'] for h in model.history]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(values, values[1:]))
    assert values[-1] < 0.5 * values[0]
    assert model.history[0]['objective'] == pytest.approx(
        model.history[0]['forward_objective'])


def test_every_block_update_lowers_the_objective(separable):
    x, labels = separable['train']
    model = VDSH(8, depth=2, width=10, num_iters=3, **EXACT).fit(x, labels)
    steps = [
        model._update_network, model._update_codes, model._update_classifier
    ]
    for _ in range(3):
        for step in steps:
            before = model.objective()
            step()
            assert model.objective() <= before * (1 + 1e-12), step


def test_preact_update_is_the_entrywise_minimiser():
    rng = np.random.default_rng(0)
    m, a = rng.normal(size=200), np.abs(rng.normal(size=200)) * \
        (rng.random(200) < 0.7)
    beta, gamma = 0.7, 1.9
    z = relu_preact_update(torch.tensor(m), torch.tensor(a), beta, gamma)
    grid = np.linspace(-6, 6, 120001)
    for mi, ai, zi in zip(m, a, z.numpy()):
        cost = beta * (grid - mi)**2 + gamma * (ai - np.maximum(grid, 0))**2
        own = beta * (zi - mi)**2 + gamma * (ai - max(zi, 0))**2
        assert own <= cost.min() + 1e-9


def test_activation_update_solves_its_least_squares(separable):
    """(U2) against a plain stacked least-squares solve."""
    x, labels = separable['train']
    model = VDSH(6, depth=2, width=7, num_iters=1, **EXACT).fit(x, labels)
    layer = 1
    w, c = model.weights[layer].numpy(), model.biases[layer].numpy()
    relu_z = model.preacts[layer - 1].relu().numpy()
    target = model.preacts[layer].numpy()
    beta, gamma = model.beta, model.gamma
    lhs = np.r_[np.sqrt(gamma) * np.eye(7), np.sqrt(beta) * w.T]
    rhs = np.r_[np.sqrt(gamma) * relu_z.T, np.sqrt(beta) * (target - c).T]
    expected = np.linalg.lstsq(lhs, rhs, rcond=None)[0].T
    solved = model._solve_activation(layer, model.preacts[layer], beta)
    assert np.allclose(solved.numpy(), expected, atol=1e-10)


def test_codes_and_auxiliary_codes_are_binary(separable):
    x, labels = separable['train']
    model = VDSH(16, depth=3, width=16, num_iters=4).fit(x, labels)
    assert set(model.codes.unique().tolist()) == {-1.0, 1.0}
    codes = model.encode(x)
    assert codes.dtype == torch.float32
    assert set(codes.unique().tolist()) == {-1.0, 1.0}


def test_very_deep_network_trains(separable):
    x, labels = separable['train']
    model = VDSH(8, depth=64, width=8, num_iters=3, **EXACT).fit(x, labels)
    assert len(model.weights) == 65
    values = [h['objective'] for h in model.history]
    assert values[-1] < values[0]


def test_learns_supervised_codes(separable):
    x, labels = separable['train']
    vdsh = retrieval_map_of(
        VDSH(8, depth=2, width=32, num_iters=20).fit(x, labels), separable)
    lsh = retrieval_map_of(LSH(8).fit(x), separable)
    assert vdsh > 0.8 and vdsh > lsh + 0.4, (vdsh, lsh)


def test_backprop_baseline_shares_network_and_objective(separable):
    x, labels = separable['train']
    options = dict(depth=2, width=16, num_iters=6, seed=3, **EXACT)
    bp = BackpropHashMLP(8, lr=1e-2, steps_per_iter=10,
                         **options).fit(x, labels)
    vdsh = VDSH(8, **options).fit(x, labels)
    # Same initial network, codes and classifier, hence the same start.
    assert bp.history[0] == pytest.approx(vdsh.history[0], rel=1e-12,
                                          abs=1e-12)
    for record in bp.history:  # auxiliaries always equal the forward pass
        assert record['objective'] == pytest.approx(
            record['forward_objective'])
    assert bp.history[-1]['objective'] < bp.history[0]['objective']
    assert set(bp.encode(x).unique().tolist()) == {-1.0, 1.0}


@pytest.mark.parametrize('option', ['depth', 'width', 'num_iters'])
def test_bad_sizes(option):
    with pytest.raises(ValueError, match=option):
        VDSH(8, **{option: 0})
