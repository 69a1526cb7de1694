"""Retrieval quality of a Hamming ranking: mean average precision at R."""
import torch

from .hamming import hamming_distance
from .validation import check_retrieval_inputs

NO_RELEVANT_MODES = ('skip', 'zero')


def hamming_ranking(query_codes: torch.Tensor, database_codes: torch.Tensor,
                    topk: int) -> torch.Tensor:
    """Indices of the ``topk`` database items nearest to each query.

    Items are ordered by Hamming distance; items at equal distance are ordered
    by their database index (ascending), so the ranking is deterministic.

    Returns:
        Tensor: (Q, topk) int64 database indices.
    """
    num_database = database_codes.shape[0]
    distance = hamming_distance(query_codes, database_codes)
    # One unique integer key per item: distance first, database index second.
    key = distance * num_database + torch.arange(
        num_database, device=distance.device)
    if topk == num_database:
        return key.argsort(dim=1)
    return key.topk(topk, dim=1, largest=False, sorted=True).indices


def average_precision_at_r(query_codes: torch.Tensor,
                           database_codes: torch.Tensor,
                           query_labels: torch.Tensor,
                           database_labels: torch.Tensor,
                           topk: int = -1,
                           chunk_size: int = 128) -> torch.Tensor:
    """Average precision of the top ``topk`` of each query's Hamming ranking.

    AP@R = sum_{r<=R} P(r) rel(r) / sum_{r<=R} rel(r), where rel(r) = 1 iff
    the r-th item shares at least one label with the query and P(r) is the
    precision of the first r items. This is the MAP@R of the HashNet paper
    (Sec. 5.1); ties in distance are broken by database index.

    Args:
        query_codes, database_codes (Tensor): (Q, K) and (N, K) codes in
            {-1, +1}.
        query_labels, database_labels (Tensor): (Q, C) and (N, C) multi-hot
            labels (0/1 or bool).
        topk (int): R; -1, or any value >= N, ranks the whole database.
        chunk_size (int): queries evaluated at once; memory is
            O(chunk_size * N).

    Returns:
        Tensor: (Q,) float64 AP per query, NaN for a query with no relevant
        item in its top R (AP is undefined there).
    """
    check_retrieval_inputs(query_codes, database_codes, query_labels,
                           database_labels)
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    num_database = database_codes.shape[0]
    if topk == -1 or topk > num_database:
        topk = num_database
    elif topk < 1:
        raise ValueError(f'topk must be -1 or >= 1, got {topk}')

    database_labels = database_labels.float()
    ranks = torch.arange(
        1, topk + 1, dtype=torch.float64, device=database_codes.device)
    ap = []
    for start in range(0, query_codes.shape[0], chunk_size):
        chunk = slice(start, start + chunk_size)
        order = hamming_ranking(query_codes[chunk], database_codes, topk)
        shares_label = query_labels[chunk].float() @ database_labels.t() > 0
        relevant = shares_label.gather(1, order).double()
        precision = relevant.cumsum(dim=1) / ranks
        num_relevant = relevant.sum(dim=1)
        ap.append((precision * relevant).sum(dim=1) / num_relevant)
    return torch.cat(ap)


def mean_average_precision(query_codes: torch.Tensor,
                           database_codes: torch.Tensor,
                           query_labels: torch.Tensor,
                           database_labels: torch.Tensor,
                           topk: int = -1,
                           no_relevant: str = 'skip',
                           chunk_size: int = 128) -> float:
    """MAP@R of a Hamming ranking (see :func:`average_precision_at_r`).

    Args:
        no_relevant (str): a query with no relevant item in its top R is
            left out of the mean with ``'skip'`` (the authors' released
            evaluation code, which produced the paper's tables) or counts as
            AP = 0 with ``'zero'``. With ``'skip'`` and no query having a
            relevant item, the result is 0.
        Other arguments as in :func:`average_precision_at_r`.
    """
    if no_relevant not in NO_RELEVANT_MODES:
        raise ValueError(f'no_relevant must be one of {NO_RELEVANT_MODES}, '
                         f'got {no_relevant!r}')
    ap = average_precision_at_r(query_codes, database_codes, query_labels,
                                database_labels, topk, chunk_size)
    defined = ~ap.isnan()
    if no_relevant == 'zero':
        return ap.nan_to_num(0.0).mean().item()
    if not defined.any():
        return 0.0
    return ap[defined].mean().item()
