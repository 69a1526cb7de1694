"""HammingRetrievalMetric: mmengine glue around the functional measures."""
import json

import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.metrics import HammingRetrievalMetric
from . import reference
from .reference import reference_map
from .test_ranking import CASES, make_case


def as_predictions(q, db, ql, dbl, multi_hot=True):
    """Prediction dicts as mmengine's Evaluator hands them to process()."""
    samples = []
    for split, codes, labels in (('query', q, ql), ('database', db, dbl)):
        for code, label in zip(codes, labels):
            sample = dict(
                hash_code=torch.tensor(code, dtype=torch.float32),
                split=split,
                sample_idx=len(samples))
            if multi_hot:
                sample['gt_score'] = torch.tensor(label, dtype=torch.float32)
            else:
                sample['gt_label'] = torch.tensor(np.flatnonzero(label))
            samples.append(sample)
    return samples


@pytest.mark.parametrize('multi_hot', [True, False])
@pytest.mark.parametrize('topk', [10, -1])
def test_equals_reference_in_any_arrival_order(multi_hot, topk):
    q, db, ql, dbl = make_case(*CASES['heavy-ties-multi-label'])
    samples = as_predictions(q, db, ql, dbl, multi_hot)
    metric = HammingRetrievalMetric(topk=topk, chunk_size=4)
    metric.dataset_meta = dict(classes=[str(i) for i in range(ql.shape[1])])
    order = np.random.default_rng(0).permutation(len(samples))
    for start in range(0, len(order), 7):
        metric.process({}, [samples[i] for i in order[start:start + 7]])
    result = metric.evaluate(len(samples))
    name = 'all' if topk == -1 else topk
    assert result[f'retrieval/mAP@{name}'] == pytest.approx(
        reference_map(q, db, ql, dbl, topk), abs=1e-12)


def test_no_relevant_zero_mode():
    q, db, ql, dbl = make_case(*CASES['no-relevant-items'])
    metric = HammingRetrievalMetric(topk=5, no_relevant='zero')
    metric.process({}, as_predictions(q, db, ql, dbl))
    value = metric.evaluate(len(q) + len(db))['retrieval/mAP@5']
    assert value == pytest.approx(reference_map(q, db, ql, dbl, 5, 'zero'))


def test_empty_database_is_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    metric = HammingRetrievalMetric()
    metric.process({}, as_predictions(q, db, ql, dbl)[:3])
    with pytest.raises(ValueError, match='database set is empty'):
        metric.evaluate(3)


def test_mixed_code_widths_are_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl)
    samples[-1]['hash_code'] = samples[-1]['hash_code'][:4]
    metric = HammingRetrievalMetric()
    metric.process({}, samples)
    with pytest.raises(ValueError, match='mixed widths'):
        metric.evaluate(len(samples))


def test_predictions_without_codes_are_an_error():
    with pytest.raises(KeyError, match='hash_code'):
        HammingRetrievalMetric().process({}, [dict(pred_score=1)])


def test_bad_topk():
    with pytest.raises(ValueError):
        HammingRetrievalMetric(topk=0)


def evaluate(samples, **kwargs):
    metric = HammingRetrievalMetric(**kwargs)
    metric.dataset_meta = dict(classes=[str(i) for i in range(12)])
    metric.process({}, samples)
    return {
        key.split('/', 1)[1]: value
        for key, value in metric.evaluate(len(samples)).items()
    }


def expected_measures(q, db, ql, dbl, topk, radius, top_n, no_relevant,
                      empty_radius):
    """Every measure from the plain references (tie-aware aside)."""

    def per_query(function, *args):
        return [function(c, l, db, dbl, *args) for c, l in zip(q, ql)]

    name = 'all' if topk == -1 else topk
    expected = {
        f'mAP@{name}':
        reference.reference_map(q, db, ql, dbl, topk, no_relevant),
        f'P@H<={radius}':
        reference.mean(
            per_query(reference.precision_within_radius, radius),
            empty_radius),
    }
    for n in top_n:
        at_n = per_query(reference.precision_recall_at_n, n)
        expected[f'P@{n}'] = reference.mean([p for p, _ in at_n])
        expected[f'R@{n}'] = reference.mean([r for _, r in at_n])
    radii = range(q.shape[1] + 1)
    expected['PR_precision'] = [
        reference.mean(
            per_query(reference.precision_within_radius, r), empty_radius)
        for r in radii
    ]
    expected['PR_recall'] = [
        reference.mean(per_query(reference.recall_within_radius, r))
        for r in radii
    ]
    return expected


@pytest.mark.parametrize(
    'case',
    ['heavy-ties-single-label', 'heavy-ties-multi-label', 'no-relevant-items'])
@pytest.mark.parametrize('topk,no_relevant,empty_radius',
                         [(7, 'skip', 'zero'), (-1, 'zero', 'skip'),
                          (1000, 'skip', 'skip')])
def test_every_measure_equals_reference(case, topk, no_relevant, empty_radius):
    q, db, ql, dbl = make_case(*CASES[case])
    got = evaluate(
        as_predictions(
            q, db, ql, dbl, multi_hot=case != 'heavy-ties-'
            'single-label'),
        topk=topk,
        radius=1,
        top_n=(1, 5, 100),
        no_relevant=no_relevant,
        empty_radius=empty_radius,
        chunk_size=4)
    expected = expected_measures(q, db, ql, dbl, topk, 1, (1, 5, 100),
                                 no_relevant, empty_radius)
    name = 'all' if topk == -1 else topk
    # The query counts of both MAPs are reported too.
    assert set(got) == set(expected) | {
        f'tie_aware_mAP@{name}', f'queries_in_mAP@{name}',
        f'queries_in_tie_aware_mAP@{name}'
    }
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-12), key


@pytest.mark.parametrize('no_relevant', ['skip', 'zero'])
def test_tie_aware_map_is_mean_over_all_tie_orders(no_relevant):
    # 2-bit codes, 7 database items: every tie order can be enumerated.
    q, db, ql, dbl = make_case(4, 7, 2, 3, True, 5)
    got = evaluate(
        as_predictions(q, db, ql, dbl), topk=3,
        no_relevant=no_relevant)['tie_aware_mAP@3']
    per_query = [
        reference.brute_force_tie_aware_ap(
            reference.distances(c, db), reference.relevance(l, dbl), 3,
            no_relevant) for c, l in zip(q, ql)
    ]
    assert got == pytest.approx(
        reference.mean(per_query, no_relevant), abs=1e-12)


def test_curves_are_json_lists_over_all_radii():
    q, db, ql, dbl = make_case(*CASES['wide-codes'])
    got = evaluate(as_predictions(q, db, ql, dbl))
    assert json.loads(json.dumps(got)) == got
    assert len(got['PR_precision']) == len(got['PR_recall']) == 65
    assert got['PR_recall'][-1] == 1.0
    assert [key for key in got if key.startswith('P@')
            ] == ['P@H<=2'] + [f'P@{n}' for n in range(100, 1001, 100)]


def test_scores_on_the_device_of_the_predictions():
    q, db, ql, dbl = make_case(3, 5, 8, 2, False, 0)
    metric = HammingRetrievalMetric()
    metric.process({}, as_predictions(q, db, ql, dbl))
    assert metric._prediction_device == torch.device('cpu')
    explicit = HammingRetrievalMetric(device='cpu')
    explicit.process({}, as_predictions(q, db, ql, dbl))
    assert explicit.evaluate(8) == metric.evaluate(8)


def test_codes_that_are_not_plus_minus_one_are_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl)
    samples[5]['hash_code'][2] = 0.5
    with pytest.raises(ValueError, match='sample 5 \\(database\\)'):
        HammingRetrievalMetric().process({}, samples)


def test_label_widths_differing_between_query_and_database_are_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl)
    for sample in samples[3:]:
        sample['gt_score'] = torch.cat([sample['gt_score'], torch.zeros(1)])
    metric = HammingRetrievalMetric()
    metric.process({}, samples)
    with pytest.raises(
            ValueError,
            match='2 \\(sample 0, query\\), '
            '3 \\(sample 3, database\\)'):
        metric.evaluate(len(samples))


def test_empty_query_set_is_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    metric = HammingRetrievalMetric()
    metric.process({}, as_predictions(q, db, ql, dbl)[3:])
    with pytest.raises(ValueError, match='query set is empty'):
        metric.evaluate(4)


def test_class_index_outside_the_classes_is_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl, multi_hot=False)
    samples[4]['gt_label'] = torch.tensor([7])
    metric = HammingRetrievalMetric()
    metric.dataset_meta = dict(classes=['a', 'b'])
    metric.process({}, samples)
    with pytest.raises(ValueError, match='sample 4 \\(database\\)'):
        metric.evaluate(len(samples))


def test_mixed_label_kinds_are_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl)
    samples[0] = as_predictions(q, db, ql, dbl, multi_hot=False)[0]
    metric = HammingRetrievalMetric()
    metric.process({}, samples)
    with pytest.raises(ValueError, match='one kind'):
        metric.evaluate(len(samples))


@pytest.mark.parametrize('kwargs', [
    dict(radius=-1),
    dict(empty_radius='nan'),
    dict(no_relevant='ignore'),
    dict(top_n=(10, 5)),
    dict(top_n=(0, )),
    dict(chunk_size=0)
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        HammingRetrievalMetric(**kwargs)


def test_a_sample_seen_twice_is_an_error():
    q, db, ql, dbl = make_case(3, 4, 8, 2, False, 0)
    samples = as_predictions(q, db, ql, dbl)
    metric = HammingRetrievalMetric()
    metric.process({}, samples + samples[:1])
    with pytest.raises(RuntimeError, match='same sample twice'):
        metric.compute_metrics(metric.results)


def test_chunk_size_reaches_every_chunked_step(monkeypatch):
    """The ranking and the tie-aware expectation both take ``chunk_size``
    queries at a time."""
    from hashnet_mm.evaluation.functional import tie_aware
    from hashnet_mm.evaluation.functional.rankers.numba_ranker import \
        NumbaRanker
    rows = {'rank': [], 'tie_aware': []}

    def spy(step, function, row_argument):

        def recorded(*args):
            rows[step].append(len(args[row_argument]))
            return function(*args)

        return recorded

    monkeypatch.setattr(NumbaRanker, 'rank', spy('rank', NumbaRanker.rank, 1))
    monkeypatch.setattr(
        tie_aware, '_expected_average_precision',
        spy('tie_aware', tie_aware._expected_average_precision, 0))
    q, db, ql, dbl = make_case(*CASES['heavy-ties-multi-label'])
    evaluate(as_predictions(q, db, ql, dbl), topk=10, chunk_size=5)
    # 12 queries; chunks may finish in any order (threads).
    assert {
        step: sorted(n)
        for step, n in rows.items()
    } == {
        'rank': [2, 5, 5],
        'tie_aware': [2, 5, 5]
    }
