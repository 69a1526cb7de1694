"""retrieval_map goes through HammingRetrievalMetric to the functional
MAP, with nothing lost on the way."""
import numpy as np
import pytest
import torch

from hashnet_mm.shallow.evaluate import retrieval_map
from tests.test_evaluation.helpers import mean_average_precision


@pytest.mark.parametrize('topk', [-1, 7])
def test_same_value_as_the_functional_map(topk):
    rng = np.random.default_rng(0)
    q = torch.tensor(np.where(rng.random((12, 8)) < 0.5, -1.0, 1.0))
    db = torch.tensor(np.where(rng.random((40, 8)) < 0.5, -1.0, 1.0))
    ql = torch.tensor((rng.random((12, 5)) < 0.3).astype(np.uint8))
    dbl = torch.tensor((rng.random((40, 5)) < 0.3).astype(np.uint8))
    assert retrieval_map(
        q, ql, db, dbl, topk=topk) == pytest.approx(
            mean_average_precision(q, db, ql, dbl, topk=topk), abs=1e-12)
