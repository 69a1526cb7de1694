"""What an image file is, and reading one with its size checked first.

One rule for every tool that takes images (datasets, ``tools/encode.py``,
``HashInferencer``, ``tools/search.py``, the web page): a file is an image
when its extension, in any case, is one of :data:`IMAGE_EXTENSIONS`; the
pixel count an image declares in its header is checked against a limit
(:data:`DEFAULT_MAX_PIXELS`) before any pixel is decoded, so that a small
file declaring a huge canvas (a decompression bomb) costs nothing; a decoded
array is given the channels a model takes by one stated rule
(:func:`conform_image`).
"""
import io
import os
import os.path as osp
import struct
import warnings
import zlib
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


#: The bit depths a PNG header may give each colour type (the PNG
#: specification's, which are PIL's PNG modes).
_PNG_DEPTHS = {
    0: (1, 2, 4, 8, 16),
    2: (8, 16),
    3: (1, 2, 4, 8),
    4: (8, 16),
    6: (8, 16)
}
_PNG_START = b'\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR'


def _png_size(source: ImageSource) -> Optional[Tuple[int, int]]:
    """(width, height) of a PNG from its first 33 bytes (signature and a
    well-formed IHDR chunk, its checksum right), the size PIL reads there;
    None for anything else, which PIL then reads (or refuses). A collection
    of small PNGs spends most of its header checks in PIL otherwise."""
    if isinstance(source, bytes):
        head = source[:33]
    else:
        try:
            fd = os.open(source, os.O_RDONLY)
        except OSError:
            return None
        try:
            head = os.read(fd, 33)
        except OSError:
            return None
        finally:
            os.close(fd)
    if len(head) < 33 or not head.startswith(_PNG_START):
        return None
    width, height, depth, colour, _, filtering, _, crc = struct.unpack(
        '>IIBBBBBI', head[16:33])
    if (not width or not height or filtering
            or depth not in _PNG_DEPTHS.get(colour, ())
            or zlib.crc32(head[12:29]) != crc):
        return None
    return width, height


def declared_size(source: ImageSource,
                  name: Optional[str] = None) -> Tuple[int, int]:
    """(width, height) as the image's header declares it, read without
    decoding pixels; ``source`` is a path or the file's bytes.

    Raises:
        ValueError: the data is not an image of a known format.
    """
    size = _png_size(source)
    if size is not None:
        return size
    from PIL import Image, UnidentifiedImageError

    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                return image.size
    except Image.DecompressionBombError as error:
        # PIL refuses past twice its own limit: read the size without it
        # (a format whose plugin checks by itself stays refused).
        try:
            if isinstance(source, bytes):
                return _size_past_pil_limit(io.BytesIO(source))
            with open(source, 'rb') as f:
                return _size_past_pil_limit(f)
        except Image.DecompressionBombError:
            raise ImageTooLargeError(
                f'{_describe(source, name)}: {error}') from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        if isinstance(source, str) and not osp.isfile(source):
            raise FileNotFoundError(f'{source}: no such file') from error
        raise ValueError(f'{_describe(source, name)}: not an image of a '
                         f'known format ({error})') from error


def _size_past_pil_limit(stream) -> Tuple[int, int]:
    """(width, height) from the header of an image PIL's ``Image.open``
    refuses as too large, by its format plugins (``Image.OPEN``) directly,
    which read the header only."""
    from PIL import Image

    Image.init()
    prefix = stream.read(16)
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        accepted = True if accept is None else accept(prefix)
        if isinstance(accepted, str) or not accepted:
            continue
        stream.seek(0)
        try:
            return factory(stream, '').size
        except (SyntaxError, IndexError, TypeError, ValueError, OSError,
                struct.error):
            stream.seek(0)
    raise ValueError('no image format reads the header')


def check_pixel_count(source: ImageSource,
                      max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
                      name: Optional[str] = None,
                      setting: str = 'max_pixels') -> Tuple[int, int]:
    """The image's declared (width, height), after checking that
    width x height is at most ``max_pixels`` (``None``: no limit).

    Raises:
        ImageTooLargeError: past the limit, naming the image, its size and
            ``setting``, where the limit is set.
    """
    width, height = declared_size(source, name)
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLargeError(
            f'{_describe(source, name)}: {width} x {height} = '
            f'{width * height:,} pixels is more than the limit of '
            f'{max_pixels:,} ({setting})')
    return width, height


def check_max_pixels(max_pixels: Optional[int], owner: str) -> None:
    """A ValueError naming ``owner`` unless ``max_pixels`` is an integer
    >= 1 or ``None``."""
    if max_pixels is not None and (isinstance(max_pixels, bool)
                                   or not isinstance(max_pixels, int)
                                   or max_pixels < 1):
        raise ValueError(f'{owner}: max_pixels must be an integer >= 1, or '
                         f'None for no limit; got {max_pixels!r}')


def read_image(source: ImageSource,
               max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
               flag: str = 'color',
               channel_order: str = 'bgr',
               name: Optional[str] = None,
               setting: str = 'max_pixels',
               backend: Optional[str] = None) -> np.ndarray:
    """Decode an image (path or bytes) to a uint8 array, as ``mmcv.imread``
    does (BGR by default; ``flag`` and ``backend`` as there), once its
    declared size passes :func:`check_pixel_count`."""
    import mmcv

    check_pixel_count(source, max_pixels, name, setting)
    data = source
    if isinstance(source, str):
        with open(source, 'rb') as f:
            data = f.read()
    image = mmcv.imfrombytes(
        data, flag=flag, channel_order=channel_order, backend=backend)
    if image is None:
        raise ValueError(f'{_describe(source, name)}: cannot be decoded')
    return image


def describe_array(array: np.ndarray) -> str:
    """``'a uint8 array of shape (H, W, C)'``, for error messages."""
    article = 'an' if str(array.dtype)[0] in 'aeio' else 'a'  # a uint8
    return f'{article} {array.dtype} array of shape {tuple(array.shape)}'


def conform_image(image: np.ndarray,
                  channels: Optional[int],
                  name: str = 'the image') -> np.ndarray:
    """A decoded image (uint8, BGR as ``mmcv.imread`` gives it) with the
    ``channels`` a model expects: 1 gives H x W, 3 gives H x W x 3, ``None``
    keeps the channels.

    Rules: H x W and H x W x 1 are grey, H x W x 3 is BGR, H x W x 4 is BGRA
    whose alpha is dropped (as OpenCV drops it when it decodes a file with
    alpha in colour). Grey becomes colour by repeating it in B, G and R;
    colour becomes grey with OpenCV's weights 0.299 R + 0.587 G + 0.114 B
    (``cv2.cvtColor``, rounded).

    Raises:
        TypeError: not a uint8 numpy array (a float array in [0, 1] must be
            scaled to 0..255 and converted by the caller).
        ValueError: no pixels, or a shape that is not an image.
    """
    import cv2

    if not isinstance(image, np.ndarray):
        raise TypeError(f'{name}: expected a numpy array, got '
                        f'{type(image).__name__}')
    if image.dtype != np.uint8:
        nan = ''
        if np.issubdtype(image.dtype, np.inexact) and \
                not np.isfinite(image).all():
            nan = ', holding NaN or infinite values'
        raise TypeError(
            f'{name}: {describe_array(image)}{nan}: pass uint8 values '
            '0..255 in BGR order (as mmcv.imread gives them); for floats in '
            '[0, 1]: np.clip(x * 255, 0, 255).round().astype(np.uint8)')
    if image.ndim not in (2, 3) or (image.ndim == 3
                                    and image.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f'{name}: {describe_array(image)} is not an image: expected '
            'H x W (grey) or H x W x C with C = 1 (grey), 3 (BGR) or 4 '
            '(BGRA); one image per array')
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f'{name}: {describe_array(image)} has no pixels')
    if channels not in (None, 1, 3):
        raise ValueError(f'channels must be 1, 3 or None, got {channels!r}')
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3]
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if channels == 1 and image.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2GRAY)
    if channels == 3 and image.ndim == 2:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_GRAY2BGR)
    return image
