"""Image loading errors that name the image (and where it was listed)."""
import os.path as osp

from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS


def image_load_error(where: str, img_path: str,
                     error: Exception) -> RuntimeError:
    """A RuntimeError naming ``where`` and the image, with the cause; an
    empty file is said to be one (decoders only say their buffer is)."""
    cause = f'{type(error).__name__}: {error}'
    if osp.isfile(img_path) and osp.getsize(img_path) == 0:
        cause = 'the file is empty (0 bytes)'
    return RuntimeError(f'{where}: cannot load image {img_path}: {cause}')


class NamedImageErrorsMixin:
    """A dataset whose pipeline failures (a corrupt, truncated or empty
    image) are re-raised naming the image and :meth:`image_source`."""

    def image_source(self, data_info: dict) -> str:
        return self.ann_file or self.img_prefix

    def prepare_data(self, idx: int) -> dict:
        data_info = self.get_data_info(idx)
        try:
            return self.pipeline(data_info)
        except Exception as error:
            raise image_load_error(self.image_source(data_info),
                                   data_info['img_path'], error) from error


@DATASETS.register_module()
class ImageFilesDataset(NamedImageErrorsMixin, CustomDataset):
    """mmpretrain's ``CustomDataset`` (a folder of images, or a list file of
    paths) whose load failures name the image; for unlabelled collections
    (``tools/encode.py --dir``)."""
