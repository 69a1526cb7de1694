"""HammingRetrievalMetric refuses labels and codes it cannot score as they
are, never scores a mean over no query as 0, and warns about collapsed
codes."""
import logging

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from hashnet_mm.evaluation.functional import map_over_queries
from hashnet_mm.evaluation.metrics import HammingRetrievalMetric
from hashnet_mm.evaluation.metrics.hamming_retrieval_metric import (
    few_distinct_codes_threshold, warn_if_few_distinct_codes)
from .reference import reference_map
from .test_metric import as_predictions
from .test_ranking import make_case


def evaluate(samples, **kwargs):
    metric = HammingRetrievalMetric(**kwargs)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


@pytest.fixture
def warnings_logged():
    """The messages of the warnings the current MMLogger logs."""
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.mark.parametrize('score,shown', [(0.95, '0.95'), (-1.0, '-1'),
                                         (float('nan'), 'nan'), (2.0, '2')])
def test_labels_other_than_zero_and_one_name_the_sample(score, shown):
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl)
    samples[5]['gt_score'] = torch.tensor([score, 0.0])
    with pytest.raises(
            ValueError,
            match=rf'gt_score of sample 5 \(database\)'
            rf' is \[{shown}, 0\]: labels must be 0/1'):
        HammingRetrievalMetric().process({}, samples)


def test_smoothed_labels_are_not_scored_as_hard_ones():
    """Thresholding 0.95 / 0.05 at 0 made every item relevant (MAP 1)."""
    q, db, ql, dbl = make_case(4, 12, 8, 3, False, 1)
    smoothed = as_predictions(q, db, ql, dbl)
    for sample in smoothed:
        sample['gt_score'] = sample['gt_score'] * 0.9 + 0.05
    with pytest.raises(ValueError, match='labels must be 0/1'):
        evaluate(smoothed)
    hard = evaluate(as_predictions(q, db, ql, dbl))['retrieval/mAP@all']
    assert hard == pytest.approx(reference_map(q, db, ql, dbl, -1))
    assert hard < 1


@pytest.mark.parametrize('dtype', [torch.bool, torch.uint8])
def test_bool_codes_are_an_error_that_says_codes_are_plus_minus_one(dtype):
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl)
    for sample in samples:
        sample['hash_code'] = (sample['hash_code'] > 0).to(dtype)
    metric = HammingRetrievalMetric()
    if dtype == torch.bool:
        match = (r'hash_code of sample 0 \(query\) are booleans; codes must '
                 r'be -1/\+1 numbers \(for True = \+1: codes.to\(torch.int8\)'
                 r' \* 2 - 1\)')
    else:  # 0/1 numbers: not codes either
        match = r'sample \d+ \((query|database)\) must contain only -1 and'
    with pytest.raises(ValueError, match=match):
        metric.process({}, samples)


def test_all_true_bool_codes_are_refused_by_the_shared_check():
    from hashnet_mm.codes import check_codes
    with pytest.raises(ValueError, match='database codes are booleans'):
        check_codes(np.ones((2, 4), dtype=bool), 'database codes')


@pytest.mark.parametrize(
    'no_relevant', ['released_pytorch', 'released_caffe', 'deephash_pytorch'])
def test_labels_all_zero_are_an_error_not_map_zero(no_relevant):
    q, db, ql, dbl = make_case(4, 12, 8, 3, False, 0)
    samples = as_predictions(q, db, np.zeros_like(ql), np.zeros_like(dbl))
    with pytest.raises(
            ValueError,
            match='none of the 4 queries shares a '
            'label with any of the 12 database items \\(4 queries '
            'and 12 database items have no label at all\\)'):
        evaluate(samples, no_relevant=no_relevant)


def test_query_and_database_without_a_common_class_are_an_error():
    q, db, ql, dbl = make_case(3, 5, 8, 2, False, 0)
    ql = np.tile([1, 0], (3, 1))
    dbl = np.tile([0, 1], (5, 1))
    with pytest.raises(
            ValueError,
            match=r'\(0 queries and 0 database items '
            r'have no label at all\)'):
        evaluate(as_predictions(q, db, ql, dbl))


def test_unlabelled_queries_keep_each_conventions_value():
    """Queries with labels are scored as before; one without labels has no
    relevant item, and each convention treats it as any such query."""
    q, db, ql, dbl = make_case(6, 20, 8, 3, True, 3)
    ql = ql.copy()
    ql[0] = 0
    for convention, reference_mode in (('released_pytorch', 'skip'),
                                       ('deephash_pytorch', 'zero')):
        got = evaluate(
            as_predictions(q, db, ql, dbl), topk=5, no_relevant=convention)
        assert got['retrieval/mAP@5'] == pytest.approx(
            reference_map(q, db, ql, dbl, 5, reference_mode), abs=1e-12)


def test_a_map_over_no_query_is_nan_with_a_warning(warnings_logged):
    """Relevant items exist, but none in any query's top 1: the
    released_pytorch MAP@1 averages over no query."""
    q = np.array([[1, 1, 1, 1]])
    db = np.array([[1, 1, 1, 1], [-1, -1, -1, -1]])
    ql = np.array([[1, 0]])
    dbl = np.array([[0, 1], [1, 0]])
    got = evaluate(as_predictions(q, db, ql, dbl), topk=1)
    assert np.isnan(got['retrieval/mAP@1'])
    assert got['retrieval/queries_in_mAP@1'] == 0.0
    assert any(
        message.startswith('mAP@1 is NaN: no query has a relevant '
                           'item in its top 1') for message in warnings_logged)
    # Under the zero convention that query counts, with AP 0.
    zero = evaluate(as_predictions(q, db, ql, dbl), topk=1, no_relevant='zero')
    assert zero['retrieval/mAP@1'] == 0.0


def test_map_over_queries_of_no_query_is_nan():
    nothing = torch.full((2, ), float('nan'))
    value, count = map_over_queries(nothing, torch.zeros(2, dtype=torch.bool),
                                    'released_caffe')
    assert torch.isnan(value) and count == 0


def reference_distinct(codes):
    return len({tuple(row) for row in np.asarray(codes).tolist()})


@pytest.mark.parametrize('num_bits', [4, 64, 70])
def test_distinct_code_count_equals_reference(num_bits):
    rng = np.random.default_rng(num_bits)
    pool = np.where(rng.random((5, num_bits)) < 0.5, -1, 1)
    codes = pool[rng.integers(5, size=40)]
    assert warn_if_few_distinct_codes(torch.tensor(codes), 1) == \
        reference_distinct(codes)


def test_collapsed_codes_are_warned_about_with_the_count(warnings_logged):
    q, db, ql, dbl = make_case(4, 12, 8, 3, False, 0)
    collapsed = np.ones_like(db)
    collapsed[:2] = -1  # two distinct codes, three classes
    result = evaluate(as_predictions(q, collapsed, ql, dbl))
    assert result['retrieval/mAP@all'] == pytest.approx(
        reference_map(q, collapsed, ql, dbl, -1))
    assert ('only 2 distinct codes among 12 database items (fewer than '
            'max(2, classes) = 3)') in '\n'.join(warnings_logged)
    warnings_logged.clear()
    evaluate(as_predictions(q, db, ql, dbl))
    assert reference_distinct(db) >= 3
    assert not [m for m in warnings_logged if 'distinct codes' in m]


def test_few_distinct_codes_threshold_rule():
    assert [few_distinct_codes_threshold(c) for c in (1, 2, 10)] == [2, 2, 10]


@pytest.mark.parametrize('value', [0.95, -1.0, float('nan')])
def test_functional_measures_refuse_labels_other_than_0_1_naming_the_row(
        value):
    from .helpers import mean_average_precision
    q, db, ql, dbl = (torch.tensor(a) for a in make_case(3, 5, 8, 3, False, 0))
    dbl = dbl.double()
    dbl[3, 1] = value
    with pytest.raises(
            ValueError,
            match=r'database labels must be multi-hot:'
            r' only 0 and 1; row 3 is \['):
        mean_average_precision(q, db, ql, dbl)
    bool_codes = q > 0
    with pytest.raises(ValueError, match='query codes are booleans'):
        mean_average_precision(bool_codes, db, ql, dbl.round().clamp(0, 1))
