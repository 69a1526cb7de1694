"""Packed codes of image files from a config and a checkpoint."""
import copy
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.device import get_device
from mmengine.registry import DefaultScope
from mmpretrain.apis import get_model
from mmpretrain.registry import TRANSFORMS

from ..datasets.image_errors import image_load_error
from ..utils.checkpoint import load_model_weights
from .packing import pack_codes


def inference_pipeline_config(cfg: Config) -> List[dict]:
    """The pipeline of ``cfg.test_dataloader.dataset``, or of its
    ``database`` set for a ``QueryDatabaseDataset``."""
    dataset = cfg.test_dataloader.dataset
    for candidate in (dataset, dataset.get('database') or {}):
        if 'pipeline' in candidate:
            return copy.deepcopy(list(candidate['pipeline']))
    raise ValueError('the config has no test pipeline: test_dataloader.'
                     'dataset (or its database set) needs a pipeline')


class HashEncoder:
    """A hashing model in eval mode with its test pipeline.

    The model is built from ``cfg.model`` (with the config's data
    preprocessor) and the checkpoint is loaded strictly, so weights of
    another model or code length are an error, not a silent mismatch.

    Args:
        cfg (Config): the training config.
        checkpoint (str): the checkpoint to load.
        device (str, optional): default: CUDA when available, else CPU.
    """

    def __init__(self, cfg: Config, checkpoint: str,
                 device: Optional[str] = None):
        self.model = get_model(cfg)
        load_model_weights(self.model, checkpoint, strict=True,
                           logger='silent')
        self.model.to(device or get_device())
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            self.pipeline = Compose(
                [TRANSFORMS.build(t) for t in inference_pipeline_config(cfg)])

    @property
    def num_bits(self) -> int:
        return self.model.head.num_bits

    def prepare(self, path: str) -> dict:
        """The test pipeline's output for one image file."""
        try:
            return self.pipeline(dict(img_path=path))
        except Exception as error:
            raise image_load_error('encoding', path, error) from error

    @torch.no_grad()
    def encode(self, paths: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(len(paths), ceil(K / 8)) uint8 packed codes of the images."""
        packed = []
        for start in range(0, len(paths), batch_size):
            batch = pseudo_collate([
                self.prepare(path) for path in paths[start:start + batch_size]
            ])
            samples = self.model.test_step(batch)
            packed.append(
                pack_codes(torch.stack([s.hash_code for s in samples])))
        return np.concatenate(packed)
