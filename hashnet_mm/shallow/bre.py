"""BRE: binary reconstructive embedding by coordinate descent."""
from typing import Optional

import torch

from ..codes import share_label, sign_codes
from ..registry import HASHERS
from .base import FeatureHasher
from .kernel import AnchorKernel


def prefix_flip_changes(gain: torch.Tensor,
                        signs: torch.Tensor,
                        order: torch.Tensor,
                        pulled: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Changes of s^T G s when the first m entries of ``order`` flip sign.

    Flipping the set P of entries of s changes s^T G s by
    -4 sum_{i in P, j not in P} s_i G_ij s_j (G symmetric). For the prefixes
    P_m = order[:m] the first part, sum_{i in P_m} s_i (G s)_i, is a
    cumulative sum, and the part inside P_m grows from P_{m-1} by
    2 s_i (sum_{j in P_m} G_ij s_j) - G_ii for i = order[m-1]: one product
    of the lower triangle of G restricted to ``order`` with s.

    Args:
        pulled: G s, if already computed.

    Returns:
        (len(order) + 1,) changes for m = 0, 1, ..., len(order).
    """
    if pulled is None:
        pulled = gain @ signs
    ordered_signs = signs[order]
    block = gain[order[:, None], order[None, :]]
    inside = (2 * ordered_signs * (block.tril() @ ordered_signs) -
              block.diagonal()).cumsum(dim=0)
    cross = (ordered_signs * pulled[order]).cumsum(dim=0) - inside
    return torch.cat([cross.new_zeros(1), -4 * cross])


def coordinate_step(gain: torch.Tensor, signs: torch.Tensor,
                    response: torch.Tensor, column: torch.Tensor) -> float:
    """The step alpha on one weight that maximises s(alpha)^T G s(alpha),
    s(alpha) = sgn(response + alpha * column) (currently ``signs``).

    Row i flips at alpha_i = -response_i / column_i; between consecutive
    flip points s is constant, so every interval on both sides of 0 is
    scored with :func:`prefix_flip_changes` and the middle of the best one
    returned (0 if no step improves).
    """
    pulled = gain @ signs
    moves = column != 0
    breaks = torch.full_like(column, float('nan'))
    breaks[moves] = -response[moves] / column[moves]
    best_step, best_change = 0.0, 0.0
    for direction in (1.0, -1.0):
        ahead = breaks * direction > 0
        distance, rank = (breaks * direction)[ahead].sort()
        change = prefix_flip_changes(gain, signs,
                                     ahead.nonzero()[:, 0][rank], pulled)
        # Rows with the same flip point flip together: a prefix that
        # splits them cannot be reached by any step.
        change[1:-1][distance[:-1] == distance[1:]] = -float('inf')
        m = int(change.argmax())
        if m > 0 and change[m] > best_change:
            best_change = change[m].item()
            # A step strictly inside the m-th interval of flip points.
            end = distance[m] if m < len(distance) else 2 * distance[-1]
            best_step = direction * (distance[m - 1] + end).item() / 2
    return best_step


@HASHERS.register_module()
class BRE(FeatureHasher):
    """Binary reconstructive embedding (Kulis & Darrell, NIPS 2009).

    h_p(x) = 1[w_p^T kbar(x) > 0] on zero-mean kernel features (see
    :class:`AnchorKernel`; the paper samples its own points per hash
    function, here all functions share m anchors). On N training rows it
    minimises

        O(W) = sum_{i<j} (d(x_i, x_j) - dh(x_i, x_j))^2,
        dh = (1/K) sum_p (h_p(x_i) - h_p(x_j))^2 = Hamming / K,

    with target d = 1/2 ||x_i - x_j||^2 on unit-normalised rows (their
    Euclidean setting), or, ``supervised``, d = 0 for pairs sharing a label
    and 1 otherwise. Coordinate descent, as in the paper: for one weight
    w_pq, O is piecewise constant in the step alpha, changing only where a
    training row's bit flips, at alpha_i = -y_i / kbar_q(x_i); every such
    interval is scored at once (:func:`prefix_flip_changes`) and the best is
    taken, so O never increases. ``objective_history`` holds O after the
    initial random W and after every sweep over all K x m weights.

    Args:
        num_bits (int): K.
        supervised (bool): label targets (True) or Euclidean ones.
        num_anchors (int): m kernel anchors.
        num_train (int): N rows used in the objective (N^2 pairs).
        num_sweeps (int): passes over all weights.
        seed (int): seed of the anchors, the rows and the initial W.
    """

    def __init__(self,
                 num_bits: int,
                 supervised: bool = True,
                 num_anchors: int = 64,
                 num_train: int = 500,
                 num_sweeps: int = 2,
                 seed: int = 0):
        super().__init__(num_bits, seed)
        self.supervised = supervised
        self.kernel = AnchorKernel(num_anchors)
        self.num_train = num_train
        self.num_sweeps = num_sweeps

    def target_distances(self, features, labels):
        """d_ij: label disagreement, or 1/2 ||x_i - x_j||^2 of unit rows."""
        if self.supervised:
            return 1 - share_label(labels).to(features)
        unit = features / features.norm(dim=1, keepdim=True).clamp(min=1e-12)
        return (torch.cdist(unit, unit)**2 / 2)

    def objective(self, targets, codes):
        """O = sum_{i<j} (d_ij - Hamming_ij / K)^2 for codes in {-1, +1}."""
        hamming = (self.num_bits - codes @ codes.t()) / 2
        return ((targets - hamming / self.num_bits)**2).sum().item() / 2

    def _fit(self, features, labels):
        generator = self.generator()
        pick, kernel = self.kernel.fit_and_sample(features, self.num_train,
                                                  generator)
        targets = self.target_distances(
            features[pick], labels[pick] if self.supervised else None)
        self.weights = torch.randn(
            self.kernel.num_anchors,
            self.num_bits,
            generator=generator,
            dtype=torch.float64).to(features)
        responses = kernel @ self.weights
        codes = sign_codes(responses)
        self.objective_history = [self.objective(targets, codes)]
        for _ in range(self.num_sweeps):
            for p in range(self.num_bits):
                gain = self.flip_gain(targets, codes, p)
                for q in range(self.kernel.num_anchors):
                    self._update_weight(p, q, kernel, gain, responses, codes)
            self.objective_history.append(self.objective(targets, codes))

    def flip_gain(self, targets, codes, p):
        """G with O = const - 1/2 s^T G s in the signs s of bit p alone:
        G_ij = 1/2 (1/K^2 - 2 c_ij / K), c = d - (Hamming of the other
        bits) / K. It does not depend on bit p, so it is fixed while the
        weights of h_p change."""
        k = self.num_bits
        others = codes[:, torch.arange(k) != p]
        other_hamming = (k - 1 - others @ others.t()) / 2
        return (1 / k**2 - 2 * (targets - other_hamming / k) / k) / 2

    def _update_weight(self, p, q, kernel, gain, responses, codes):
        """Exact line search on w_pq (updates responses and codes)."""
        step = coordinate_step(gain, codes[:, p], responses[:, p], kernel[:,
                                                                          q])
        if step:
            self.weights[q, p] += step
            responses[:, p] += step * kernel[:, q]
            codes[:, p] = sign_codes(responses[:, p])

    def _project(self, features):
        return self.kernel(features) @ self.weights
