"""P@H<=r, the PR curve over radii, P@N and R@N against the plain references.
"""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.functional import (precision_recall_at_n,
                                              precision_recall_by_radius,
                                              precision_within_radius,
                                              ranking_statistics)
from . import reference
from .test_ranking import CASES, make_case


def as_list(values):
    """Tensor with NaN for undefined -> list with None."""
    return [None if np.isnan(v) else v for v in values.tolist()]


def statistics_of(case, **kwargs):
    q, db, ql, dbl = make_case(*case)
    tensors = [torch.tensor(a) for a in (q, db, ql, dbl)]
    return (q, db, ql, dbl), ranking_statistics(
        *tensors, chunk_size=5, **kwargs)


@pytest.mark.parametrize('case', CASES.values(), ids=list(CASES))
@pytest.mark.parametrize('radius', [0, 2, 5, 100])
def test_precision_within_radius(case, radius):
    (q, db, ql, dbl), statistics = statistics_of(case)
    got = precision_within_radius(statistics.distance_counts,
                                  statistics.relevant_counts, radius)
    expected = [
        reference.precision_within_radius(code, labels, db, dbl, radius)
        for code, labels in zip(q, ql)
    ]
    assert as_list(got) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize('case', CASES.values(), ids=list(CASES))
def test_precision_recall_curve(case):
    (q, db, ql, dbl), statistics = statistics_of(case)
    precision, recall = precision_recall_by_radius(statistics.distance_counts,
                                                   statistics.relevant_counts)
    num_bits = q.shape[1]
    assert precision.shape == recall.shape == (len(q), num_bits + 1)
    for i, (code, labels) in enumerate(zip(q, ql)):
        assert as_list(precision[i]) == pytest.approx([
            reference.precision_within_radius(code, labels, db, dbl, radius)
            for radius in range(num_bits + 1)
        ],
                                                      abs=1e-12)
        assert as_list(recall[i]) == pytest.approx([
            reference.recall_within_radius(code, labels, db, dbl, radius)
            for radius in range(num_bits + 1)
        ],
                                                   abs=1e-12)


def test_cases_have_empty_radii_and_queries_without_relevant_items():
    (_, _, ql, dbl), statistics = statistics_of(CASES['no-relevant-items'])
    assert (statistics.distance_counts[:, 0] == 0).any()
    assert (statistics.relevant_counts.sum(1) == 0).any()


@pytest.mark.parametrize('case', CASES.values(), ids=list(CASES))
@pytest.mark.parametrize('top_n', [(1, 3, 10), (7, 40, 1000)])
def test_precision_recall_at_n(case, top_n):
    # N = 1000 is larger than the database: the whole database.
    (q, db, ql, dbl), statistics = statistics_of(case, top_n=top_n, topk=3)
    precision, recall = precision_recall_at_n(statistics)
    for i, (code, labels) in enumerate(zip(q, ql)):
        expected = [
            reference.precision_recall_at_n(code, labels, db, dbl, n)
            for n in top_n
        ]
        assert as_list(precision[i]) == pytest.approx([p for p, _ in expected],
                                                      abs=1e-12)
        assert as_list(recall[i]) == pytest.approx([r for _, r in expected],
                                                   abs=1e-12)


def test_negative_radius_is_an_error():
    _, statistics = statistics_of(CASES['wide-codes'])
    with pytest.raises(ValueError, match='radius'):
        precision_within_radius(statistics.distance_counts,
                                statistics.relevant_counts, -1)
