"""Tie-aware AP: the closed form against enumerating every tie order."""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.functional import (ranking_statistics,
                                              tie_aware_average_precision)
from .helpers import average_precision_at_r
from .reference import brute_force_tie_aware_ap


def counts(distance_list, relevant, num_bits):
    distance_list, relevant = np.asarray(distance_list), np.asarray(relevant)
    n = np.bincount(distance_list, minlength=num_bits + 1)
    r = np.bincount(
        distance_list[relevant.astype(bool)], minlength=num_bits + 1)
    return torch.tensor(n)[None], torch.tensor(r)[None]


def closed_form(distance_list, relevant, topk, no_relevant, num_bits=4):
    value = tie_aware_average_precision(
        *counts(distance_list, relevant, num_bits), topk, no_relevant).item()
    return None if np.isnan(value) else value


def tiny_cases(num_cases, seed):
    """Random tiny rankings: <= 8 items on 5 distances, so heavy ties."""
    rng = np.random.default_rng(seed)
    for _ in range(num_cases):
        num_items = int(rng.integers(1, 9))
        distance_list = rng.integers(0, 5, num_items).tolist()
        relevant = (rng.random(num_items) < rng.random()).tolist()
        topk = int(rng.integers(1, num_items + 2))  # may exceed the items
        yield distance_list, relevant, topk


@pytest.mark.parametrize('no_relevant', ['skip', 'zero'])
def test_equals_mean_over_all_tie_orders(no_relevant):
    for distance_list, relevant, topk in tiny_cases(150, seed=0):
        expected = brute_force_tie_aware_ap(distance_list, relevant, topk,
                                            no_relevant)
        got = closed_form(distance_list, relevant, topk, no_relevant)
        if expected is None:
            assert got is None, (distance_list, relevant, topk)
        else:
            assert got == pytest.approx(
                expected, abs=1e-12), (distance_list, relevant, topk)


@pytest.mark.parametrize(
    'distance_list,relevant,topk,expected',
    [
        # One tie group of 3, one relevant item: rank 1, 2 or 3 equally.
        ([1, 1, 1], [0, 1, 0], -1, (1 + 1 / 2 + 1 / 3) / 3),
        # The cut-off splits the group: with R = 1 the item is first in
        # 1 of 3 orders (AP 1); in the other 2 no relevant item ('skip').
        ([1, 1, 1], [0, 1, 0], 1, 1.0),
        # No ties: the deterministic AP.
        ([0, 1, 2], [0, 1, 1], -1, (1 / 2 + 2 / 3) / 2),
        # All relevant: AP = 1 in every order.
        ([2, 2, 0, 2], [1, 1, 1, 1], 3, 1.0),
    ])
def test_hand_computed(distance_list, relevant, topk, expected):
    assert closed_form(distance_list, relevant, topk, 'skip') == pytest.approx(
        expected, abs=1e-15)


def test_zero_convention_counts_orders_without_a_relevant_item():
    # R = 1 cuts a group of 3 with one relevant item: AP 1 in a third of
    # the orders, no relevant item in the others.
    assert closed_form([1, 1, 1], [0, 1, 0], 1, 'zero') == pytest.approx(1 / 3)


@pytest.mark.parametrize('no_relevant', ['skip', 'zero'])
def test_no_relevant_item_is_undefined(no_relevant):
    assert closed_form([0, 1, 1], [0, 0, 0], -1, no_relevant) is None
    # Relevant items exist, but never within the top R.
    assert closed_form([0, 0, 2], [0, 0, 1], 2, no_relevant) is None


def test_equals_deterministic_ap_without_ties():
    # Item i has its first flips[i] bits flipped: distinct distances to the
    # all-ones query and to the all-minus-ones query.
    flips = [5, 0, 8, 2, 7, 1, 3]
    db = torch.tensor([[-1] * f + [1] * (16 - f) for f in flips])
    q = torch.tensor([[1] * 16, [-1] * 16])
    rng = np.random.default_rng(3)
    ql = torch.tensor(rng.random((2, 3)) < .5)
    dbl = torch.tensor(rng.random((7, 3)) < .5)
    for topk in (1, 4, -1):
        statistics = ranking_statistics(q, db, ql, dbl, topk=topk)
        tie_aware = tie_aware_average_precision(statistics.distance_counts,
                                                statistics.relevant_counts,
                                                topk)
        deterministic = average_precision_at_r(q, db, ql, dbl, topk=topk)
        torch.testing.assert_close(tie_aware, deterministic, equal_nan=True)


def test_large_counts_stay_finite_and_in_range():
    # 117,218 items over 65 distances, R = 5000 cutting a group of 9,000.
    n = torch.zeros(1, 65, dtype=torch.long)
    n[0, :30] = 3000
    n[0, 30] = 27218
    r = n // 3
    value = tie_aware_average_precision(n, r, topk=5000).item()
    assert 0 < value <= 1
    # Every group is one third relevant, so every order is like a random
    # one: the expected precision at each relevant rank is ~ 1/3.
    assert value == pytest.approx(1 / 3, abs=2e-3)


@pytest.mark.parametrize('chunk_size', [1, 2, 100])
def test_chunk_size_does_not_change_result(chunk_size):
    cases = list(tiny_cases(5, seed=4))
    n, r = zip(*(counts(d, rel, 4) for d, rel, _ in cases[:1] * 3))
    base = tie_aware_average_precision(torch.cat(n), torch.cat(r), 2)
    assert torch.equal(
        tie_aware_average_precision(
            torch.cat(n), torch.cat(r), 2, chunk_size=chunk_size), base)


@pytest.mark.parametrize('kwargs,match', [
    (dict(topk=0), 'topk'),
    (dict(no_relevant='ignore'), 'no_relevant'),
    (dict(chunk_size=0), 'chunk_size'),
])
def test_bad_arguments(kwargs, match):
    n, r = counts([0, 1], [1, 0], 2)
    with pytest.raises(ValueError, match=match):
        tie_aware_average_precision(n, r, **kwargs)


def test_inconsistent_counts_are_an_error():
    n, r = counts([0, 1], [1, 0], 2)
    with pytest.raises(ValueError, match='relevant_counts'):
        tie_aware_average_precision(n, r + 1)
    with pytest.raises(ValueError, match='one shape'):
        tie_aware_average_precision(n, r[:, :2])
