"""What an image file is, and reading one with its size checked first.

One rule for every tool that takes images (datasets, ``tools/encode.py``,
``HashInferencer``, ``tools/search.py``, the web page): a file is an image
when its extension, in any case, is one of :data:`IMAGE_EXTENSIONS`; the
pixel count an image declares in its header is checked against a limit
(:data:`DEFAULT_MAX_PIXELS`) before any pixel is decoded, so that a small
file declaring a huge canvas (a decompression bomb) costs nothing.
"""
import io
import os
import os.path as osp
import warnings
from typing import List, Optional, Tuple, Union

import numpy as np

#: Extensions (lower case) of the image files every tool reads; all of them
#: decode with OpenCV and declare their size in a header PIL reads.
IMAGE_EXTENSIONS = ('.bmp', '.gif', '.jpeg', '.jpg', '.pbm', '.pgm', '.png',
                    '.ppm', '.tif', '.tiff', '.webp')

#: Default limit on width x height: 8192 x 8192 pixels (192 MiB decoded as
#: 8-bit BGR). ``None`` wherever a limit is asked for disables the check.
DEFAULT_MAX_PIXELS = 8192 * 8192

ImageSource = Union[str, bytes]


class ImageTooLargeError(ValueError):
    """An image declares more pixels than the limit allows."""


def is_image_file(path: str) -> bool:
    """Whether ``path`` has an image extension (case-insensitive)."""
    return osp.splitext(path)[1].lower() in IMAGE_EXTENSIONS


def find_image_files(folder: str,
                     recursive: bool = True) -> Tuple[List[str], List[str]]:
    """The image files under ``folder`` and the other files found there,
    both sorted; hidden files and folders (a leading dot) are not visited.

    Raises:
        NotADirectoryError: ``folder`` is not an existing folder.
    """
    if not osp.isdir(folder):
        raise NotADirectoryError(f'{folder}: no such folder')
    images, others = [], []
    for root, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for name in files:
            if name.startswith('.'):
                continue
            path = osp.join(root, name)
            (images if is_image_file(name) else others).append(path)
        if not recursive:
            break
    return sorted(images), sorted(others)


def _describe(source: ImageSource, name: Optional[str]) -> str:
    if name is not None:
        return name
    return source if isinstance(source, str) else 'the uploaded image'


def declared_size(source: ImageSource,
                  name: Optional[str] = None) -> Tuple[int, int]:
    """(width, height) as the image's header declares it, read without
    decoding pixels; ``source`` is a path or the file's bytes.

    Raises:
        ValueError: the data is not an image of a known format.
    """
    from PIL import Image, UnidentifiedImageError

    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                return image.size
    except Image.DecompressionBombError as error:
        # PIL refuses past twice its own limit, before our check can run.
        raise ImageTooLargeError(
            f'{_describe(source, name)}: {error}') from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        if isinstance(source, str) and not osp.isfile(source):
            raise FileNotFoundError(f'{source}: no such file') from error
        raise ValueError(f'{_describe(source, name)}: not an image of a '
                         f'known format ({error})') from error


def check_pixel_count(source: ImageSource,
                      max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
                      name: Optional[str] = None) -> Tuple[int, int]:
    """The image's declared (width, height), after checking that
    width x height is at most ``max_pixels`` (``None``: no limit).

    Raises:
        ImageTooLargeError: past the limit, naming the image and its size.
    """
    width, height = declared_size(source, name)
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLargeError(
            f'{_describe(source, name)}: {width} x {height} = '
            f'{width * height:,} pixels is more than the limit of '
            f'{max_pixels:,} (max_pixels)')
    return width, height


def read_image(source: ImageSource,
               max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
               flag: str = 'color',
               channel_order: str = 'bgr',
               name: Optional[str] = None) -> np.ndarray:
    """Decode an image (path or bytes) to a uint8 array, as ``mmcv.imread``
    does (BGR by default), once its declared size passes
    :func:`check_pixel_count`."""
    import mmcv

    check_pixel_count(source, max_pixels, name)
    data = source
    if isinstance(source, str):
        with open(source, 'rb') as f:
            data = f.read()
    image = mmcv.imfrombytes(data, flag=flag, channel_order=channel_order)
    if image is None:
        raise ValueError(f'{_describe(source, name)}: cannot be decoded')
    return image
