"""Run a test worker script under torchrun: 2 CPU processes (gloo)."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_two_processes(worker, *args, cwd):
    """Run ``tests/<worker>`` on 2 local processes; fail with its output."""
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    command = [
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc_per_node=2',
        osp.join(REPO, 'tests', worker), *map(str, args)
    ]
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
