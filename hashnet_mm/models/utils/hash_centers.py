"""Hash centers: one K-bit target code per class, drawn once and stored.

The class-target losses (CSQ, DPN, OrthoHash) pull every image's code
towards its classes' centers. The constructions:

- ``'hadamard'`` (CSQ, Yuan et al., CVPR 2020): the rows of the
  K x K Sylvester Hadamard matrix H and of -H, [H; -H], first C rows; K
  must be a power of two and C <= 2K. Any two distinct centers are K / 2
  apart (h and -h: K).
- ``'random'``: balanced random codes, exactly K // 2 bits +1 (placed by a
  seeded permutation), distinct rows. CSQ's paper draws each bit from
  Bernoulli(0.5) when Hadamard rows do not fit; here the rows are
  balanced, their expected pairwise distance still K / 2.
- ``'min_distance'`` (after Wang et al., CVPR 2023, minimal-distance
  separated hash centers): a target d, by default the Gilbert-Varshamov
  distance of C and K (:func:`gilbert_varshamov_distance`), then the random
  balanced codes made continuous and pushed apart beyond d, signed, and
  repaired by greedy bit moves until every pair is >= d apart (optionally
  keeping every row balanced); see :func:`min_distance_centers`, which
  warns when d is not reached.
- ``'auto'`` (default): ``'hadamard'`` when it applies, else ``'random'``
  (CSQ's rule).

Everything is drawn from ``torch.Generator`` objects seeded by ``seed`` (never
the global RNG), so every rank and every rebuild draws the same centers
(``'min_distance'``'s float relaxation repeats exactly on one machine and
torch build; across machines DDP's start-up broadcast of rank 0's buffers and
the checkpoint keep the trained centers); :class:`HashCenters` keeps them as
buffers, saved in the checkpoint and restored by loading it.
"""
import math
import warnings
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...codes import sign_codes
from .arguments import check_positive_integers

CENTER_KINDS = ('auto', 'hadamard', 'random', 'min_distance')


def _is_power_of_two(value: int) -> bool:
    return value >= 1 and value & (value - 1) == 0


def hadamard_centers(num_classes: int, num_bits: int) -> torch.Tensor:
    """The first C rows of [H; -H], H the K x K Sylvester Hadamard matrix
    (H_1 = [1], H_2n = [[H_n, H_n], [H_n, -H_n]]), float32 in {-1, +1}."""
    if not _is_power_of_two(num_bits):
        raise ValueError(f'Hadamard centers need K a power of two, got '
                         f'K = {num_bits}')
    if num_classes > 2 * num_bits:
        raise ValueError(f'[H; -H] has 2K = {2 * num_bits} rows, fewer than '
                         f'the {num_classes} classes')
    hadamard = torch.ones(1, 1)
    while hadamard.shape[0] < num_bits:
        hadamard = torch.cat([
            torch.cat([hadamard, hadamard], 1),
            torch.cat([hadamard, -hadamard], 1)
        ])
    return torch.cat([hadamard, -hadamard])[:num_classes].contiguous()


def random_balanced_centers(num_classes: int, num_bits: int,
                            generator: torch.Generator) -> torch.Tensor:
    """(C, K) distinct codes with exactly K // 2 bits +1 each; a row equal
    to an earlier one is drawn again (C must not exceed binom(K, K // 2))."""
    if num_classes > math.comb(num_bits, num_bits // 2):
        raise ValueError(f'only {math.comb(num_bits, num_bits // 2)} '
                         f'balanced {num_bits}-bit codes exist, fewer than '
                         f'the {num_classes} classes')
    rows, seen = [], set()
    while len(rows) < num_classes:
        row = -torch.ones(num_bits)
        row[torch.randperm(num_bits, generator=generator)[:num_bits // 2]] = 1
        key = tuple(row.tolist())
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return torch.stack(rows)


def gilbert_varshamov_distance(num_classes: int, num_bits: int) -> int:
    """The largest d with C * V(K, d - 1) <= 2^K, V(K, r) = sum_{i <= r}
    binom(K, i) the volume of a Hamming ball of radius r.

    By the Gilbert-Varshamov bound a K-bit code of C words with minimum
    distance d then exists (exact integer arithmetic). At least 1.
    """
    distance, volume = 1, 1  # V(K, 0)
    while distance < num_bits and num_classes * (
            volume + math.comb(num_bits, distance)) <= 2**num_bits:
        volume += math.comb(num_bits, distance)
        distance += 1
    return distance


def _hamming(codes: torch.Tensor) -> torch.Tensor:
    """(C, C) Hamming distances of (C, K) codes in {-1, +1}."""
    return (codes.shape[1] - codes @ codes.t()) / 2


def _deficits(distance: torch.Tensor, target: int) -> torch.Tensor:
    """max(0, d - D_ij) off the diagonal."""
    deficit = (target - distance).clamp(min=0)
    return deficit.fill_diagonal_(0)


def _relax(codes: torch.Tensor,
           target: int,
           balanced: bool,
           steps: int = 300,
           slack: int = 2) -> torch.Tensor:
    """The continuous stage: V = tanh(W), W started at codes / 2, by Adam
    (lr 0.1, ``steps`` steps) on

        sum_{i<j} max(0, cos(v_i, v_j) - (K - 2 (d + slack)) / K)^2
            + 0.1 (t / T) sum_{i,k} (1 - v_ik^2) / K
            [+ sum_i (sum_k v_ik)^2 / K where balanced]

    cos(b_i, b_j) = 1 - 2 D_ij / K for codes, so the first term pushes every
    pair beyond d + slack bits; the second, ramped up over the T steps,
    drives v to the corners of the box. Returns sign(V), 0 -> +1; rows
    rebalanced (the +1s, or -1s, in excess nearest 0 flipped) where
    ``balanced``."""
    num_classes, num_bits = codes.shape
    weights = (codes.float() / 2).requires_grad_(True)
    threshold = (num_bits - 2 * (target + slack)) / num_bits
    off_diagonal = ~torch.eye(num_classes, dtype=torch.bool)
    optimizer = torch.optim.Adam([weights], lr=0.1)
    for step in range(steps):
        relaxed = torch.tanh(weights)
        unit = F.normalize(relaxed, dim=1)
        excess = ((unit @ unit.t() - threshold).clamp(min=0) *
                  off_diagonal).pow(2).sum() / 2
        corners = (1 - relaxed.pow(2)).sum() / num_bits
        energy = excess + 0.1 * step / max(steps - 1, 1) * corners
        if balanced:
            energy = energy + relaxed.sum(dim=1).pow(2).sum() / num_bits
        optimizer.zero_grad()
        energy.backward()
        optimizer.step()
    relaxed = torch.tanh(weights.detach())
    signs = torch.where(relaxed >= 0, 1.0, -1.0)
    if balanced:
        for row in range(num_classes):
            surplus = int((signs[row] > 0).sum()) - num_bits // 2
            if surplus != 0:
                side = 1.0 if surplus > 0 else -1.0
                # The bits of the side in surplus nearest 0 change side.
                candidates = (signs[row] == side).nonzero().flatten()
                order = relaxed[row, candidates].abs().argsort(stable=True)
                signs[row, candidates[order[:abs(surplus)]]] = -side
    return signs.to(codes.dtype)


def _move_gains(codes: torch.Tensor, distance: torch.Tensor, target: int,
                rows: torch.Tensor, balanced: bool) -> torch.Tensor:
    """Change of sum_j max(0, d - D_ij)^2 for every move of each row i in
    ``rows``: (R, K), flipping bit k; or where ``balanced``, (R, K, K),
    swapping a +1 bit k and a -1 bit l (other entries +inf), so the row
    keeps its balance. Flipping bit k moves D_ij by +1 where the codes
    agree on it (a_jk = (1 + c_ik c_jk) / 2 = 1), by -1 elsewhere."""

    def change(step):  # (R, C): f(D_ij + step) - f(D_ij), j = i left out
        moved = (target - (distance[rows] + step)).clamp(min=0).pow(2)
        return (moved -
                (target - distance[rows]).clamp(min=0).pow(2)).scatter_(
                    1, rows[:, None], 0)

    own = codes[rows]
    if not balanced:  # sum_j up_j a_jk + down_j (1 - a_jk), as products
        up, down = change(1), change(-1)
        return ((up + down).sum(dim=1, keepdim=True) + own *
                ((up - down) @ codes)) / 2
    up, down, gains = change(2), change(-2), []
    for start in range(0, len(rows), 32):  # (32, C, K) at a time
        part = slice(start, start + 32)
        agree = (own[part, None, :] == codes[None]).to(codes.dtype)
        gains.append(
            torch.einsum('rjk,rj,rjl->rkl', agree, up[part], agree) +
            torch.einsum('rjk,rj,rjl->rkl', 1 - agree, down[part], 1 - agree))
    gains = torch.cat(gains)
    valid = (own[:, :, None] > 0) & (own[:, None, :] < 0)
    return torch.where(valid, gains, torch.full_like(gains, math.inf))


def min_distance_centers(num_classes: int,
                         num_bits: int,
                         generator: torch.Generator,
                         target: Optional[int] = None,
                         max_steps: Optional[int] = None,
                         balanced: bool = False) -> torch.Tensor:
    """(C, K) centers whose smallest pairwise Hamming distance reaches d
    (after Wang et al., CVPR 2023, minimal-distance-separated centers).

    d = ``target``, by default :func:`gilbert_varshamov_distance` (a code
    of C words at that distance exists). Stages:

    1. start: :func:`random_balanced_centers` (drawn from ``generator``);
       returned as they are if their pairs are already >= d apart;
    2. relaxation (:func:`_relax`): the codes made continuous in (-1, 1)^K,
       every pair's cosine pushed below that of d + 2 bits while the values
       are driven to +-1 (and, where ``balanced``, each row's sum to 0);
       then the sign;
    3. repair: each step makes the move (a bit flip; where ``balanced``, a
       swap of a +1 and a -1 bit in one row, so every row keeps K // 2 +1
       bits) that most lowers sum_{i<j} max(0, d - D_ij)^2, among the rows
       of the pairs closer than d (the first in row-major order on ties);
       at a local minimum a move of such a row is drawn from ``generator``
       instead.

    Stops when every pair is >= d apart, else after ``max_steps`` repair
    steps (default 20 C + 200): then the best centers seen (largest minimum
    distance, then smallest sum) are returned with a warning naming C, K,
    d and the distance reached. Deterministic for a generator state (on
    CPU; float32 relaxation, float64 repair). Wang et al.'s released code
    aims at the first d with C V(K, d - 1) >= 2^K, in general one bit above
    this default (existence not guaranteed): pass it as ``target`` to
    follow it.
    """
    target = gilbert_varshamov_distance(num_classes, num_bits) \
        if target is None else int(target)
    if not 1 <= target <= num_bits:
        raise ValueError(f'the target distance must be in [1, K = '
                         f'{num_bits}], got {target}')
    max_steps = 20 * num_classes + 200 if max_steps is None else max_steps
    codes = random_balanced_centers(num_classes, num_bits, generator).double()
    if num_classes < 2 or _min_distance(codes) >= target:
        return codes.float()
    codes = _relax(codes, target, balanced)

    best, best_key = codes.clone(), None
    for _ in range(max_steps + 1):
        distance = _hamming(codes)
        deficit = _deficits(distance, target)
        key = (_min_distance(codes), -float(deficit.pow(2).sum()))
        if best_key is None or key > best_key:
            best, best_key = codes.clone(), key
        if key[0] >= target:
            return codes.float()
        rows = deficit.any(dim=1).nonzero().flatten()
        gains = _move_gains(codes, distance, target, rows, balanced)
        flat = int(torch.argmin(gains.flatten()))
        per_row = gains[0].numel()
        if float(gains.flatten()[flat]) < 0:
            row, move = divmod(flat, per_row)
        else:
            row = int(torch.randint(len(rows), (1, ), generator=generator))
            allowed = torch.isfinite(gains[row].flatten()).nonzero().flatten()
            move = int(allowed[torch.randint(
                len(allowed), (1, ), generator=generator)])
        row = int(rows[row])
        for bit in ((move, ) if not balanced else divmod(move, num_bits)):
            codes[row, bit] *= -1
    warnings.warn(
        f'min_distance_centers: for C = {num_classes} centers of K = '
        f'{num_bits} bits (balanced={balanced}), after {max_steps} repair '
        f'steps the closest centers are {best_key[0]} bits apart, short of '
        f'the target {target}; the best centers found are used (a smaller '
        'min_distance or more bits reach it)')
    return best.float()


def _min_distance(codes: torch.Tensor) -> int:
    """Smallest pairwise Hamming distance of (C >= 2, K) codes."""
    distance = _hamming(codes)
    return int(distance.fill_diagonal_(codes.shape[1] + 1).min())


def draw_centers(kind: str,
                 num_classes: int,
                 num_bits: int,
                 seed: int,
                 min_distance: Optional[int] = None,
                 balanced: bool = False) -> torch.Tensor:
    """(C, K) float32 centers of the named construction (see the module)."""
    if kind not in CENTER_KINDS:
        raise ValueError(f'kind must be one of {CENTER_KINDS}, got {kind!r}')
    if kind == 'auto':
        kind = 'hadamard' if _is_power_of_two(num_bits) and \
            num_classes <= 2 * num_bits else 'random'
    generator = torch.Generator().manual_seed(seed)
    if kind == 'hadamard':
        return hadamard_centers(num_classes, num_bits)
    if kind == 'random':
        return random_balanced_centers(num_classes, num_bits, generator)
    return min_distance_centers(
        num_classes,
        num_bits,
        generator,
        target=min_distance,
        balanced=balanced)


class HashCenters(nn.Module):
    """C class centers in {-1, +1}^K and the multi-label targets they give.

    Buffers (saved in, and restored from, the checkpoint; a model built for
    encoding draws them at construction and loading the checkpoint
    overwrites them with the trained model's):

    - ``centers`` (C, K): one code per class (kinds: the module docstring);
    - ``tie_breaker`` (K,): random signs drawn once, from a generator
      seeded with ``seed + 1``, for the ties of :meth:`targets`.

    Args:
        num_classes (int): C.
        num_bits (int): K.
        kind (str): ``'auto'`` (default), ``'hadamard'``, ``'random'`` or
            ``'min_distance'``.
        seed (int): seed of the draw (default 0).
        min_distance (int, optional): target d of ``'min_distance'``;
            None is the Gilbert-Varshamov distance.
        balanced (bool): ``'min_distance'`` keeps K // 2 bits +1 in every
            center (default False, as Wang et al.; the other kinds are
            balanced or Hadamard rows already).
    """

    def __init__(self,
                 num_classes: int,
                 num_bits: int,
                 kind: str = 'auto',
                 seed: int = 0,
                 min_distance: Optional[int] = None,
                 balanced: bool = False):
        super().__init__()
        check_positive_integers(
            'HashCenters', num_classes=num_classes, num_bits=num_bits)
        self.kind = kind
        centers = draw_centers(kind, num_classes, num_bits, seed, min_distance,
                               balanced)
        generator = torch.Generator().manual_seed(seed + 1)
        tie_breaker = sign_codes(
            torch.rand(num_bits, generator=generator) - 0.5)
        self.register_buffer('centers', centers)
        self.register_buffer('tie_breaker', tie_breaker)

    @property
    def num_classes(self) -> int:
        return self.centers.shape[0]

    @property
    def num_bits(self) -> int:
        return self.centers.shape[1]

    def targets(self, labels: torch.Tensor) -> torch.Tensor:
        """(N, K) target code of each image from its (N, C) multi-hot
        labels: sign(sum of its classes' centers), a zero sum taking the
        bit of ``tie_breaker`` (CSQ's multi-label targets). A
        one-label image's target is its class center."""
        if labels.dim() != 2 or labels.shape[1] != self.num_classes:
            raise ValueError(f'expected (N, {self.num_classes}) multi-hot '
                             f'labels, got {tuple(labels.shape)}')
        summed = labels.float() @ self.centers.float()
        return torch.where(summed == 0, self.tie_breaker.float(),
                           torch.sign(summed)).to(self.centers.dtype)
