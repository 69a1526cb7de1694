"""Image loading errors that name the image (and where it was listed), and
the pixel limit every dataset of image files checks before decoding."""
import os.path as osp
from typing import Optional

from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS

from ..images import (DEFAULT_MAX_PIXELS, ImageTooLargeError, check_max_pixels,
                      check_pixel_count)


def image_load_error(where: str, img_path: str,
                     error: Exception) -> RuntimeError:
    """A RuntimeError naming ``where`` and the image, with the cause; an
    empty file is said to be one (decoders only say their buffer is)."""
    cause = f'{type(error).__name__}: {error}'
    if osp.isfile(img_path) and osp.getsize(img_path) == 0:
        cause = 'the file is empty (0 bytes)'
    return RuntimeError(f'{where}: cannot load image {img_path}: {cause}')


class NamedImageErrorsMixin:
    """A dataset of image files whose pipeline failures (a corrupt,
    truncated or empty image) are re-raised naming the image and
    :meth:`image_source`, and which checks the pixel count each image
    declares in its header before the pipeline decodes it.

    Args:
        max_pixels (int, optional): the most pixels (width x height) an
            image may declare, default 8192 x 8192; ``None`` lifts the limit.
            In a config it is a key of the dataset, e.g.
            ``test_dataloader.dataset.query.max_pixels``.
    """

    def __init__(self,
                 *args,
                 max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
                 **kwargs):
        check_max_pixels(max_pixels, type(self).__name__)
        self.max_pixels = max_pixels
        super().__init__(*args, **kwargs)

    def image_source(self, data_info: dict) -> str:
        return self.ann_file or self.img_prefix

    def prepare_data(self, idx: int) -> dict:
        data_info = self.get_data_info(idx)
        where, img_path = self.image_source(data_info), data_info['img_path']
        try:
            check_pixel_count(
                img_path, self.max_pixels, f'{where}: image {img_path}',
                f"{type(self).__name__}'s max_pixels, a key of the dataset "
                'config; max_pixels=None lifts the limit')
            return self.pipeline(data_info)
        except ImageTooLargeError:
            raise
        except Exception as error:
            raise image_load_error(where, img_path, error) from error


@DATASETS.register_module()
class ImageFilesDataset(NamedImageErrorsMixin, CustomDataset):
    """mmpretrain's ``CustomDataset`` (a folder of images, or a list file of
    paths) whose load failures name the image; for unlabelled collections
    (``tools/encode.py --dir``). ``max_pixels`` as in
    :class:`NamedImageErrorsMixin`."""
