"""BRE: the exact coordinate line search and the objective."""
import numpy as np
import pytest
import torch

from hashnet_mm.codes import sign_codes
from hashnet_mm.shallow import BRE, LSH
from hashnet_mm.shallow.bre import coordinate_step, prefix_flip_changes
from .data import clusters_split, retrieval_map_of, splits


def random_problem(n, seed):
    rng = np.random.default_rng(seed)
    gain = rng.normal(size=(n, n))
    gain = torch.tensor(gain + gain.T)
    response = torch.tensor(rng.normal(size=n))
    column = torch.tensor(rng.normal(size=n))
    column[0] = 0.0  # a row this weight cannot move
    signs = sign_codes(response).double()
    return gain, signs, response, column


def test_prefix_changes_match_flipping_one_by_one():
    gain, signs, _, _ = random_problem(9, 0)
    order = torch.tensor([4, 0, 7, 2, 8])
    changes = prefix_flip_changes(gain, signs, order)
    base = signs @ gain @ signs
    flipped = signs.clone()
    assert changes[0] == 0
    for m, row in enumerate(order.tolist(), 1):
        flipped[row] *= -1
        assert changes[m].item() == pytest.approx(
            (flipped @ gain @ flipped - base).item(), abs=1e-9)


@pytest.mark.parametrize('seed', range(5))
def test_line_search_is_exact(seed):
    gain, signs, response, column = random_problem(30, seed)

    def score(step):
        s = sign_codes(response + step * column).double()
        return (s @ gain @ s).item()

    step = coordinate_step(gain, signs, response, column)
    # Plain scan: every flip point +- a little, and a fine grid.
    flips = (-response[1:] / column[1:]).numpy()
    candidates = np.r_[flips - 1e-7, flips + 1e-7, np.linspace(-50, 50, 20001)]
    best = max(score(c) for c in candidates)
    assert score(step) == pytest.approx(best, abs=1e-9)
    assert score(step) >= score(0.0)


@pytest.mark.parametrize('supervised', [True, False])
def test_objective_never_increases(supervised):
    x, labels = clusters_split(80)
    history = BRE(
        8, supervised=supervised, num_anchors=16, num_train=80,
        num_sweeps=3).fit(x, labels).objective_history
    assert all(b <= a + 1e-9 for a, b in zip(history, history[1:]))
    assert history[-1] < 0.9 * history[0]


def test_supervised_bre_beats_lsh():
    data = splits(clusters_split)
    x, labels = data['train']
    bre = retrieval_map_of(
        BRE(8, num_anchors=32, num_train=200).fit(x, labels), data)
    lsh = retrieval_map_of(LSH(8).fit(x), data)
    assert bre > lsh + 0.08, (bre, lsh)


def test_euclidean_bre_preserves_distances():
    rng = np.random.default_rng(0)
    x = np.abs(rng.normal(size=(120, 5)))
    model = BRE(
        16, supervised=False, num_anchors=24, num_train=120,
        num_sweeps=3).fit(x)
    codes = model.encode(x).double()
    hamming = ((16 - codes @ codes.t()) / 2 / 16).numpy()
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    target = ((unit[:, None] - unit[None])**2).sum(-1) / 2
    upper = np.triu_indices(len(x), 1)
    assert np.corrcoef(hamming[upper], target[upper])[0, 1] > 0.6
