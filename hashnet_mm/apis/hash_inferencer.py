"""Binary codes of images from a hashing config and checkpoint."""
import copy
from typing import Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.device import get_device
from mmengine.model import BaseModel
from mmpretrain.apis import BaseInferencer, get_model
from mmpretrain.datasets import remove_transform
from mmpretrain.registry import TRANSFORMS

from ..codes import pack_codes
from ..datasets.image_errors import image_load_error
from ..utils.checkpoint import load_model_weights

InputType = Union[str, np.ndarray]


def inference_pipeline_config(cfg: Config) -> List[dict]:
    """The pipeline of ``cfg.test_dataloader.dataset``, or of its
    ``database`` set for a ``QueryDatabaseDataset``."""
    dataset = cfg.test_dataloader.dataset
    for candidate in (dataset, dataset.get('database') or {}):
        if 'pipeline' in candidate:
            return copy.deepcopy(list(candidate['pipeline']))
    raise ValueError('the config has no test pipeline: test_dataloader.'
                     'dataset (or its database set) needs a pipeline')


class HashInferencer(BaseInferencer):
    """Hash codes sign(z) of images, in mmpretrain's inferencer style.

    Built from a config (path or :class:`Config`) and a checkpoint loaded
    strictly (a checkpoint of another code length or backbone, or with NaN
    weights, is an error), or from a model. Images are paths or arrays (BGR,
    as ``mmcv.imread`` gives them) and go through the config's test
    pipeline in batches, on the GPU when there is one.

    Example:
        >>> inferencer = HashInferencer('configs/hashnet_resnet50_coco_64bit.py',
        ...                             'work_dirs/coco/iter_10000.pth')
        >>> out = inferencer(['a.jpg', 'b.jpg'], batch_size=32, packed=True)
        >>> out['codes'].shape  # (2, 8) uint8, FAISS's bit layout
        >>> inferencer('a.jpg', with_logits=True)['logits'].shape  # (1, 64)

    Args:
        model (str | Config | BaseModel): a config or a built model.
        pretrained (str, optional): the checkpoint.
        device (str, optional): default: CUDA when available, else CPU.
        strict (bool): refuse a checkpoint whose keys or shapes differ from
            the model's (default True).
    """  # noqa: E501

    postprocess_kwargs = {'packed', 'with_logits'}

    def __init__(self,
                 model: Union[str, Config, BaseModel],
                 pretrained: Optional[str] = None,
                 device: Optional[str] = None,
                 strict: bool = True):
        if not isinstance(model, BaseModel):
            model = get_model(model, pretrained=False)
            if pretrained:
                load_model_weights(model, pretrained, strict=strict,
                                   logger='silent')
        model.to(device or get_device())
        super().__init__(model, pretrained=False)

    @property
    def num_bits(self) -> int:
        return self.model.head.num_bits

    def _init_pipeline(self, cfg: Config) -> Callable:
        """The config's test pipeline, for image paths; arrays skip its
        ``LoadImageFromFile``, so a path is decoded exactly as in testing."""
        steps = inference_pipeline_config(cfg)
        self.array_pipeline = Compose([
            TRANSFORMS.build(step)
            for step in remove_transform(steps, 'LoadImageFromFile')
        ])
        return Compose([TRANSFORMS.build(step) for step in steps])

    def prepare(self, image: InputType) -> dict:
        """The pipeline's output for one path or array; an image that
        cannot be read is an error naming it."""
        if not isinstance(image, str):
            return self.array_pipeline(dict(img=image,
                                            img_shape=image.shape[:2],
                                            ori_shape=image.shape[:2]))
        try:
            return self.pipeline(dict(img_path=image))
        except Exception as error:
            raise image_load_error('HashInferencer', image, error) from error

    def preprocess(self, inputs: List[InputType], batch_size: int = 1):
        """Batches of ``batch_size`` prepared images."""
        for chunk in self._get_chunk_data(map(self.prepare, inputs),
                                          batch_size):
            yield pseudo_collate(chunk)

    def __call__(self, inputs, return_datasamples: bool = False,
                 batch_size: int = 1, **kwargs):
        """Codes of ``inputs`` (one image, a list, or a folder's images).

        Returns ``{'codes': (N, K) int8 in {-1, +1}}`` (``packed=True``:
        (N, ceil(K / 8)) uint8, bit j of a code in bit j % 8 of byte j // 8),
        plus ``'logits'``, z as (N, K) float32, with ``with_logits=True``;
        with ``return_datasamples`` the DataSamples themselves.
        """
        _, _, _, postprocess_kwargs = self._dispatch_kwargs(**kwargs)
        preds = []
        for data in self.preprocess(self._inputs_to_list(inputs),
                                    batch_size=batch_size):
            preds.extend(self.forward(data))
        return self.postprocess(preds, None, return_datasamples,
                                **postprocess_kwargs)

    def visualize(self, *args, **kwargs):
        return None

    def postprocess(self, preds, visualization=None,
                    return_datasamples: bool = False, packed: bool = False,
                    with_logits: bool = False):
        if return_datasamples:
            return preds
        codes = torch.stack([s.hash_code for s in preds]).cpu()
        result = dict(codes=pack_codes(codes) if packed
                      else codes.numpy().astype(np.int8))
        if with_logits:
            result['logits'] = torch.stack(
                [s.hash_logits for s in preds]).cpu().numpy()
        return result

    @staticmethod
    def list_models(pattern: Optional[str] = None):
        """Hashing models are built from configs, not by name."""
        return []
