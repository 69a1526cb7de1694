"""benchmarks.gpu_check: its step runner, and the whole check at smoke
size on the CPU (the figures are not speed claims; those live in
docs/en/benchmarks/speed.md)."""
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys
import time

import pytest

from benchmarks import gpu_check
from ..tool_modules import REPO

pytestmark = pytest.mark.slow


def alive(pid):
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] not in 'ZX'
    except OSError:
        return False


def python(code):
    return lambda: [sys.executable, '-c', code]


def test_runner_reports_failed_and_timed_out_steps_and_goes_on(tmp_path):
    Step = gpu_check.Step

    def failing_check(log):
        raise ValueError('loss not finite')

    def missing_prerequisite():
        raise gpu_check.StepError('no checkpoint')

    # The slow step's own child must die with it (as loader workers would).
    slow = ('import subprocess, sys, time\n'
            "child = subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(60)'])\n"
            "print('child', child.pid, flush=True)\n"
            'time.sleep(60)')
    steps = [
        Step('exits', 60, python('raise SystemExit(3)'), dict),
        Step('check', 60, python('print(1)'), failing_check),
        Step('slow', 2, python(slow), dict),
        Step('needs', 60, missing_prerequisite, dict),
        Step('passes', 60, python('print(\'FIGURES {"x": 1.5}\')'),
             gpu_check.printed_figures),
    ]
    seen = []
    start = time.perf_counter()
    records = gpu_check.run_steps(
        steps,
        str(tmp_path / 'logs'),
        after_each=lambda r: seen.append(len(r)))
    assert time.perf_counter() - start < 30
    assert [r['name'] for r in records] == [s.name for s in steps]
    assert seen == [1, 2, 3, 4, 5]
    exits, check, slow, needs, passes = records
    assert not exits['passed'] and exits['error'] == \
        'StepError: exit status 3'
    assert not check['passed'] and 'loss not finite' in check['error']
    assert not slow['passed'] and 'over its cap of 2 s' in slow['error']
    assert 2 <= slow['seconds'] < 15
    (child, ) = map(
        int, re.findall(r'^child (\d+)$',
                        open(slow['log']).read(), re.M))
    for _ in range(50):
        if not alive(child):
            break
        time.sleep(0.1)
    assert not alive(child)
    assert not needs['passed'] and 'no checkpoint' in needs['error']
    assert passes['passed'] and passes['error'] is None
    assert passes['figures'] == {'x': 1.5}

    report = dict(
        steps=records,
        targets=gpu_check.targets_of(records),
        machine=dict(name='a CPU'),
        total_s=1.0)
    text = gpu_check.table(report)
    assert '| exits | FAILED |' in text and '| passes | passed |' in text


def test_printed_figures_takes_the_last_line():
    log = 'FIGURES {"a": 1}\nnoise\nFIGURES {"a": 2}\nwarning\n'
    assert gpu_check.printed_figures(log) == {'a': 2}


def test_smoke_run_passes_every_step(tmp_path):
    out = tmp_path / 'out' / 'check.json'
    # As documented (python -m benchmarks gpu_check), from another folder:
    # the repository on PYTHONPATH.
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    result = subprocess.run([
        sys.executable, '-m', 'benchmarks', 'gpu_check', '--smoke',
        '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out)
    ],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    report = json.loads(out.read_text())
    failed = {
        r['name']: (r['error'], r.get('log_tail', '')[-1500:])
        for r in report['steps'] if not r['passed']
    }
    assert result.returncode == 0 and not failed, (failed,
                                                   result.stdout[-2000:])
    assert [r['name'] for r in report['steps']] == [
        'data', 'train', 'test', 'train_speed', 'metric', 'encode', 'index'
    ]
    assert report['mode'] == 'smoke' and report['all_passed']
    assert report['amp'] is False and 'needs a GPU' in report['amp_note']
    for key in ('python', 'torch', 'numpy', 'name'):
        assert report['machine'][key]
    assert osp.isfile(tmp_path / 'out' / 'check_logs' / 'train.log')
    figures = {r['name']: r['figures'] for r in report['steps']}

    train = figures['train']
    assert train['iters'] == 4 and math.isfinite(train['loss_last'])
    assert train['beta_first'] == 1.0 and train['beta_last'] > 1.0
    assert 0 <= figures['test']['retrieval/mAP@5000'] <= 1
    speed = figures['train_speed']
    for key in ('synthetic_img_s', 'real_img_s', 'ratio', 'loader_wait_ms',
                'peak_memory_mib', 'loss_share'):
        assert speed[key] >= 0, key
    metric = figures['metric']
    assert metric['ap_max_difference'] <= 1e-12 and metric['counts_equal']
    assert metric['ap_same_undefined'] and metric['metric_s_best'] > 0
    assert figures['encode']['codes'] == 16
    assert figures['index']['topk_identical']
    assert figures['index']['radius_identical']
    assert set(report['targets']) >= {
        'train_b_over_a', 'metric_s', 'search_ids_identical'
    }
    assert '| step | result | seconds (cap) | figures |' in result.stdout
