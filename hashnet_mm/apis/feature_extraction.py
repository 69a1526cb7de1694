"""Features of a model layer for every image of a dataset, in order.

The parts of ``tools/extract_features.py`` (and of the pretrained-feature
cache, :mod:`hashnet_mm.experiments.pretrained_features`): the dataset of
one split with the test pipeline, a hook keeping one layer's output, the
extraction loop and the multi-hot labels.
"""
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar

from ..datasets.validation_split import SPLIT_SETTINGS


def split_dataset_cfg(cfg, split):
    """The dataset config of ``split`` (train, query or database), with the
    test pipeline. The train split is read without augmentation and whole:
    its ``subset`` / ``val_queries`` / ``val_seed`` / ``val_database`` (the
    training images less the validation ones) are left out, so the
    dataset's default, every image, is read: a feature dataset draws the
    validation images from the feature files with the same rule."""
    test = cfg.test_dataloader.dataset
    if test.get('type') != 'QueryDatabaseDataset':
        raise ValueError('the config\'s test_dataloader.dataset must be a '
                         f'QueryDatabaseDataset, got {test.get("type")}')
    if split == 'train':
        dataset = cfg.train_dataloader.dataset.copy()
        dataset.pipeline = test.query.pipeline
        for key in SPLIT_SETTINGS:
            dataset.pop(key, None)
        return dataset
    return test[split]


class LayerOutput:
    """Keeps the output of one named module of ``model`` at every forward,
    as an (N, C) matrix (the last element of a tuple; feature maps are
    averaged over space)."""

    def __init__(self, model: torch.nn.Module, name: str):
        try:
            module = model.get_submodule(name)
        except AttributeError:
            names = [n for n, _ in model.named_children()]
            raise ValueError(f'the model has no layer {name!r}; top-level '
                             f'layers: {names}') from None
        self.name, self.value = name, None
        module.register_forward_hook(self.keep)

    def keep(self, module, inputs, output):
        if isinstance(output, (tuple, list)):
            output = output[-1]
        if output.dim() == 4:
            output = output.mean(dim=(2, 3))
        self.value = output.flatten(1)

    def pop(self) -> torch.Tensor:
        if self.value is None:
            raise RuntimeError(f'layer {self.name!r} was not called by the '
                               "model's forward pass")
        value, self.value = self.value, None
        return value


def multi_hot(dataset) -> np.ndarray:
    """(n, C) uint8 labels of a dataset whose samples keep ``gt_label`` as
    label indices."""
    labels = np.zeros((len(dataset), len(dataset.metainfo['classes'])),
                      dtype=np.uint8)
    for index, row in enumerate(labels):
        row[dataset.get_data_info(index)['gt_label']] = 1
    return labels


@torch.no_grad()
def extract(model,
            dataset,
            layer: LayerOutput,
            batch_size: int,
            num_workers: int,
            progress: bool = True) -> np.ndarray:
    """(n, d) float32 features of ``layer`` for every sample of
    ``dataset``, in dataset order (the model in eval mode, in tensor
    mode)."""
    model.eval()
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        shuffle=False,
        collate_fn=pseudo_collate)
    bar = ProgressBar(len(dataset)) if progress else None
    features = []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        model(data['inputs'], data['data_samples'], mode='tensor')
        features.append(layer.pop().float().cpu())
        if bar:
            bar.update(len(batch['inputs']))
    if bar:
        print()
    return torch.cat(features).numpy()
