"""Checks shared by the retrieval measures: bad input raises, never scores."""
from numbers import Integral
from typing import Sequence

import torch

from ...codes import check_codes


def _is_integer(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_retrieval_inputs(query_codes: torch.Tensor,
                           database_codes: torch.Tensor,
                           query_labels: torch.Tensor,
                           database_labels: torch.Tensor) -> None:
    """Raise ValueError unless codes are +-1 of one width and labels match.

    Codes: non-empty (n, K) matrices of -1/+1 (``codes.check_codes``), the
    same K for query and database. Labels: (n, C) multi-hot matrices of 0/1
    (or bool), one row per code, the same C for query and database.
    """
    check_codes(query_codes, 'query codes')
    check_codes(database_codes, 'database codes')
    if query_codes.shape[1] != database_codes.shape[1]:
        raise ValueError(
            f'query codes have {query_codes.shape[1]} bits but database codes '
            f'have {database_codes.shape[1]}')
    for name, labels, codes in (('query', query_labels, query_codes),
                                ('database', database_labels, database_codes)):
        if labels.dim() != 2 or labels.shape[0] != codes.shape[0]:
            raise ValueError(
                f'{name} labels must be ({codes.shape[0]}, C) multi-hot, got '
                f'shape {tuple(labels.shape)}')
        if labels.dtype != torch.bool:
            bad_rows = ((labels != 0) & (labels != 1)).any(1)
            if bool(bad_rows.any()):
                row = int(bad_rows.nonzero()[0, 0])
                raise ValueError(
                    f'{name} labels must be multi-hot: only 0 and 1; row '
                    f'{row} is {labels[row].tolist()} (a smoothed or soft '
                    'score, -1 or NaN is not a label)')
    if query_labels.shape[1] != database_labels.shape[1]:
        raise ValueError(
            f'query labels have {query_labels.shape[1]} classes but database '
            f'labels have {database_labels.shape[1]}')


def check_topk(topk: int) -> None:
    """R of a top-R measure: -1 (the whole database) or an integer >= 1."""
    if not _is_integer(topk) or (topk < 1 and topk != -1):
        raise ValueError(f'topk must be -1 or an integer >= 1, got {topk!r}')


def resolve_topk(topk: int, num_database: int) -> int:
    """R of a top-R measure: -1, or any value >= N, means the whole database.
    """
    check_topk(topk)
    return num_database if topk == -1 else min(int(topk), num_database)


def check_top_n(top_n: Sequence[int]) -> tuple:
    """The N of precision@N / recall@N: distinct integers >= 1, ascending."""
    top_n = tuple(top_n)
    if any(not _is_integer(n) or n < 1
           for n in top_n) or list(top_n) != sorted(set(top_n)):
        raise ValueError('top_n must be distinct ascending integers >= 1, '
                         f'got {top_n!r}')
    return tuple(int(n) for n in top_n)


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, '
                         f'got {value!r}')


def check_at_least(name: str, value: int, minimum: int) -> None:
    """Raise ValueError unless ``value`` is an integer >= ``minimum``."""
    if not _is_integer(value) or value < minimum:
        raise ValueError(f'{name} must be an integer >= {minimum}, '
                         f'got {value!r}')


def check_chunk_size(chunk_size: int) -> None:
    check_at_least('chunk_size', chunk_size, 1)
