"""VDSH: every primal update is an exact block minimiser, so the objective
never increases; the multipliers ascend on the constraint residuals and
shrink them; the identity prior keeps deep networks trainable; codes are
binary; the back-propagation baseline."""
import numpy as np
import pytest
import torch

from hashnet_mm.shallow import LSH, VDSH, BackpropHashMLP
from hashnet_mm.shallow.vdsh import relu_preact_update, ridge_with_bias
from .data import retrieval_map_of

EXACT = dict(dtype=torch.float64, penalty_growth=1.0)


@pytest.mark.parametrize('identity_prior', [True, False])
def test_objective_never_increases_at_fixed_penalties(separable,
                                                      identity_prior):
    """The quadratic-penalty method (no multipliers) at fixed penalties."""
    x, labels = separable['train']
    model = VDSH(
        8,
        depth=3,
        width=12,
        num_iters=15,
        code_weight=0.5,
        preact_weight=0.5,
        act_weight=0.5,
        multipliers=False,
        identity_prior=identity_prior,
        **EXACT).fit(x, labels)
    values = [h['objective'] for h in model.history]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(values, values[1:]))
    assert values[-1] < 0.5 * values[0]
    assert model.history[0]['objective'] == pytest.approx(
        model.history[0]['forward_objective'])


@pytest.mark.parametrize('multipliers', [True, False])
@pytest.mark.parametrize('identity_prior', [True, False])
def test_every_block_update_lowers_the_objective(separable, multipliers,
                                                 identity_prior):
    """(U1)-(U5) never raise E, whatever the multipliers are."""
    x, labels = separable['train']
    model = VDSH(
        8,
        depth=3,
        width=10,
        num_iters=3,
        multipliers=multipliers,
        identity_prior=identity_prior,
        **EXACT).fit(x, labels)
    assert any(dual.abs().max() > 0 for dual in model.duals) == multipliers
    steps = [
        model._update_network, model._update_codes, model._update_classifier
    ]
    for _ in range(3):
        for step in steps:
            before = model.objective()
            step()
            assert model.objective() <= before + 1e-12 * abs(before), step
        model._update_multipliers()


def test_multipliers_ascend_on_the_residuals(separable):
    """(U6) adds R_l = Z_l - A_{l-1} W_l - c_l to U_l; at the forward pass
    the augmented terms (V3) vanish whatever U is."""
    x, labels = separable['train']
    model = VDSH(8, depth=3, width=10, num_iters=2, **EXACT).fit(x, labels)
    before = [dual.clone() for dual in model.duals]
    residuals = [
        z - (a @ w + c) for z, a, w, c in zip(model.preacts, model.activations,
                                              model.weights, model.biases)
    ]
    model._update_multipliers()
    for old, new, residual in zip(before, model.duals, residuals):
        assert residual.abs().max() > 1e-6
        assert torch.allclose(new - old, residual, atol=1e-12)
    forward = model.objective(forward=True)
    model.duals = [torch.randn_like(dual) for dual in model.duals]
    assert model.objective(forward=True) == pytest.approx(forward, rel=1e-12)


def test_multipliers_shrink_the_constraint_residual(separable):
    """What makes it ADMM rather than a penalty method: at the same
    penalties, the auxiliary variables end much closer to the network."""
    x, labels = separable['train']
    final = {
        multipliers:
        VDSH(8, depth=4, width=16, num_iters=20,
             multipliers=multipliers).fit(x, labels).history[-1]['residual']
        for multipliers in (True, False)
    }
    assert final[True] < 0.3 * final[False], final


@pytest.mark.parametrize('with_prior', [True, False])
def test_ridge_with_bias_against_stacked_least_squares(with_prior):
    """argmin ||T - A W - 1 c^T||^2 + reg ||W - prior||^2 as one plain
    least-squares problem in (W, c); no prior means prior 0."""
    rng = np.random.default_rng(1)
    inputs, targets = rng.normal(size=(30, 5)), rng.normal(size=(30, 4))
    prior = rng.normal(size=(5, 4)) if with_prior else np.zeros((5, 4))
    reg = 0.7
    lhs = np.block([[inputs, np.ones((30, 1))],
                    [np.sqrt(reg) * np.eye(5),
                     np.zeros((5, 1))]])
    rhs = np.r_[targets, np.sqrt(reg) * prior]
    expected = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    weight, bias = ridge_with_bias(
        torch.tensor(inputs), torch.tensor(targets), reg,
        torch.tensor(prior) if with_prior else None)
    assert np.allclose(weight.numpy(), expected[:5], atol=1e-10)
    assert np.allclose(bias.numpy(), expected[5], atol=1e-10)


def test_identity_prior_starts_deep_network_as_one_hidden_layer(separable):
    x, labels = separable['train']
    model = VDSH(8, depth=6, width=12, num_iters=1).fit(x, labels)
    assert [prior is not None for prior in model.priors] == \
        [False] + [True] * 5 + [False]
    model._init_network(model.activations[0])
    for activation in model.activations[2:]:
        assert torch.equal(activation, model.activations[1])


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


def test_identity_prior_keeps_a_deep_network_retrieving(separable):
    """16 plain ReLU layers: He-normal starts towards 0 lose the codes,
    the identity prior keeps them."""
    x, labels = separable['train']
    maps = {
        prior:
        retrieval_map_of(
            VDSH(8, depth=16, width=32, num_iters=20,
                 identity_prior=prior).fit(x, labels), separable)
        for prior in (True, False)
    }
    assert maps[True] > 0.75 and maps[True] > maps[False] + 0.3, maps


def test_learns_supervised_codes(separable):
    x, labels = separable['train']
    vdsh = retrieval_map_of(
        VDSH(8, depth=2, width=32, num_iters=20).fit(x, labels), separable)
    lsh = retrieval_map_of(LSH(8).fit(x), separable)
    assert vdsh > 0.8 and vdsh > lsh + 0.4, (vdsh, lsh)


def test_backprop_baseline_shares_network_and_objective(separable):
    x, labels = separable['train']
    options = dict(depth=2, width=16, num_iters=6, seed=3, **EXACT)
    bp = BackpropHashMLP(
        8, lr=1e-2, steps_per_iter=10, **options).fit(x, labels)
    vdsh = VDSH(8, **options).fit(x, labels)
    # Same initial network, codes and classifier, hence the same start.
    assert bp.history[0] == pytest.approx(
        vdsh.history[0], rel=1e-12, abs=1e-12)
    for record in bp.history:  # auxiliaries always equal the forward pass
        assert record['objective'] == pytest.approx(
            record['forward_objective'])
    assert bp.history[-1]['objective'] < bp.history[0]['objective']
    assert set(bp.encode(x).unique().tolist()) == {-1.0, 1.0}
    # Nothing kept between iterations holds an autograd graph (a graph
    # kept per iteration ran a 64-layer run out of memory).
    kept = bp.preacts + bp.activations + bp.duals + bp.residuals + \
        [bp.codes, bp.classifier]
    assert not any(tensor.requires_grad for tensor in kept)


@pytest.mark.parametrize('option', ['depth', 'width', 'num_iters'])
def test_bad_sizes(option):
    with pytest.raises(ValueError, match=option):
        VDSH(8, **{option: 0})
