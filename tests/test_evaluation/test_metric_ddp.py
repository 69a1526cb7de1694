"""HammingRetrievalMetric under DDP (torchrun, 2 CPU processes, gloo)."""
import json

import pytest

from hashnet_mm.evaluation.metrics import HammingRetrievalMetric
from ..torchrun import run_two_processes
from .ddp_metric_worker import METRIC_ARGS, SIZES, fake_predictions

pytestmark = pytest.mark.slow


def test_two_processes_equal_one_process_exactly(tmp_path):
    out_file = tmp_path / 'metrics.json'
    run_two_processes(
        'test_evaluation/ddp_metric_worker.py', out_file, cwd=tmp_path)
    with open(out_file) as f:
        distributed = json.load(f)
    assert any((q + d) % 2 for q, d in SIZES), 'a size not divisible by 2'

    for num_query, num_database in SIZES:
        samples = fake_predictions(num_query, num_database)
        metric = HammingRetrievalMetric(**METRIC_ARGS)
        metric.process({}, samples)
        single = metric.evaluate(len(samples))
        # With 37 samples, DefaultSampler gives each rank 19: rank 1 holds a
        # padded duplicate, which mmengine's gathering drops.
        assert distributed[str(len(samples))] == single
