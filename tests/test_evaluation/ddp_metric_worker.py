"""Run under torchrun by test_metric_ddp.py: every rank scores its shard.

Each rank feeds HammingRetrievalMetric the predictions that mmengine's
DefaultSampler(shuffle=False) gives it; mmengine gathers all ranks' results
and rank 0 writes the metrics, one dict per dataset size, to argv[1] as JSON.
"""
import json
import sys

import torch.distributed as dist
from mmengine.dataset import DefaultSampler

from hashnet_mm.evaluation.metrics import HammingRetrievalMetric
from tests.test_evaluation.test_metric import as_predictions
from tests.test_evaluation.test_ranking import make_case

# (queries, database items): 37 and 40 samples, on 2 processes.
SIZES = ((7, 30), (8, 32))
METRIC_ARGS = dict(topk=10, top_n=(1, 5, 100), chunk_size=3)
BATCH_SIZE = 4


def fake_predictions(num_query, num_database):
    return as_predictions(
        *make_case(num_query, num_database, 4, 5, True, num_query))


def main(out_file):
    dist.init_process_group('gloo')
    metrics = {}
    for num_query, num_database in SIZES:
        samples = fake_predictions(num_query, num_database)
        indices = list(DefaultSampler(samples, shuffle=False))
        metric = HammingRetrievalMetric(**METRIC_ARGS)
        for start in range(0, len(indices), BATCH_SIZE):
            metric.process(
                {}, [samples[i] for i in indices[start:start + BATCH_SIZE]])
        metrics[len(samples)] = metric.evaluate(len(samples))
    if dist.get_rank() == 0:
        with open(out_file, 'w') as f:
            json.dump(metrics, f)
    dist.destroy_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
