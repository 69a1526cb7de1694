"""HammingRetrievalMetric under DDP (torchrun, 2 CPU processes, gloo)."""
import json
import os
import os.path as osp
import subprocess
import sys

from hashnet_mm.evaluation.metrics import HammingRetrievalMetric

from .ddp_metric_worker import METRIC_ARGS, SIZES, fake_predictions

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_two_processes_equal_one_process_exactly(tmp_path):
    out_file = tmp_path / 'metrics.json'
    worker = osp.join(REPO, 'tests', 'test_evaluation', 'ddp_metric_worker.py')
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    command = [
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc_per_node=2', worker,
        str(out_file)
    ]
    result = subprocess.run(command, cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
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
