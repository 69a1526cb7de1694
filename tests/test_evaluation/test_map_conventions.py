"""The three MAP conventions, each against a plain reference of the
evaluation loop it is named after, on queries of every kind."""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.functional import tie_aware_average_precision
from hashnet_mm.evaluation.functional.measures import (MAP_CONVENTIONS,
                                                       map_over_queries,
                                                       resolve_map_convention)
from hashnet_mm.evaluation.metrics import (HammingRetrievalMetric,
                                           hamming_retrieval_metric)
from . import reference
from .helpers import mean_average_precision
from .test_metric import as_predictions

# 4-bit codes; 6 database items, labels over 3 classes; R = 2.
DATABASE_CODES = [[1, 1, 1, 1], [1, 1, 1, -1], [1, 1, -1, -1],
                  [-1, -1, -1, -1], [-1, -1, -1, 1], [1, -1, 1, -1]]
DATABASE_LABELS = [[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0],
                   [1, 1, 0]]
# Query kinds:
# 0, 1: a relevant item in the top R (AP defined);
# 2:    relevant items in the database (class 1), none in its top 2;
# 3:    no relevant item in the database (class 2 only);
# 4:    no label at all (an unlabelled NUS-WIDE image).
QUERY_CODES = [[1, 1, 1, 1], [-1, -1, -1, -1], [1, 1, 1, 1], [1, 1, 1, 1],
               [-1, -1, -1, -1]]
QUERY_LABELS = [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]
TOPK = 2


def as_arrays():
    return tuple(
        np.array(a)
        for a in (QUERY_CODES, DATABASE_CODES, QUERY_LABELS, DATABASE_LABELS))


def ranked_relevance(code, labels):
    """Relevance of the database in Hamming order (ties by index)."""
    relevant = reference.relevance(labels, DATABASE_LABELS)
    order = reference.ranking(code, DATABASE_CODES)
    return [relevant[i] for i in order], any(relevant)


def top_r_ap(ranked):
    """sum P(r) rel(r) / (relevant in the top R), or None without one."""
    return reference.average_precision(ranked, TOPK)


def released_pytorch_map():
    """HashNet pytorch/src/test.py: APs of the queries with a relevant item
    in their top R, averaged; the others are not appended."""
    aps = []
    for code, labels in zip(QUERY_CODES, QUERY_LABELS):
        ap = top_r_ap(ranked_relevance(code, labels)[0])
        if ap is not None:
            aps.append(ap)
    return float(np.mean(aps)), len(aps)


def released_caffe_map():
    """HashNet caffe/models/predict/*/predict_parallel.py: a query whose
    database holds a relevant item gets its AP, 0 if none is in the top R;
    a query whose database holds none is not appended."""
    aps = []
    for code, labels in zip(QUERY_CODES, QUERY_LABELS):
        ranked, any_in_database = ranked_relevance(code, labels)
        if any_in_database:
            ap = top_r_ap(ranked)
            aps.append(0.0 if ap is None else ap)
    return float(np.mean(aps)), len(aps)


def deephash_pytorch_map():
    """DeepHash-pytorch CalcTopMap: the APs summed, 0 for a query with no
    relevant item in its top R, divided by the number of queries."""
    total = 0.0
    for code, labels in zip(QUERY_CODES, QUERY_LABELS):
        ap = top_r_ap(ranked_relevance(code, labels)[0])
        total += 0.0 if ap is None else ap
    return total / len(QUERY_CODES), len(QUERY_CODES)


REFERENCES = {
    'released_pytorch': released_pytorch_map,
    'released_caffe': released_caffe_map,
    'deephash_pytorch': deephash_pytorch_map,
}


def test_hand_made_queries_are_of_every_kind():
    kinds = [ranked_relevance(c, l) for c, l in zip(QUERY_CODES, QUERY_LABELS)]
    in_top = [any(ranked[:TOPK]) for ranked, _ in kinds]
    in_database = [anywhere for _, anywhere in kinds]
    assert in_top == [True, True, False, False, False]
    assert in_database == [True, True, True, False, False]
    # The three conventions differ on these queries.
    values = [REFERENCES[c]()[0] for c in MAP_CONVENTIONS]
    assert len(set(values)) == 3


@pytest.mark.parametrize('convention', MAP_CONVENTIONS)
def test_functional_map_equals_reference(convention):
    codes = [torch.tensor(a) for a in as_arrays()]
    expected, _ = REFERENCES[convention]()
    assert mean_average_precision(*codes, topk=TOPK,
                                  no_relevant=convention) == \
        pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize('convention', MAP_CONVENTIONS)
def test_metric_map_and_query_count_equal_reference(convention, monkeypatch):
    lines = []
    monkeypatch.setattr(
        hamming_retrieval_metric.MMLogger, 'get_current_instance',
        lambda: type('Logger', (), {
            'info': lambda self, m: lines.append(m)
        })())
    metric = HammingRetrievalMetric(topk=TOPK, no_relevant=convention)
    metric.process({}, as_predictions(*as_arrays()))
    got = metric.evaluate(len(QUERY_CODES) + len(DATABASE_CODES))
    expected, count = REFERENCES[convention]()
    assert got['retrieval/mAP@2'] == pytest.approx(expected, abs=1e-12)
    assert got['retrieval/queries_in_mAP@2'] == count
    assert lines == [
        f'mAP@2 over {count} of 5 queries, tie_aware_mAP@2 over '
        f'{int(got["retrieval/queries_in_tie_aware_mAP@2"])} '
        f"(no_relevant='{convention}'; 2 queries have no relevant item in "
        'the database)'
    ]


@pytest.mark.parametrize('alias,name', [('skip', 'released_pytorch'),
                                        ('zero', 'deephash_pytorch')])
def test_old_names_are_aliases(alias, name):
    assert resolve_map_convention(alias) == name
    codes = [torch.tensor(a) for a in as_arrays()]
    assert mean_average_precision(*codes, topk=TOPK, no_relevant=alias) == \
        mean_average_precision(*codes, topk=TOPK, no_relevant=name)
    metric = HammingRetrievalMetric(topk=TOPK, no_relevant=alias)
    assert metric.no_relevant == name


def test_unknown_convention_is_refused():
    with pytest.raises(ValueError, match='no_relevant must be one of'):
        resolve_map_convention('caffe')
    with pytest.raises(ValueError, match='no_relevant'):
        HammingRetrievalMetric(no_relevant='paper')


def test_map_over_queries_counts():
    ap = torch.tensor([0.5, float('nan'), 1.0, float('nan')])
    in_database = torch.tensor([True, True, True, False])
    assert map_over_queries(ap, in_database, 'released_pytorch') == \
        (pytest.approx(0.75), 2)
    assert map_over_queries(ap, in_database, 'released_caffe') == \
        (pytest.approx(0.5), 3)
    assert map_over_queries(ap, in_database, 'deephash_pytorch') == \
        (pytest.approx(0.375), 4)
    # No query counted: a mean over no query is NaN, never 0.
    nothing = torch.full((2, ), float('nan'))
    value, count = map_over_queries(nothing, torch.zeros(2, dtype=torch.bool),
                                    'released_caffe')
    assert torch.isnan(value) and count == 0


@pytest.mark.parametrize('convention', MAP_CONVENTIONS)
def test_tie_aware_map_under_each_convention(convention):
    """Expected AP over every order of tied items, per query, then the
    convention's mean: Caffe's is AP = 0 for the orders without a relevant
    item in the top R, for queries whose database holds one."""
    q, db, ql, dbl = as_arrays()
    distance_counts, relevant_counts, per_query = [], [], []
    for code, labels in zip(q, ql):
        d = reference.distances(code, db)
        rel = reference.relevance(labels, dbl)
        distance_counts.append(np.bincount(d, minlength=5))
        relevant_counts.append(np.bincount(d, weights=rel, minlength=5))
        mode = 'skip' if convention == 'released_pytorch' else 'zero'
        per_query.append(
            (reference.brute_force_tie_aware_ap(d, rel, TOPK, mode), any(rel)))
    if convention == 'released_pytorch':
        kept = [v for v, _ in per_query if v is not None]
    elif convention == 'released_caffe':
        kept = [v or 0.0 for v, anywhere in per_query if anywhere]
    else:
        kept = [v or 0.0 for v, _ in per_query]
    tie_aware = tie_aware_average_precision(
        torch.tensor(np.array(distance_counts)),
        torch.tensor(np.array(relevant_counts), dtype=torch.int64),
        topk=TOPK,
        no_relevant=convention)
    in_database = torch.tensor([anywhere for _, anywhere in per_query])
    value, count = map_over_queries(tie_aware, in_database, convention)
    assert value.item() == pytest.approx(float(np.mean(kept)), abs=1e-12)
    assert count == len(kept)
