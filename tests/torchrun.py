"""Run a test worker script under torchrun: 2 CPU processes (gloo)."""
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


# A rank of a CPU (gloo) job run by the tools may abort while the process
# exits, after every rank has passed the exit barrier (so all work is done):
# seen intermittently with torch 2.14.1 in gloo's teardown; callers that
# accept it check the job's outputs themselves.
TEARDOWN_ABORT = 'terminate called without an active exception'


def run_two_processes(worker, *args, cwd, accept_teardown_abort=False):
    """Run ``tests/<worker>`` on 2 local processes; fail with its output
    (unless it only aborted in teardown and ``accept_teardown_abort``)."""
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    command = [
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc_per_node=2',
        osp.join(REPO, 'tests', worker), *map(str, args)
    ]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    if accept_teardown_abort and TEARDOWN_ABORT in result.stderr:
        return
    assert result.returncode == 0, output
