"""MAP@R of a Hamming ranking against the slow reference in reference.py."""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.functional import ranking_statistics
from . import reference
from .helpers import hamming_distance, hamming_ranking, mean_average_precision
from .reference import reference_map


def make_case(num_query, num_database, num_bits, num_classes, multi_label,
              seed):
    rng = np.random.default_rng(seed)

    def codes(n):
        return np.where(rng.random((n, num_bits)) < 0.5, -1, 1)

    def labels(n):
        if multi_label:
            return (rng.random((n, num_classes)) < 0.25).astype(np.int64)
        return np.eye(
            num_classes, dtype=np.int64)[rng.integers(num_classes, size=n)]

    return codes(num_query), codes(num_database), labels(num_query), labels(
        num_database)


CASES = {
    # 4-bit codes: 60 database items on 16 codes, so ties everywhere.
    'heavy-ties-single-label': (12, 60, 4, 5, False, 0),
    'heavy-ties-multi-label': (12, 60, 4, 6, True, 1),
    # Sparse multi-labels: some queries (or rows) have no relevant item.
    'no-relevant-items': (15, 40, 8, 12, True, 2),
    'wide-codes': (10, 50, 64, 4, False, 3),
}


@pytest.mark.parametrize('case', CASES.values(), ids=list(CASES))
@pytest.mark.parametrize('topk', [1, 7, 40, -1, 1000])
@pytest.mark.parametrize('no_relevant', ['skip', 'zero'])
def test_map_matches_reference(case, topk, no_relevant):
    q, db, ql, dbl = make_case(*case)
    value = mean_average_precision(
        torch.tensor(q),
        torch.tensor(db),
        torch.tensor(ql),
        torch.tensor(dbl),
        topk=topk,
        no_relevant=no_relevant,
        chunk_size=5)
    assert value == pytest.approx(
        reference_map(q, db, ql, dbl, topk, no_relevant), abs=1e-12)


def test_case_really_has_queries_without_relevant_items():
    q, db, ql, dbl = make_case(*CASES['no-relevant-items'])
    assert ((ql @ dbl.T) > 0).sum(1).min() == 0


def test_chunk_size_does_not_change_result():
    q, db, ql, dbl = [torch.tensor(a) for a in make_case(*CASES['wide-codes'])]
    values = {
        mean_average_precision(q, db, ql, dbl, topk=20, chunk_size=c)
        for c in (1, 3, 1000)
    }
    assert len(values) == 1


@pytest.mark.parametrize('num_threads', [1, 3])
def test_threads_do_not_change_statistics(num_threads):
    """On CPU, query chunks are spread over torch's threads; every per-query
    statistic must equal the one-thread pass, in query order."""
    q, db, ql, dbl = [
        torch.tensor(a) for a in make_case(*CASES['heavy-ties-multi-label'])
    ]
    previous = torch.get_num_threads()

    def statistics(threads):
        torch.set_num_threads(threads)
        return ranking_statistics(
            q, db, ql, dbl, topk=7, top_n=(3, 10), chunk_size=2)

    try:
        expected, found = statistics(1), statistics(num_threads)
    finally:
        torch.set_num_threads(previous)
    for name in ('distance_counts', 'relevant_counts', 'relevant_at_n'):
        assert torch.equal(getattr(found, name), getattr(expected, name))
    assert torch.equal(found.average_precision.isnan(),
                       expected.average_precision.isnan())
    assert torch.equal(found.average_precision.nan_to_num(),
                       expected.average_precision.nan_to_num())
    # The rows differ, so a change of query order would show.
    assert len({tuple(row) for row in found.distance_counts.tolist()}) > 1


def test_ties_are_broken_by_database_index():
    database = torch.tensor([[1, 1], [-1, 1], [1, 1], [1, -1], [1, 1]])
    order = hamming_ranking(torch.tensor([[1, 1]]), database, topk=5)
    assert order.tolist() == [[0, 2, 4, 1, 3]]
    # Relevant item last among equals: the tie order decides AP.
    labels = torch.tensor([[0], [0], [0], [0], [1]])
    ap = mean_average_precision(
        torch.tensor([[1, 1]]), database, torch.tensor([[1]]), labels)
    assert ap == pytest.approx(1 / 3)


def test_hamming_distance_counts_differing_bits():
    rng = np.random.default_rng(5)
    a = np.where(rng.random((6, 48)) < 0.5, -1, 1)
    b = np.where(rng.random((9, 48)) < 0.5, -1, 1)
    expected = (a[:, None, :] != b[None, :, :]).sum(-1)
    assert hamming_distance(torch.tensor(a), torch.tensor(b)).tolist() == \
        expected.tolist()


def test_no_query_with_relevant_item():
    codes = torch.ones(3, 4)
    q_labels = torch.tensor([[1, 0]] * 3)
    db_labels = torch.tensor([[0, 1]] * 3)
    # Left out by the default convention: a MAP over no query, NaN.
    assert np.isnan(mean_average_precision(codes, codes, q_labels, db_labels))
    assert mean_average_precision(
        codes, codes, q_labels, db_labels, no_relevant='zero') == 0.0


@pytest.mark.parametrize('change,match', [
    (lambda a: (a[0] * 0, *a[1:]), 'only -1 and \\+1'),
    (lambda a: (a[0][:, :4], *a[1:]), 'bits'),
    (lambda a: (a[0][:0], a[1], a[2][:0], a[3]), 'non-empty'),
    (lambda a: (*a[:3], a[3][:, :2]), 'classes'),
    (lambda a: (*a[:2], a[2][:2], a[3]), 'labels must be'),
])
def test_bad_input_raises(change, match):
    args = [torch.tensor(a) for a in make_case(3, 5, 8, 3, False, 0)]
    with pytest.raises(ValueError, match=match):
        mean_average_precision(*change(args))


@pytest.mark.parametrize(
    'kwargs', [dict(topk=0),
               dict(chunk_size=0),
               dict(no_relevant='ignore')])
def test_bad_arguments(kwargs):
    args = [torch.tensor(a) for a in make_case(3, 5, 8, 3, False, 0)]
    with pytest.raises(ValueError):
        mean_average_precision(*args, **kwargs)


def test_ranking_in_chunks_equals_reference():
    q, db, _, _ = make_case(7, 30, 6, 2, False, 9)
    expected = [reference.ranking(code, db)[:12] for code in q]
    for chunk_size in (1, 3, 100):
        assert hamming_ranking(
            torch.tensor(q), torch.tensor(db), 12,
            chunk_size).tolist() == expected
