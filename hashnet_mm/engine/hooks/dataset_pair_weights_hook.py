"""Dataset-level pair weights of HashNet's eq. 2, set once before training."""
import operator

import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from hashnet_mm.codes import similar_pair_fraction


def dataset_labels(dataset) -> torch.Tensor:
    """(N, C) bool multi-hot labels of every sample of a dataset whose data
    infos hold ``gt_label`` indices (``HashListDataset``), C = the classes
    in its metainfo (or the largest index + 1)."""
    indices = [
        torch.as_tensor(dataset.get_data_info(i)['gt_label']).long()
        for i in range(len(dataset))
    ]
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    width = len(classes) if classes else 1 + max(
        (int(index.max()) for index in indices if index.numel()), default=0)
    labels = torch.zeros(len(indices), width, dtype=torch.bool)
    for row, index in zip(labels, indices):
        row[index] = True
    return labels


@HOOKS.register_module()
class DatasetPairWeightsHook(Hook):
    """Gives ``WeightedPairwiseLoss(weight_source='dataset')`` the fraction
    f = ``|S1| / |S|`` of similar pairs over the whole training set, so that
    c_ij of eq. 2 is counted over S as the paper defines it, not per batch.

    f follows from the training labels alone (every rank computes the same
    value), so a resumed run gets the same weights. It is logged once as
    ``similar_pair_fraction``.

    Args:
        module_name (str): attribute path of the loss in the model.
    """

    def __init__(self, module_name: str = 'head.loss_module'):
        self.module_getter = operator.attrgetter(module_name)

    def before_train(self, runner) -> None:
        loss = self.module_getter(get_ori_model(runner.model))
        if getattr(loss, 'weight_source', None) != 'dataset':
            raise ValueError(
                'DatasetPairWeightsHook needs a WeightedPairwiseLoss with '
                f"weight_source='dataset'; {type(loss).__name__} has "
                f"weight_source={getattr(loss, 'weight_source', None)!r}")
        labels = dataset_labels(runner.train_dataloader.dataset)
        fraction = similar_pair_fraction(labels)
        loss.set_similar_fraction(fraction)
        runner.logger.info(
            f'Dataset-level pair weights (eq. 2 over S): {len(labels)} '
            f'training images, similar pair fraction {fraction:.6f}: '
            f'c_ij = {1 / fraction:.4f} similar, '
            f'{1 / (1 - fraction):.4f} dissimilar')
