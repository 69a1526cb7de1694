"""Binary codes of images from a hashing config and checkpoint."""
import copy
import os
import os.path as osp
import warnings
from typing import Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.device import get_device
from mmengine.model import BaseModel
from mmpretrain.apis import BaseInferencer, get_model
from mmpretrain.registry import TRANSFORMS

from ..codes import pack_codes
from ..datasets.image_errors import image_load_error
from ..images import (DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, ImageTooLargeError,
                      check_max_pixels, check_pixel_count, conform_image,
                      describe_array, find_image_files, read_image)
from ..utils.checkpoint import load_model_weights

InputType = Union[str, bytes, np.ndarray]

#: Where the inferencer's pixel limit is set, for error messages.
MAX_PIXELS_SETTING = ("HashInferencer's max_pixels argument; "
                      'max_pixels=None lifts the limit')


def inference_pipeline_config(cfg: Config) -> List[dict]:
    """The pipeline of ``cfg.test_dataloader.dataset``, or of its
    ``database`` set for a ``QueryDatabaseDataset``."""
    dataset = cfg.test_dataloader.dataset
    for candidate in (dataset, dataset.get('database') or {}):
        if 'pipeline' in candidate:
            return copy.deepcopy(list(candidate['pipeline']))
    raise ValueError('the config has no test pipeline: test_dataloader.'
                     'dataset (or its database set) needs a pipeline')


def is_load_step(step: dict) -> bool:
    """Whether a pipeline step is a ``LoadImageFromFile`` (of any scope)."""
    step_type = step.get('type')
    name = step_type if isinstance(step_type, str) else \
        getattr(step_type, '__name__', '')
    return name.split('.')[-1] == 'LoadImageFromFile'


class HashInferencer(BaseInferencer):
    """Hash codes sign(z) of images, in mmpretrain's inferencer style.

    Built from a config (path or :class:`Config`) and a checkpoint loaded
    strictly (a checkpoint of another code length or backbone, or with NaN
    weights, is an error), or from a model. Images go through the config's
    test pipeline in batches, on the GPU when there is one. An input is:

    - a path: decoded by the pipeline's ``LoadImageFromFile``, exactly as in
      testing (its ``color_type`` turns a colour file grey or a grey file
      colour);
    - the bytes of an encoded image file (an upload): decoded with the same
      ``color_type`` and decoder;
    - a uint8 numpy array, BGR as ``mmcv.imread`` gives it: H x W or
      H x W x 1 (grey), H x W x 3 (BGR) or H x W x 4 (BGRA, alpha dropped as
      OpenCV drops it decoding a file in colour). Other dtypes are refused
      (scale floats in [0, 1] to 0..255 and convert them to uint8 first);
    - a folder: its image files (:func:`~hashnet_mm.images.find_image_files`:
      recursive, by extension, sorted), with a warning naming the other
      files, which are skipped; a folder without images is an error.

    Every image then gets the channels the model takes (1 for a
    ``color_type='grayscale'`` pipeline, 3 for colour; see
    :meth:`model_channels`): colour becomes grey with
    OpenCV's weights 0.299 R + 0.587 G + 0.114 B, grey becomes colour by
    repetition (:func:`~hashnet_mm.images.conform_image`).

    Before a path or bytes is decoded, the pixel count its header declares
    is checked against ``max_pixels`` (default 8192 x 8192; ``None``: no
    limit), so that a decompression bomb is refused at no cost. Errors name
    the input (its path, or its index and shape or size).

    Example:
        >>> inferencer = HashInferencer('configs/hashnet_resnet50_coco_64bit.py',
        ...                             'work_dirs/coco/iter_10000.pth')
        >>> out = inferencer(['a.jpg', 'b.jpg'], batch_size=32, packed=True)
        >>> out['codes'].shape  # (2, 8) uint8, FAISS's bit layout
        >>> inferencer('a.jpg', with_logits=True)['logits'].shape  # (1, 64)
        >>> inferencer(open('a.jpg', 'rb').read())['codes'].shape  # (1, 64)

    Args:
        model (str | Config | BaseModel): a config or a built model.
        pretrained (str, optional): the checkpoint.
        device (str, optional): default: CUDA when available, else CPU.
        strict (bool): refuse a checkpoint whose keys or shapes differ from
            the model's (default True).
        max_pixels (int, optional): the most pixels (width x height) a path
            or bytes may declare; default 8192 x 8192, ``None`` lifts it.
    """  # noqa: E501

    postprocess_kwargs = {'packed', 'with_logits'}

    def __init__(self,
                 model: Union[str, Config, BaseModel],
                 pretrained: Optional[str] = None,
                 device: Optional[str] = None,
                 strict: bool = True,
                 max_pixels: Optional[int] = DEFAULT_MAX_PIXELS):
        check_max_pixels(max_pixels, 'HashInferencer')
        self.max_pixels = max_pixels
        if not isinstance(model, BaseModel):
            model = get_model(model, pretrained=False)
            if pretrained:
                load_model_weights(
                    model, pretrained, strict=strict, logger='silent')
        model.to(device or get_device())
        super().__init__(model, pretrained=False)

    @property
    def num_bits(self) -> int:
        return self.model.head.num_bits

    def _init_pipeline(self, cfg: Config) -> Callable:
        """The config's test pipeline: its ``LoadImageFromFile`` step
        (:attr:`load_step`) and the steps after it (:attr:`array_pipeline`),
        which every input goes through once decoded."""
        steps = inference_pipeline_config(cfg)
        loads = [i for i, step in enumerate(steps) if is_load_step(step)]
        if len(loads) != 1 or loads[0] != 0:
            raise ValueError(
                'HashInferencer: the test pipeline must begin with '
                'LoadImageFromFile and hold it once; got the steps '
                f'{[step.get("type") for step in steps]}')
        # Every input is made float32 (if the step says so) once it has
        # the model's channels.
        self.to_float32 = bool(steps[0].get('to_float32', False))
        self.load_step = TRANSFORMS.build(dict(steps[0], to_float32=False))
        self.array_pipeline = Compose(
            [TRANSFORMS.build(step) for step in steps[1:]])
        self.channels = self.model_channels()
        return Compose([self.load_step, self.array_pipeline])

    def model_channels(self) -> Optional[int]:
        """The channels the model takes: 1 when the pipeline decodes grey,
        3 in colour; for ``color_type='unchanged'``, the number of means of
        the data preprocessor (1 or 3), else None (images kept as given)."""
        color_type = self.load_step.color_type
        if color_type.startswith('grayscale'):
            return 1
        if color_type.startswith('color'):
            return 3
        mean = getattr(self.model.data_preprocessor, 'mean', None)
        if isinstance(mean, torch.Tensor) and mean.numel() in (1, 3):
            return mean.numel()
        return None

    def decoded(self, image: InputType, index: int) -> dict:
        """The pipeline's input (``img``, its shapes, ``img_path`` for a
        path) once one input is decoded and has :attr:`channels`."""
        load = self.load_step
        if isinstance(image, (str, os.PathLike)):
            path = os.fspath(image)
            try:
                check_pixel_count(path, self.max_pixels,
                                  f'HashInferencer: image {path}',
                                  MAX_PIXELS_SETTING)
                results = load(dict(img_path=path))
                results['img'] = conform_image(results['img'], self.channels,
                                               f'image {path}')
            except ImageTooLargeError:
                raise
            except Exception as error:
                raise image_load_error('HashInferencer', path, error) \
                    from error
            results['img_shape'] = results['ori_shape'] = \
                results['img'].shape[:2]
            return results
        if isinstance(image, (bytes, bytearray, memoryview)):
            image = bytes(image)
            img = read_image(
                image,
                self.max_pixels,
                flag=load.color_type,
                name=f'HashInferencer: input {index} ({len(image):,} bytes)',
                setting=MAX_PIXELS_SETTING,
                backend=load.imdecode_backend)
        elif isinstance(image, np.ndarray):
            img = image
        else:
            raise TypeError(
                f'HashInferencer: input {index} is a {type(image).__name__}; '
                'pass an image path, the bytes of an image file, a uint8 '
                'numpy array (BGR) or a folder')
        img = conform_image(img, self.channels,
                            f'HashInferencer: input {index}')
        return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])

    def prepare(self, image: InputType, index: int = 0) -> dict:
        """The pipeline's output for one input (``index``: its position, for
        errors); an image that cannot be read is an error naming it."""
        results = self.decoded(image, index)
        if self.to_float32:
            results['img'] = results['img'].astype(np.float32)
        try:
            return self.array_pipeline(results)
        except Exception as error:
            if 'img_path' in results:
                raise image_load_error('HashInferencer', results['img_path'],
                                       error) from error
            raise RuntimeError(
                f'HashInferencer: input {index}: the test pipeline failed on '
                f'{describe_array(results["img"])}: '
                f'{type(error).__name__}: {error}') from error

    def preprocess(self, inputs: List[InputType], batch_size: int = 1):
        """Batches of ``batch_size`` prepared images."""
        prepared = (self.prepare(image, index)
                    for index, image in enumerate(inputs))
        for chunk in self._get_chunk_data(prepared, batch_size):
            yield pseudo_collate(chunk)

    def _inputs_to_list(self, inputs) -> list:
        """One input, a list of them, or a folder's image files (with a
        warning naming the other files there); nothing to encode is an
        error."""
        if isinstance(inputs, (str, os.PathLike)) and osp.isdir(inputs):
            folder = os.fspath(inputs)
            images, others = find_image_files(folder, recursive=True)
            if not images:
                raise ValueError(
                    f'HashInferencer: {folder}: no image files in the folder '
                    f'or below it ({len(others)} other files; image '
                    f'extensions: {" ".join(IMAGE_EXTENSIONS)})')
            if others:
                shown = ', '.join(others[:5])
                more = f' and {len(others) - 5} more' if len(others) > 5 \
                    else ''
                warnings.warn(
                    f'HashInferencer: {folder}: {len(others)} files that are '
                    f'not images (by extension) skipped: {shown}{more}')
            return images
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        if not inputs:
            raise ValueError('HashInferencer: no inputs to encode')
        return list(inputs)

    def __call__(self,
                 inputs,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 **kwargs):
        """Codes of ``inputs`` (one image, a list, or a folder's images).

        Returns ``{'codes': (N, K) int8 in {-1, +1}}`` (``packed=True``:
        (N, ceil(K / 8)) uint8, bit j of a code in bit j % 8 of byte j // 8),
        plus ``'logits'``, z as (N, K) float32, with ``with_logits=True``;
        with ``return_datasamples`` the DataSamples themselves.
        """
        _, _, _, postprocess_kwargs = self._dispatch_kwargs(**kwargs)
        preds = []
        for data in self.preprocess(
                self._inputs_to_list(inputs), batch_size=batch_size):
            preds.extend(self.forward(data))
        return self.postprocess(preds, None, return_datasamples,
                                **postprocess_kwargs)

    def visualize(self, *args, **kwargs):
        return None

    def postprocess(self,
                    preds,
                    visualization=None,
                    return_datasamples: bool = False,
                    packed: bool = False,
                    with_logits: bool = False):
        if return_datasamples:
            return preds
        codes = torch.stack([s.hash_code for s in preds]).cpu()
        result = dict(
            codes=pack_codes(codes) if packed else codes.numpy().astype(np.int8
                                                                        ))
        if with_logits:
            result['logits'] = torch.stack([s.hash_logits
                                            for s in preds]).cpu().numpy()
        return result

    @staticmethod
    def list_models(pattern: Optional[str] = None):
        """Hashing models are built from configs, not by name."""
        return []
