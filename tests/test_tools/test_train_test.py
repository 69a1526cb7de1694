"""tools/train.py then tools/test.py on tiny made images, and --resume."""
import glob
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from ..tiny_data import write_tiny_dataset
from ..torchrun import run_two_processes

pytestmark = pytest.mark.slow

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs')


def write_config(path,
                 data_root,
                 max_iters,
                 checkpoint_interval=None,
                 extra=''):
    """A small HashNet config on the tiny colour-band images."""
    pipeline = "[dict(type='LoadImageFromFile'), dict(type='PackInputs')]"
    lists = dict(query='query.txt', database='database.txt')
    split = ', '.join(
        f"{name}=dict(data_root='{data_root}', ann_file='{ann}', "
        f"subset='all', pipeline={pipeline})" for name, ann in lists.items())
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [
    '{CONFIGS}/_base_/models/hashnet_resnet18_cifar_narrow.py',
    '{CONFIGS}/_base_/datasets/fashion_mnist_demo.py',
    '{CONFIGS}/_base_/schedules/hashnet_adam_cpu_demo.py',
    '{CONFIGS}/_base_/default_runtime.py',
]
model = dict(backbone=dict(in_channels=3), head=dict(num_bits=16))
data_preprocessor = dict(num_classes=4, mean=[128.] * 3, std=[64.] * 3)
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(data_root='{data_root}', subset='all', pipeline={pipeline}))
test_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict({split}))
val_dataloader = test_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval={checkpoint_interval or max_iters},
                    max_keep_ckpts=3))
{extra}
""")
    return path


def run_tool(*args):
    result = subprocess.run([sys.executable, *args],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, \
        result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def printed_metrics(stdout):
    """The metrics of the JSON file whose path tools/test.py prints (full
    precision; the printed summary is rounded to 4 digits)."""
    line = next(line for line in stdout.splitlines()
                if line.startswith('all metrics, curves included: '))
    with open(line.split(': ', 1)[1]) as f:
        return json.load(f)


def logged_scalars(work_dir):
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def tiny_multi_label(tmp_path):
    """4 classes, 1-2 labels per image: 64 train, 16 query, 48 database."""
    rng = np.random.default_rng(0)

    def labels(n):
        rows = np.eye(4, dtype=np.int64)[rng.integers(4, size=n)]
        rows[rng.random(n) < 0.3, rng.integers(4)] = 1
        return rows

    root = tmp_path / 'data'
    return write_tiny_dataset(
        str(root),
        dict(train=labels(64), query=labels(16), database=labels(48)))


def test_train_then_test_improves_map(tmp_path, tiny_multi_label):
    hook = "custom_hooks = [dict(type='ContinuationHook', gamma=0.1, step=10)]"
    config = write_config(
        str(tmp_path / 'cfg.py'), tiny_multi_label, 60, extra=hook)
    # The untrained model (same seed, so the same initial weights).
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp_path / 'untrained')
    untrained = Runner.from_cfg(cfg).test()['retrieval/mAP@all']

    work_dir = str(tmp_path / 'work')
    run_tool('tools/train.py', config, '--work-dir', work_dir)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    stdout = run_tool('tools/test.py', config, checkpoint, '--work-dir',
                      str(tmp_path / 'test'))
    trained = printed_metrics(stdout)['retrieval/mAP@all']
    assert trained > 0.8
    assert trained > untrained + 0.2, (untrained, trained)
    betas = [s['beta'] for s in logged_scalars(work_dir) if 'beta' in s]
    assert betas[0] == 1.0 and betas[-1] > 1.0


def test_resume_restores_iteration_and_beta(tmp_path, tiny_single_label):
    hook = "custom_hooks = [dict(type='ContinuationHook', gamma=1.0, step=1)]"
    config = write_config(
        str(tmp_path / 'cfg.py'),
        tiny_single_label,
        4,
        checkpoint_interval=2,
        extra=hook)
    full = str(tmp_path / 'full')
    run_tool('tools/train.py', config, '--work-dir', full)
    resumed = str(tmp_path / 'resumed')
    run_tool('tools/train.py', config, '--work-dir', resumed, '--resume',
             osp.join(full, 'iter_2.pth'))

    def beta_by_iter(work_dir):
        return {
            s['iter']: s['beta']
            for s in logged_scalars(work_dir) if 'beta' in s
        }

    uninterrupted, after_resume = beta_by_iter(full), beta_by_iter(resumed)
    assert sorted(after_resume) == [3, 4]
    for it in (3, 4):
        # The log counts from 1: 0-based iteration it - 1, whose beta counts
        # one iteration more, as the released code's counter does.
        assert after_resume[it] == uninterrupted[it] == pytest.approx(
            (1 + it)**0.5)


def test_train_and_test_with_two_cpu_processes(tmp_path, tiny_single_label):
    """``tools/train.py`` / ``tools/test.py --launcher pytorch`` under
    torchrun on a machine without CUDA (gloo; mmengine alone would call
    ``torch.cuda.set_device``): training runs, the test's mAP is the
    1-process mAP of the same checkpoint."""
    config = write_config(str(tmp_path / 'cfg.py'), tiny_single_label, 2)
    work_dir = tmp_path / 'ddp'
    run_two_processes(
        osp.join('..', 'tools', 'train.py'),
        config,
        '--launcher',
        'pytorch',
        '--work-dir',
        work_dir,
        cwd=tmp_path)
    checkpoint = str(work_dir / 'iter_2.pth')
    assert [s['iter'] for s in logged_scalars(str(work_dir))
            if 'loss' in s] == [1, 2]
    run_two_processes(
        osp.join('..', 'tools', 'test.py'),
        config,
        checkpoint,
        '--launcher',
        'pytorch',
        '--work-dir',
        tmp_path / 'ddp_test',
        cwd=tmp_path)
    single = printed_metrics(
        run_tool('tools/test.py', config, checkpoint, '--work-dir',
                 str(tmp_path / 'test')))
    (results, ) = glob.glob(str(tmp_path / 'ddp_test' / '*' / '*.json'))
    with open(results) as f:
        distributed = json.load(f)
    assert distributed['retrieval/mAP@all'] == single['retrieval/mAP@all']
