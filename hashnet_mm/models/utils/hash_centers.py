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
  separated hash centers): the random balanced codes improved by greedy
  bit flips until the smallest pairwise Hamming distance reaches a target
  d; see :func:`min_distance_centers` for the rule and what happens when d
  is not reached.
- ``'auto'`` (default): ``'hadamard'`` when it applies, else ``'random'``
  (CSQ's rule).

Everything is drawn from ``torch.Generator`` objects seeded by ``seed`` (never
the global RNG), so every rank and every rebuild draws the same centers;
:class:`HashCenters` keeps them as buffers, saved in the checkpoint and
restored by loading it.
"""
import math
import warnings
from typing import Optional

import torch
import torch.nn as nn

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
        hadamard = torch.cat([torch.cat([hadamard, hadamard], 1),
                              torch.cat([hadamard, -hadamard], 1)])
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


def min_distance_centers(num_classes: int,
                         num_bits: int,
                         generator: torch.Generator,
                         target: Optional[int] = None,
                         max_steps: Optional[int] = None) -> torch.Tensor:
    """(C, K) centers whose smallest pairwise Hamming distance reaches d.

    d = ``target``, by default :func:`gilbert_varshamov_distance` (such a
    code exists). Start: :func:`random_balanced_centers`. Each step flips
    the one bit (of all C x K) that most lowers sum_{i<j} max(0, d -
    D_ij)^2 (the first in row-major order on ties); when no flip lowers it
    (a local minimum), a bit of a code in a pair closer than d, both drawn
    from ``generator``, is flipped instead. The search stops when every
    pair is >= d apart, or after ``max_steps`` steps (default 50 C K):
    then the best centers seen (largest minimum distance, then smallest
    deficit) are returned with a warning naming the distance reached.
    Flips do not keep the rows balanced.
    """
    target = gilbert_varshamov_distance(num_classes, num_bits) \
        if target is None else int(target)
    if not 1 <= target <= num_bits:
        raise ValueError(f'the target distance must be in [1, K = '
                         f'{num_bits}], got {target}')
    max_steps = 50 * num_classes * num_bits if max_steps is None \
        else max_steps
    codes = random_balanced_centers(num_classes, num_bits, generator)
    if num_classes < 2:
        return codes
    off_diagonal = ~torch.eye(num_classes, dtype=torch.bool)

    def state(codes):
        distance = (num_bits - codes @ codes.t()) / 2
        deficit = (target - distance).clamp(min=0) * off_diagonal
        return distance, deficit

    best, best_key = codes.clone(), None
    for _ in range(max_steps + 1):
        distance, deficit = state(codes)
        key = (int(distance[off_diagonal].min()), -float(deficit.pow(2).sum()))
        if best_key is None or key > best_key:
            best, best_key = codes.clone(), key
        if key[0] >= target:
            return codes
        # Only a code in a pair closer than d can lower the sum. Flipping
        # bit b of code i moves D_ij by +1 where i and j agree at b.
        rows = deficit.any(dim=1).nonzero().flatten()
        moved = distance[rows, :, None] + torch.where(
            codes[rows, None, :] == codes[None, :, :], 1.0, -1.0)
        change = ((target - moved).clamp(min=0).pow(2) -
                  deficit[rows].pow(2)[:, :, None]) * \
            off_diagonal[rows, :, None]
        gain = change.sum(dim=1)  # (rows, K)
        flat = int(torch.argmin(gain))
        if float(gain.flatten()[flat]) < 0:
            row, bit = divmod(flat, num_bits)
            row = int(rows[row])
        else:
            row = int(rows[torch.randint(len(rows), (1, ),
                                         generator=generator)])
            bit = int(torch.randint(num_bits, (1, ), generator=generator))
        codes[row, bit] *= -1
    warnings.warn(
        f'min_distance_centers: after {max_steps} steps the closest of the '
        f'{num_classes} centers are {best_key[0]} bits apart, short of the '
        f'target {target}; the best centers found are used')
    return best


def draw_centers(kind: str, num_classes: int, num_bits: int, seed: int,
                 min_distance: Optional[int] = None) -> torch.Tensor:
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
    return min_distance_centers(num_classes, num_bits, generator,
                                target=min_distance)


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
    """

    def __init__(self, num_classes: int, num_bits: int, kind: str = 'auto',
                 seed: int = 0, min_distance: Optional[int] = None):
        super().__init__()
        check_positive_integers('HashCenters', num_classes=num_classes,
                                num_bits=num_bits)
        self.kind = kind
        centers = draw_centers(kind, num_classes, num_bits, seed,
                               min_distance)
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
