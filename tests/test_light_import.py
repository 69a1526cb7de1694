"""``import hashnet_mm.search`` loads neither torch nor mmengine nor
mmpretrain, and searches; the plugin still registers everything for a
config, whichever of hashnet_mm and mmpretrain is imported first."""
import json
import os
import subprocess
import sys

import pytest

from .test_plugin import REPO

pytestmark = pytest.mark.slow

HEAVY = ('torch', 'mmengine', 'mmpretrain', 'mmcv')


def run_python(code: str) -> str:
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                            cwd=REPO,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_search_imports_no_training_stack_and_searches(tmp_path):
    out = run_python(f"""
import json, sys
import numpy as np
import hashnet_mm.search as search
from hashnet_mm.search.shards import Manifest
from hashnet_mm.search.sharded_index import ShardedIndex, load_index
codes = search.pack_codes(np.where(np.eye(8, 16) > 0, 1, -1))
search.CodesFile(codes, 16, np.arange(8)).save({str(tmp_path / 'c.npz')!r})
index = search.HammingIndex(16, 'hash')
index.add(search.CodesFile.load({str(tmp_path / 'c.npz')!r}).codes)
index.save({str(tmp_path / 'i.index')!r})
found = load_index({str(tmp_path / 'i.index')!r}).search(codes[:2], 3)
print(json.dumps(dict(ids=found.ids.tolist(),
                      loaded=[m for m in {HEAVY!r} if m in sys.modules])))
""")
    result = json.loads(out)
    assert result['loaded'] == []
    assert result['ids'] == [[0, 1, 2], [1, 0, 2]]


REGISTERED = """
from mmpretrain.registry import DATA_SAMPLERS, DATASETS, HOOKS, METRICS, \\
    MODELS
import torch
from mmengine.logging import HistoryBuffer
print(all([MODELS.get('HashHead'), MODELS.get('WeightedPairwiseLoss'),
           DATASETS.get('HashListDataset'), HOOKS.get('ContinuationHook'),
           METRICS.get('HammingRetrievalMetric'),
           METRICS.get('DumpHashCodes'), METRICS.get('DumpHashCodeShards'),
           DATA_SAMPLERS.get('ShardSampler')]),
      HistoryBuffer in torch.serialization.get_safe_globals())
"""


def test_a_config_registers_everything_after_a_light_import():
    """A search service that later loads a config (custom_imports of
    hashnet_mm, already imported light): the registries are filled when
    mmpretrain is imported."""
    out = run_python("""
import hashnet_mm.search
from mmengine.config import Config
import hashnet_mm
cfg = Config.fromfile(hashnet_mm.config_file(
    'hashnet_resnet50_coco_64bit.py'))
assert cfg.custom_imports.imports == ['hashnet_mm']
""" + REGISTERED)
    assert out == 'True True'


def test_importing_hashnet_mm_after_mmpretrain_registers_at_once():
    assert run_python('import mmpretrain, hashnet_mm\n' + REGISTERED) == \
        'True True'
