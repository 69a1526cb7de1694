"""DatasetPairWeightsHook: eq. 2's c_ij over the training set S."""
import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hashnet_mm.engine.hooks.dataset_pair_weights_hook import (
    DatasetPairWeightsHook, dataset_labels)
from hashnet_mm.models.heads import HashHead
from hashnet_mm.models.losses import WeightedPairwiseLoss


class IndexDataset:
    """Data infos with ``gt_label`` indices, as HashListDataset keeps."""

    def __init__(self, indices, classes=None):
        self.indices = indices
        self.metainfo = {'classes': classes} if classes else {}

    def __len__(self):
        return len(self.indices)

    def get_data_info(self, i):
        return dict(gt_label=np.array(self.indices[i], dtype=np.int64))


def runner_for(loss, dataset):
    model = torch.nn.Module()
    model.head = HashHead(num_bits=8, in_channels=4, loss=loss)
    return SimpleNamespace(
        model=model,
        train_dataloader=SimpleNamespace(dataset=dataset),
        logger=logging.getLogger('test_pair_weights'))


def test_sets_the_fraction_of_similar_training_pairs():
    # 5 images: {0}, {0, 1}, {1}, {2}, {} (unlabelled). Similar ordered pairs
    # i != j: (0,1) (1,0) (1,2) (2,1) -> 4 of 20.
    dataset = IndexDataset([[0], [0, 1], [1], [2], []],
                           classes=('a', 'b', 'c', 'd'))
    labels = dataset_labels(dataset)
    assert labels.shape == (5, 4) and not labels[4].any()
    loss = WeightedPairwiseLoss(weight_source='dataset')
    DatasetPairWeightsHook().before_train(runner_for(loss, dataset))
    assert loss.similar_fraction == pytest.approx(4 / 20)


def test_refuses_a_loss_without_dataset_weights():
    dataset = IndexDataset([[0], [0], [1]])
    with pytest.raises(ValueError, match="weight_source='dataset'"):
        DatasetPairWeightsHook().before_train(
            runner_for(WeightedPairwiseLoss(), dataset))


def test_all_similar_training_set_is_an_error():
    dataset = IndexDataset([[0], [0], [0]])
    with pytest.raises(ValueError, match=r'in \(0, 1\)'):
        DatasetPairWeightsHook().before_train(
            runner_for(WeightedPairwiseLoss(weight_source='dataset'), dataset))
