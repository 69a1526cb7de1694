r"""Tie-aware AP@R: the expected AP over all orders of tied items.

Hamming ranking puts every item at equal distance in one tie group; any
order inside a group is as good as another, yet AP depends on it. He et al.
("Hashing as Tie-Aware Learning to Rank", CVPR 2018) average AP over all
orders in closed form (their tie-aware AP_T). Below, the same expectation for
AP@R with any R (AP_T is the case R = N), derived from, and computed with,
only the counts of items ``n_d`` and relevant items ``r_d`` at each distance
d.

Notation (one query): ``N_d = sum_{e<d} n_e`` and ``R_d = sum_{e<d} r_e``
items and relevant items ranked ahead of group d;
``H(a, m) = sum_{j=1..m} 1/(a + j) = digamma(a + m + 1) - digamma(a + 1)``.

(T1) A group ranked entirely within the top R. Under a uniformly random order
of its n_d items, position j holds a relevant item with probability
r_d / n_d; given that, the other r_d - 1 relevant items are spread evenly
over the other n_d - 1 positions, so (j - 1)(r_d - 1)/(n_d - 1) of them are
expected ahead of it. Its rank N_d + j is fixed, so the group adds, in
expectation, to the sum of precisions at relevant ranks::

    S_d = r_d/n_d * sum_{j=1..n_d} (R_d + 1 + (j-1)(r_d-1)/(n_d-1)) / (N_d + j)
        = r_d/n_d * [(R_d + 1) H(N_d, n_d)
                     + (r_d-1)/(n_d-1) * (n_d - (N_d + 1) H(N_d, n_d))]

(the second term is 0 when n_d = 1). With R = N every group is whole and the
tie-aware AP is ``sum_d S_d / sum_d r_d`` (He et al.'s AP_T).

(T2) The group g that the cut-off R splits: its first ``c = R - N_g`` items
are in the top R. The number X of relevant items among them is
hypergeometric, ``P(X = x) = C(r_g, x) C(n_g - r_g, c - x) / C(n_g, c)``, and
given X = x they lie on a uniformly random x-subset of the c positions, so
(T1) with n_d -> c, r_d -> x gives their expected contribution::

    E[S_g | X = x] = a x + b x (x - 1),
    a = (R_g + 1) H(N_g, c) / c,   b = (c - (N_g + 1) H(N_g, c)) / (c (c - 1))

(b = 0 when c = 1).

(T3) AP@R = (sum_{d<g} S_d + S_g) / (R_g + X). The whole groups' terms do
not depend on the order inside g, so with A = sum_{d<g} E[S_d]::

    E[AP@R] = sum_x P(X = x) (A + a x + b x (x - 1)) / (R_g + x)

over the x with R_g + x > 0: a top R without a relevant item has no AP.
Conventions, as for the deterministic AP (``measures.py``):
``'released_pytorch'`` (alias ``'skip'``) leaves that order out, i.e. takes
the expectation given that the top R holds a relevant item (the sum divided
by ``P(R_g + X > 0)``); ``'released_caffe'`` and ``'deephash_pytorch'``
(alias ``'zero'``) count it as AP = 0 (the sum above). Where that
probability is 0 the value is NaN (undefined under every order); the MAP's
convention then decides (``map_over_queries``).
"""
import torch

from .measures import NO_RELEVANT_MODES, resolve_map_convention
from .validation import check_choice, check_chunk_size, resolve_topk


def tie_aware_average_precision(distance_counts: torch.Tensor,
                                relevant_counts: torch.Tensor,
                                topk: int = -1,
                                no_relevant: str = 'released_pytorch',
                                chunk_size: int = 256) -> torch.Tensor:
    """Expected AP@R of each query over all orders within tie groups.

    Args:
        distance_counts (Tensor): (Q, K + 1) items at each Hamming distance
            (``RankingStatistics.distance_counts``).
        relevant_counts (Tensor): (Q, K + 1) relevant items at each distance.
        topk (int): R; -1, or any value >= N, covers the whole database.
        no_relevant (str): a MAP convention (module docstring, T3).
        chunk_size (int): queries at once; memory is O(chunk_size * R).

    Returns:
        Tensor: (Q,) float64, NaN where no relevant item can be in the top R.
    """
    check_choice('no_relevant', no_relevant, NO_RELEVANT_MODES)
    conditional = resolve_map_convention(no_relevant) == 'released_pytorch'
    check_chunk_size(chunk_size)
    if distance_counts.shape != relevant_counts.shape or \
            distance_counts.dim() != 2:
        raise ValueError('distance_counts and relevant_counts must be '
                         '(Q, K + 1) of one shape, got '
                         f'{tuple(distance_counts.shape)} and '
                         f'{tuple(relevant_counts.shape)}')
    if (relevant_counts > distance_counts).any() or (relevant_counts
                                                     < 0).any():
        raise ValueError('relevant_counts must lie in [0, distance_counts]')
    num_database = int(distance_counts[0].sum())
    topk = resolve_topk(topk, num_database)
    n, r = distance_counts.double(), relevant_counts.double()
    # log k! for k = 0..N
    log_factorial = torch.lgamma(
        torch.arange(
            1, num_database + 2, dtype=torch.float64, device=n.device))
    # Chunks of queries with similar numbers of outcomes of X (T2) keep the
    # (queries x outcomes) grids tight.
    cut, before = _cut_group(n, topk)
    outcomes = torch.minimum(r.gather(1, cut), topk - before.gather(1, cut))
    result = torch.empty(len(n), dtype=torch.float64, device=n.device)
    for chunk in outcomes.squeeze(1).argsort().split(chunk_size):
        result[chunk] = _expected_average_precision(n[chunk], r[chunk], topk,
                                                    conditional, log_factorial)
    return result


def _cut_group(n: torch.Tensor, topk: int) -> tuple:
    """(Q, 1) index g of the group holding rank R, and (Q, K + 1) items
    ranked ahead of each group."""
    before = n.cumsum(1) - n
    return ((before + n) < topk).sum(1, keepdim=True), before


def _harmonic(offset: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    """H(a, m) = sum_{j=1..m} 1 / (a + j), elementwise, in float64."""
    return torch.special.digamma(offset + length +
                                 1) - torch.special.digamma(offset + 1)


def _expected_precision_sum(before: torch.Tensor,
                            relevant_before: torch.Tensor,
                            length: torch.Tensor) -> tuple:
    """Coefficients (a, b) of E[sum of precisions] = a x + b x (x - 1).

    For ``length`` positions ranked after ``before`` items (of which
    ``relevant_before`` relevant), x of them relevant in random positions
    (T1/T2 of the module docstring).
    """
    harmonic = _harmonic(before, length)
    a = (relevant_before + 1) * harmonic / length.clamp(min=1)
    spread = length - (before + 1) * harmonic
    b = torch.where(length > 1, spread / (length * (length - 1)).clamp(min=1),
                    0.0)
    return a, b


def _expected_average_precision(n: torch.Tensor, r: torch.Tensor, topk: int,
                                conditional: bool,
                                log_factorial: torch.Tensor) -> torch.Tensor:
    """(T1)-(T3) for a chunk of queries; n, r are (Q, K + 1) float64;
    ``conditional``: given a relevant item in the top R (else AP = 0)."""
    cut, before = _cut_group(n, topk)
    relevant_before = r.cumsum(1) - r
    # Groups ahead of the cut group g are whole in the top R.
    whole = torch.arange(n.shape[1], device=n.device) < cut
    a, b = _expected_precision_sum(before, relevant_before, n)
    group_sums = a * r + b * r * (r - 1)
    whole_sum = torch.where(whole, group_sums, 0.0).sum(1, keepdim=True)

    def at_cut(values):
        return values.gather(1, cut)

    n_cut, r_cut = at_cut(n), at_cut(r)
    before_cut, relevant_before_cut = at_cut(before), at_cut(relevant_before)
    taken = topk - before_cut
    a_cut, b_cut = _expected_precision_sum(before_cut, relevant_before_cut,
                                           taken)

    x = torch.arange(
        int(torch.minimum(r_cut, taken).max()) + 1,
        dtype=torch.float64,
        device=n.device)[None, :]
    probability = _hypergeometric_pmf(x, n_cut, r_cut, taken, log_factorial)
    num_relevant = relevant_before_cut + x
    defined = num_relevant > 0
    expected_ap = torch.where(defined, (whole_sum + a_cut * x + b_cut * x *
                                        (x - 1)) / num_relevant.clamp(min=1),
                              0.0)
    weighted = (probability * expected_ap).sum(1)
    p_defined = torch.where(defined, probability, 0.0).sum(1)
    result = weighted / p_defined if conditional else weighted
    return torch.where(p_defined > 0, result, torch.nan)


def _hypergeometric_pmf(x: torch.Tensor, population: torch.Tensor,
                        successes: torch.Tensor, draws: torch.Tensor,
                        log_factorial: torch.Tensor) -> torch.Tensor:
    """P(X = x) for ``draws`` items taken without replacement, float64.

    0 off the support; normalised over the support (softmax of the log
    probabilities), which cancels the common factor 1 / C(population, draws).
    ``log_factorial[k] = log k!`` for k up to the population.
    """
    failures = population - successes
    support = (x <= successes) & (draws - x <= failures) & (x <= draws)

    def log_binomial(total, chosen):
        chosen = chosen.clamp(min=0).long()
        rest = (total - chosen).clamp(min=0).long()
        return (log_factorial[total.long()] - log_factorial[chosen] -
                log_factorial[rest])

    log_pmf = log_binomial(successes, x) + log_binomial(failures, draws - x)
    return torch.softmax(torch.where(support, log_pmf, -torch.inf), dim=1)
