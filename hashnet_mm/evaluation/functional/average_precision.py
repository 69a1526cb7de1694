"""Average precision of ranked lists, and means over queries."""
import torch

UNDEFINED_MODES = ('skip', 'zero')


def ranked_average_precision(relevant: torch.Tensor) -> torch.Tensor:
    """AP of each ranked list of R items.

    AP@R = sum_{r<=R} P(r) rel(r) / sum_{r<=R} rel(r), where P(r) is the
    precision of the first r items (the MAP@R of the HashNet paper, Sec.
    5.1).

    Args:
        relevant (Tensor): (Q, R) bool, relevance in rank order.

    Returns:
        Tensor: (Q,) float64 AP, NaN where no item is relevant.
    """
    hits = relevant.cumsum(1, dtype=torch.float64)
    ranks = torch.arange(
        1, relevant.shape[1] + 1, dtype=torch.float64, device=hits.device)
    return (hits / ranks).mul_(relevant).sum(1).div_(hits[:, -1])


def mean_over_queries(values: torch.Tensor,
                      undefined: str = 'skip') -> torch.Tensor:
    """Mean over queries (dim 0) of values where NaN marks undefined.

    Args:
        values (Tensor): (Q, ...) per-query values, NaN where undefined (e.g.
            AP without a relevant item).
        undefined (str): ``'skip'`` leaves undefined values out of the mean
            (0 where none is defined); ``'zero'`` counts them as 0.

    Returns:
        Tensor: float64 of shape ``values.shape[1:]``.
    """
    if undefined not in UNDEFINED_MODES:
        raise ValueError(f'undefined must be one of {UNDEFINED_MODES}, '
                         f'got {undefined!r}')
    values = values.double()
    if undefined == 'zero':
        return values.nan_to_num(0.0).mean(0)
    num_defined = (~values.isnan()).sum(0)
    total = values.nan_to_num(0.0).sum(0)
    return torch.where(num_defined > 0, total / num_defined.clamp(min=1), 0.0)
