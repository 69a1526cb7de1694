"""HashCenters: the constructions, their distances, determinism, and that
the centers travel in the checkpoint."""
import itertools
import math

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import load_checkpoint, save_checkpoint
from mmpretrain.registry import MODELS

from hashnet_mm.models.utils import (HashCenters, gilbert_varshamov_distance,
                                     hadamard_centers)
from hashnet_mm.models.utils import hash_centers as hash_centers_module
from hashnet_mm.models.utils import (min_distance_centers,
                                     random_balanced_centers)
from .reference import center_target


def pairwise_distances(codes):
    """Hamming distance of every pair i < j, in loops."""
    codes = np.asarray(codes)
    return [
        int((codes[i] != codes[j]).sum())
        for i, j in itertools.combinations(range(len(codes)), 2)
    ]


def reference_gv(num_classes, num_bits):
    """Largest d with C * sum_{i < d} binom(K, i) <= 2^K, by trying all."""
    return max(
        d for d in range(1, num_bits + 1)
        if num_classes * sum(math.comb(num_bits, i)
                             for i in range(d)) <= 2**num_bits)


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize('num_bits', [1, 2, 4, 16, 64])
def test_hadamard_centers_are_h_and_minus_h(num_bits):
    centers = hadamard_centers(2 * num_bits, num_bits).numpy()
    hadamard = centers[:num_bits]
    np.testing.assert_array_equal(hadamard @ hadamard.T,
                                  num_bits * np.eye(num_bits))
    np.testing.assert_array_equal(centers[num_bits:], -hadamard)
    distances = pairwise_distances(centers)
    assert set(distances) <= {num_bits // 2, num_bits} or num_bits == 1


def test_hadamard_needs_a_power_of_two_and_room():
    with pytest.raises(ValueError, match='power of two'):
        hadamard_centers(10, 48)
    with pytest.raises(ValueError, match='fewer than'):
        hadamard_centers(33, 16)


@pytest.mark.parametrize('num_classes,num_bits', [(10, 16), (100, 48),
                                                  (300, 64), (20, 7)])
def test_random_centers_are_balanced_distinct_and_seeded(
        num_classes, num_bits):
    centers = random_balanced_centers(num_classes, num_bits, generator(3))
    assert centers.shape == (num_classes, num_bits)
    assert ((centers == 1) | (centers == -1)).all()
    assert ((centers == 1).sum(dim=1) == num_bits // 2).all()
    assert min(pairwise_distances(centers)) >= 1
    assert torch.equal(
        centers, random_balanced_centers(num_classes, num_bits, generator(3)))
    assert not torch.equal(
        centers, random_balanced_centers(num_classes, num_bits, generator(4)))


def test_too_many_classes_for_balanced_codes():
    with pytest.raises(ValueError, match='balanced 4-bit codes'):
        random_balanced_centers(7, 4, generator())


@pytest.mark.parametrize('num_classes,num_bits',
                         [(10, 16), (100, 16), (100, 64), (80, 32), (21, 12),
                          (2, 8), (1000, 16)])
def test_gilbert_varshamov_distance(num_classes, num_bits):
    assert gilbert_varshamov_distance(num_classes, num_bits) == \
        reference_gv(num_classes, num_bits)


@pytest.mark.parametrize('num_classes,num_bits', [(10, 16), (100, 16),
                                                  (80, 32), (30, 12)])
def test_min_distance_centers_reach_the_gv_distance(num_classes, num_bits):
    centers = min_distance_centers(num_classes, num_bits, generator())
    target = reference_gv(num_classes, num_bits)
    assert min(pairwise_distances(centers)) >= target
    # Above what the random start gives on these sizes.
    start = random_balanced_centers(num_classes, num_bits, generator())
    assert min(pairwise_distances(start)) < target
    assert torch.equal(
        centers, min_distance_centers(num_classes, num_bits, generator()))


def test_min_distance_centers_with_a_given_target():
    centers = min_distance_centers(12, 16, generator(), target=7)
    assert min(pairwise_distances(centers)) >= 7


def test_unreachable_target_warns_and_keeps_the_best():
    # Three 4-bit codes cannot be pairwise 4 apart (only c and -c are).
    with pytest.warns(
            UserWarning, match='2 bits apart, short of the '
            'target 4'):
        centers = min_distance_centers(
            3, 4, generator(), target=4, max_steps=50)
    assert min(pairwise_distances(centers)) == 2


@pytest.mark.parametrize('num_classes,num_bits,kind', [(10, 16, 'hadamard'),
                                                       (32, 16, 'hadamard'),
                                                       (33, 16, 'random'),
                                                       (10, 48, 'random')])
def test_auto_is_hadamard_where_it_fits(num_classes, num_bits, kind):
    auto = HashCenters(num_classes, num_bits).centers
    chosen = HashCenters(num_classes, num_bits, kind=kind).centers
    assert torch.equal(auto, chosen)


def test_bad_arguments():
    with pytest.raises(ValueError, match='kind must be one of'):
        HashCenters(10, 16, kind='bernoulli')
    with pytest.raises(ValueError, match='num_classes must be an integer'):
        HashCenters(0, 16)


@pytest.mark.parametrize('kind', ['hadamard', 'random'])
def test_targets_match_a_per_image_reference(kind):
    centers = HashCenters(5, 8, kind=kind, seed=2)
    labels = torch.tensor([[1, 0, 0, 0, 0], [0, 1, 1, 0, 0], [1, 1, 1, 1, 0],
                           [0, 0, 0, 0, 1], [1, 0, 0, 0, 1]])
    expected = [
        center_target(centers.centers.tolist(), centers.tie_breaker.tolist(),
                      row) for row in labels.tolist()
    ]
    assert centers.targets(labels).tolist() == expected
    # Two Hadamard rows disagree on K / 2 bits: there the tie-breaker sets
    # the bit.
    if kind == 'hadamard':
        tied = centers.centers[1] != centers.centers[2]
        assert torch.equal(
            centers.targets(labels)[1][tied], centers.tie_breaker[tied])
    with pytest.raises(ValueError, match=r'\(N, 5\) multi-hot'):
        centers.targets(labels[:, :4])


def build_head(seed, kind='random'):
    return MODELS.build(
        dict(
            type='LinearHashHead',
            num_bits=16,
            in_channels=4,
            loss=dict(type='CSQLoss', num_classes=40, centers=kind,
                      seed=seed)))


def test_checkpoint_restores_the_centers_without_drawing(
        tmp_path, monkeypatch):
    trained = build_head(seed=0)
    keys = set(trained.state_dict())
    assert {
        'loss_module.hash_centers.centers',
        'loss_module.hash_centers.tie_breaker'
    } <= keys
    path = str(tmp_path / 'head.pth')
    save_checkpoint(trained.state_dict(), path)

    encoder = build_head(seed=1)  # a build that drew other centers
    assert not torch.equal(encoder.loss_module.hash_centers.centers,
                           trained.loss_module.hash_centers.centers)

    def no_draw(*args, **kwargs):
        raise AssertionError('centers drawn again')

    monkeypatch.setattr(hash_centers_module, 'draw_centers', no_draw)
    load_checkpoint(encoder, path, strict=True)
    for name in ('centers', 'tie_breaker'):
        assert torch.equal(
            getattr(encoder.loss_module.hash_centers, name),
            getattr(trained.loss_module.hash_centers, name))


def test_same_seed_same_centers_on_every_build():
    first, second = build_head(seed=5, kind='min_distance'), \
        build_head(seed=5, kind='min_distance')
    for a, b in zip(first.loss_module.hash_centers.buffers(),
                    second.loss_module.hash_centers.buffers()):
        assert torch.equal(a, b)


def relaxed_start_is_short(num_classes, num_bits):
    start = random_balanced_centers(num_classes, num_bits, generator())
    return min(pairwise_distances(start)) < reference_gv(num_classes, num_bits)


@pytest.mark.parametrize('balanced', [False, True])
@pytest.mark.parametrize('num_classes,num_bits', [(100, 64), (80, 64),
                                                  (21, 32), (10, 16)])
def test_min_distance_centers_reach_the_target(num_classes, num_bits, balanced,
                                               recwarn):
    assert relaxed_start_is_short(num_classes, num_bits)
    centers = min_distance_centers(
        num_classes, num_bits, generator(7), balanced=balanced)
    assert not [w for w in recwarn if 'min_distance_centers' in str(w.message)]
    assert centers.dtype == torch.float32
    assert ((centers == 1) | (centers == -1)).all()
    assert min(pairwise_distances(centers)) >= reference_gv(
        num_classes, num_bits)
    if balanced:
        assert ((centers == 1).sum(dim=1) == num_bits // 2).all()
    assert torch.equal(
        centers,
        min_distance_centers(
            num_classes, num_bits, generator(7), balanced=balanced))


def test_min_distance_centers_for_1000_classes():
    assert relaxed_start_is_short(1000, 64)
    centers = min_distance_centers(1000, 64, generator()).numpy()
    distances = (64 - centers @ centers.T) / 2  # the pairs' Hamming
    np.fill_diagonal(distances, 64)
    assert distances.min() >= reference_gv(1000, 64) == 20


def test_min_distance_centers_depend_on_the_seed():
    assert not torch.equal(
        min_distance_centers(21, 32, generator(1)),
        min_distance_centers(21, 32, generator(2)))


@pytest.mark.parametrize('balanced', [False, True])
def test_repair_gains_match_a_recount(balanced):
    # Every move's change of sum_j max(0, d - D_ij)^2, by making the move.
    codes = random_balanced_centers(9, 8, generator(4)).double()
    target = 5
    distance = hash_centers_module._hamming(codes)
    rows = torch.tensor([0, 3, 8])
    gains = hash_centers_module._move_gains(codes, distance, target, rows,
                                            balanced)

    def cost(row_codes, row):
        return sum(
            max(0, target - int((row_codes != codes[j]).sum()))**2
            for j in range(len(codes)) if j != row)

    for index, row in enumerate(rows.tolist()):
        before = cost(codes[row], row)
        for bit in range(8):
            if not balanced:
                moved = codes[row].clone()
                moved[bit] *= -1
                assert gains[index, bit] == cost(moved, row) - before
                continue
            for other in range(8):
                if codes[row, bit] > 0 > codes[row, other]:
                    moved = codes[row].clone()
                    moved[[bit, other]] *= -1
                    assert gains[index, bit, other] == \
                        cost(moved, row) - before
                else:
                    assert gains[index, bit, other] == math.inf


def test_unreachable_target_warning_names_the_setting():
    with pytest.warns(
            UserWarning,
            match=r'C = 3 centers of K = 4 bits '
            r'\(balanced=True\).*2 bits apart, short of the '
            'target 4'):
        centers = min_distance_centers(
            3, 4, generator(), target=4, max_steps=20, balanced=True)
    assert ((centers == 1).sum(dim=1) == 2).all()


def test_hash_centers_pass_balanced_on():
    centers = HashCenters(
        30, 12, kind='min_distance', seed=3, balanced=True).centers
    assert ((centers == 1).sum(dim=1) == 6).all()
    assert min(pairwise_distances(centers)) >= reference_gv(30, 12)


@pytest.mark.parametrize('loss', ['CSQLoss', 'DPNLoss', 'OrthoHashLoss'])
def test_losses_pass_balanced_centers_on_from_a_config(loss):
    cfg = dict(
        type=loss, num_classes=30, num_bits=12, centers='min_distance', seed=3)
    balanced = MODELS.build(dict(cfg, balanced_centers=True)).hash_centers
    assert ((balanced.centers == 1).sum(dim=1) == 6).all()
    torch.testing.assert_close(
        balanced.centers,
        HashCenters(30, 12, kind='min_distance', seed=3,
                    balanced=True).centers)
    plain = MODELS.build(cfg).hash_centers.centers
    torch.testing.assert_close(
        plain,
        HashCenters(30, 12, kind='min_distance', seed=3).centers)
