"""HammingRetrievalMetric: mmengine glue around the functional MAP@R."""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.metrics import HammingRetrievalMetric

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
    assert result == {
        f'retrieval/mAP@{name}':
        pytest.approx(reference_map(q, db, ql, dbl, topk), abs=1e-12)
    }


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
