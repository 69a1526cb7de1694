"""A test run logs every measure and saves the curves to the work dir JSON."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import hashnet_mm  # noqa: F401  (registers HashHead, the datasets, the metric)

pytestmark = pytest.mark.slow

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


def tiny_test_config(data_root, work_dir):
    """An untrained 8-bit HashNet on the tiny images, test loop only."""

    def split(ann_file):
        return dict(
            type='HashListDataset',
            data_root=data_root,
            ann_file=ann_file,
            pipeline=PIPELINE)

    return Config(
        dict(
            default_scope='mmpretrain',
            model=dict(
                type='ImageClassifier',
                data_preprocessor=dict(
                    num_classes=4,
                    mean=[128.] * 3,
                    std=[64.] * 3,
                    to_onehot=True),
                backbone=dict(
                    type='ResNet_CIFAR',
                    depth=18,
                    stem_channels=8,
                    base_channels=8,
                    out_indices=(3, )),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='HashHead', num_bits=8, in_channels=64)),
            test_dataloader=dict(
                batch_size=16,
                num_workers=0,
                dataset=dict(
                    type='QueryDatabaseDataset',
                    query=split('query.txt'),
                    database=split('database.txt')),
                sampler=dict(type='DefaultSampler', shuffle=False)),
            test_evaluator=dict(
                type='HammingRetrievalMetric', topk=10, top_n=(5, 10)),
            test_cfg=dict(),
            default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
            log_processor=dict(by_epoch=False),
            randomness=dict(seed=0),
            work_dir=work_dir))


def test_test_run_saves_scalars_and_curves(tmp_path, tiny_single_label):
    work_dir = str(tmp_path / 'work')
    metrics = Runner.from_cfg(tiny_test_config(tiny_single_label,
                                               work_dir)).test()

    (json_file, ) = glob.glob(osp.join(work_dir, '*', '*.json'))
    with open(json_file) as f:
        saved = json.load(f)
    for key, value in metrics.items():
        assert saved[key] == value
    assert len(saved['retrieval/PR_precision']) == 9
    # How many queries each MAP used is saved with the MAPs.
    assert saved['retrieval/queries_in_mAP@10'] == \
        metrics['retrieval/queries_in_mAP@10'] > 0
    assert 'retrieval/queries_in_tie_aware_mAP@10' in saved
    (log_file, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log_file) as f:
        log = f.read()
    assert 'retrieval/tie_aware_mAP@10' in log
    assert 'retrieval/PR_recall: [' in log
