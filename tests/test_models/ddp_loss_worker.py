"""Run under torchrun by test_loss_ddp.py: one DDP training step per case.

Every rank builds the same tiny HashNet model, takes its rows of the global
batch (:data:`SPLITS`), runs mmengine's ``MMDistributedDataParallel
.train_step`` with SGD at lr 1 (no momentum, no weight decay), and saves the
step's loss and every parameter's change ``before - after``, which is the
gradient DDP averaged, to ``argv[1]/<case>_<split>_rank<r>.pt``.

The backbone normalises with GroupNorm, which sees one image at a time:
with BatchNorm the statistics of half a batch differ from the whole
batch's, and the forward itself would differ between 1 and 2 processes.
"""
import sys

import torch
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import hashnet_mm  # noqa: F401

# Global batch of 8 images: rows per rank, equal and unequal.
SPLITS = dict(even=(4, 4), uneven=(5, 3))
# Rank 0's first rows reach class 4, the last rows only class 2, so the
# ranks' label matrices (made from gt_label indices) differ in width.
LABELS = ([0, 4], [1], [2, 3], [4], [0], [1, 2], [0], [2])
LOSSES = dict(
    hashnet=dict(type='WeightedPairwiseLoss', alpha=0.5),
    dhn=dict(type='DHNLoss'),
    # A tenth: its gradients then are of the others' size, which the
    # float32 tolerances of test_loss_ddp.py are set for.
    dsh=dict(type='DSHLoss', loss_weight=0.1),
    hashnet_local=dict(
        type='WeightedPairwiseLoss', alpha=0.5, across_ranks=False))


def build_model(loss):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            data_preprocessor=dict(
                type='ClsDataPreprocessor', mean=[128.] * 3, std=[64.] * 3),
            backbone=dict(
                type='ResNet',
                depth=18,
                stem_channels=8,
                base_channels=8,
                norm_cfg=dict(type='GN', num_groups=4)),
            neck=dict(type='GlobalAveragePooling'),
            # Weights large enough for codes far from 0, where the
            # losses of the global and of the local batches differ.
            head=dict(
                type='HashHead',
                num_bits=12,
                in_channels=64,
                loss=loss,
                init_cfg=dict(type='Normal', layer='Linear', std=1.0,
                              bias=0.))))
    model.init_weights()
    return model


def global_batch():
    images = torch.randint(
        0,
        256, (len(LABELS), 3, 32, 32),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(1))
    samples = [DataSample().set_gt_label(label) for label in LABELS]
    return list(images), samples


def train_step(model, inputs, samples):
    """(loss, {name: parameter change}) of one SGD step at lr 1."""
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0))
    parameters = dict(getattr(model, 'module', model).named_parameters())
    before = {n: p.detach().clone() for n, p in parameters.items()}
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples), wrapper)
    return log_vars['loss'].item(), {
        n: before[n] - p.detach()
        for n, p in parameters.items()
    }


def main(out_dir):
    dist.init_process_group('gloo')
    rank = dist.get_rank()
    inputs, samples = global_batch()
    for case, loss in LOSSES.items():
        for split, sizes in SPLITS.items():
            start = sum(sizes[:rank])
            rows = slice(start, start + sizes[rank])
            model = MMDistributedDataParallel(build_model(loss))
            step_loss, changes = train_step(model, inputs[rows], samples[rows])
            torch.save(
                dict(loss=step_loss, changes=changes),
                f'{out_dir}/{case}_{split}_rank{rank}.pt')
    dist.destroy_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
