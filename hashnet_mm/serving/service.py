"""The searches a server answers: a query (an uploaded image or an indexed
item) -> its code from the model -> its neighbours in a Hamming index, as
JSON-able dicts. No web framework here: :mod:`.app` puts this behind HTTP.

One model and one index serve every request, from many threads: the model's
forward and the index's searches each run under a lock (a ``'hash'`` index
changes its probing depth during a radius search).
"""
import os.path as osp
import re
import threading
import time
from typing import Iterable, List, Optional, Tuple, Union

import numpy as np
from mmengine.config import Config

from ..apis import HashInferencer
from ..images import (DEFAULT_MAX_PIXELS, ImageTooLargeError,
                      check_pixel_count, read_image)
from ..search import HammingIndex, Neighbours
from ..version import __version__
from .items import IndexItems, class_indices

#: Default limit on the size of an uploaded image file: 16 MiB.
DEFAULT_MAX_UPLOAD_BYTES = 16 * 2**20
#: Default limit on the results of one search (k, or what a radius finds).
DEFAULT_MAX_RESULTS = 1000
#: Neighbours a query gets when it names neither k nor a radius.
DEFAULT_K = 10
#: Image types browsers show; items of other types are sent as PNG.
BROWSER_TYPES = {
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.gif': 'image/gif',
    '.webp': 'image/webp',
    '.bmp': 'image/bmp'
}


class ServingError(Exception):
    """A query the server cannot answer; ``status`` is its HTTP status and
    the message says why, for the person who sent it."""
    status = 400


class BadQuery(ServingError):
    """The query is malformed: missing, contradictory or out-of-range
    fields."""
    status = 400


class UnknownItem(ServingError):
    """The index holds no item with that id, or no image for it."""
    status = 404


class UploadTooLarge(ServingError):
    """The upload's bytes or its declared pixels are over the limit."""
    status = 413


class NotAnImage(ServingError):
    """The upload is not an image of a known format."""
    status = 415


class ItemUnreadable(ServingError):
    """An indexed item's image file is there but cannot be read."""
    status = 500


#: Where the server's pixel limit is set, for its messages.
MAX_PIXELS_SETTING = "the server's pixel limit, tools/serve.py --max-pixels"


def parse_int(name: str, value, minimum: int, maximum: int) -> int:
    """``value`` (an int, or a form field's text) as an int in
    [minimum, maximum], else BadQuery naming the field."""
    if isinstance(value, str) and re.fullmatch(r'\s*-?[0-9]+\s*', value):
        number = int(value)
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        number = int(value)
    else:
        raise BadQuery(f'{name} must be an integer from {minimum} to '
                       f'{maximum}, got {value!r}')
    if not minimum <= number <= maximum:
        raise BadQuery(f'{name} must be an integer from {minimum} to '
                       f'{maximum}, got {number}')
    return number


def code_text(packed: np.ndarray, num_bits: int) -> dict:
    """A packed code as ``hex`` (its bytes in order; bit j of the code is
    bit j % 8 of byte j // 8) and ``bits`` ('1' for +1, bit 0 first)."""
    bits = np.unpackbits(packed, count=num_bits, bitorder='little')
    return dict(
        hex=packed.tobytes().hex(),
        bits=''.join('1' if bit else '0' for bit in bits))


class SearchService:
    """A model and an index, answering searches by upload or by item.

    Args:
        inferencer (HashInferencer): the model (its ``max_pixels`` limits
            uploads too); its codes must have the index's length.
        index (HammingIndex): the items searched.
        config_name (str): names the model in :meth:`health`.
        checkpoint_name (str, optional): names the weights there.
        max_upload_bytes (int): largest upload accepted.
        max_results (int): most results of one search (k at most this; a
            radius search returns the first this many, saying so).
    """

    def __init__(self,
                 inferencer: HashInferencer,
                 index: HammingIndex,
                 config_name: str,
                 checkpoint_name: Optional[str] = None,
                 max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
                 max_results: int = DEFAULT_MAX_RESULTS):
        if inferencer.num_bits != index.num_bits:
            raise ValueError(
                f'the model makes {inferencer.num_bits}-bit codes but the '
                f'index holds {index.num_bits}-bit codes: was it built with '
                'another checkpoint?')
        for name, value in (('max_upload_bytes', max_upload_bytes),
                            ('max_results', max_results)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be an integer >= 1, got '
                                 f'{value!r}')
        self.inferencer = inferencer
        self.index = index
        self.items = IndexItems.of(index)
        self.config_name = config_name
        self.checkpoint_name = checkpoint_name
        self.max_upload_bytes = max_upload_bytes
        self.max_results = max_results
        self._model_lock = threading.Lock()
        self._index_lock = threading.Lock()

    @classmethod
    def from_files(cls,
                   config: Union[str, Config],
                   checkpoint: str,
                   index: str,
                   device: Optional[str] = None,
                   max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
                   **kwargs) -> 'SearchService':
        """The service of a config (path or Config), checkpoint and index
        file (``tools/build_index.py``); ``max_pixels``: the most pixels
        (width x height) an upload may declare (None: no limit)."""
        cfg = config if isinstance(config, Config) else Config.fromfile(config)
        loaded = HammingIndex.load(index)
        kwargs.setdefault(
            'config_name', config
            if isinstance(config, str) else cfg.filename or 'the given config')
        kwargs.setdefault('checkpoint_name', checkpoint)
        return cls(
            HashInferencer(cfg, checkpoint, device, max_pixels=max_pixels),
            loaded, **kwargs)

    @property
    def max_pixels(self) -> Optional[int]:
        return self.inferencer.max_pixels

    @property
    def num_bits(self) -> int:
        return self.index.num_bits

    def health(self) -> dict:
        """What is served: the model, the code length, the index and the
        limits."""
        return dict(
            status='ok',
            version=__version__,
            config=self.config_name,
            checkpoint=self.checkpoint_name,
            num_bits=self.num_bits,
            index_size=len(self.index),
            index_kind=self.index.kind,
            num_classes=self.index.num_classes,
            has_images=self.items.paths is not None,
            max_upload_bytes=self.max_upload_bytes,
            max_pixels=self.max_pixels,
            max_results=self.max_results,
            default_k=DEFAULT_K)

    # Items ---------------------------------------------------------------

    def item_id(self, value) -> int:
        """An item id (an int, or the text of one) that the index holds."""
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.isascii() and text.isdigit():
            value = int(text)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise BadQuery(f'an item id is an integer >= 0, got {value!r}')
        try:
            self.items.row(int(value))
        except KeyError:
            raise UnknownItem(f'the index holds no item with id {value} '
                              f'(it holds {len(self.items)} items)') from None
        return int(value)

    def item(self, value) -> dict:
        """An item's id, path, labels and the address of its image."""
        item_id = self.item_id(value)
        return dict(
            id=item_id,
            path=self.items.path(item_id),
            labels=class_indices(self.items.label_row(item_id)),
            image_url=self.image_url(item_id))

    def image_url(self, item_id: int) -> Optional[str]:
        return None if self.items.paths is None else \
            f'/api/items/{item_id}/image'

    def _item_file(self, item_id: int) -> str:
        path = self.items.path(item_id)
        if path is None:
            raise UnknownItem('the index stores no image paths (it was built '
                              'from codes without paths): items have no '
                              'images to show or to search from')
        if not osp.isfile(path):
            raise UnknownItem(f'the image of item {item_id} is not on the '
                              f'server: {path}: no such file')
        return path

    def image(self, value) -> Tuple[bytes, str]:
        """``(bytes, media type)`` of an item's image: its file as it is,
        for the types browsers show, else converted to PNG. Only the files
        the index lists are read, by id."""
        item_id = self.item_id(value)
        path = self._item_file(item_id)
        media_type = BROWSER_TYPES.get(osp.splitext(path)[1].lower())
        if media_type is not None:
            with open(path, 'rb') as f:
                return f.read(), media_type
        import cv2
        try:
            image = read_image(
                path,
                self.max_pixels,
                flag='unchanged',
                name=f'the image of item {item_id}',
                setting=MAX_PIXELS_SETTING)
        except ImageTooLargeError as error:
            raise UploadTooLarge(str(error)) from error
        except ValueError as error:
            raise UnknownItem(f'the image of item {item_id} cannot be read: '
                              f'{error}') from error
        ok, png = cv2.imencode('.png', image)
        if not ok:
            raise UnknownItem(f'the image of item {item_id} cannot be shown '
                              'as PNG')
        return png.tobytes(), 'image/png'

    # Queries -------------------------------------------------------------

    def scope(self, k=None, radius=None) -> Tuple[str, int]:
        """``('k', k)`` or ``('radius', r)`` of a query's fields (text or
        int; empty text counts as absent); k = :data:`DEFAULT_K` when both
        are absent."""
        k, radius = (None if value is None or
                     (isinstance(value, str) and not value.strip()) else value
                     for value in (k, radius))
        if k is not None and radius is not None:
            raise BadQuery('give k (the nearest k items) or radius (every '
                           'item within a Hamming distance), not both')
        if radius is not None:
            return 'radius', parse_int('radius', radius, 0, self.num_bits)
        if k is None:
            return 'k', min(DEFAULT_K, self.max_results)
        return 'k', parse_int('k', k, 1, self.max_results)

    def query_labels(self, labels) -> Optional[np.ndarray]:
        """(C,) bool labels of an upload from class indices (a list, or
        text such as ``'2'`` or ``'1,4'``); None when absent."""
        if labels is None or (isinstance(labels, str) and not labels.strip()):
            return None
        if self.index.num_classes is None:
            raise BadQuery('the index holds no labels, so labels given with '
                           'a query cannot mark its results')
        if isinstance(labels, str):
            labels = [part for part in labels.replace(',', ' ').split()]
        if not isinstance(labels, (list, tuple)) or not labels:
            raise BadQuery('labels are a list of class indices, got '
                           f'{labels!r}')
        row = np.zeros(self.index.num_classes, dtype=bool)
        for label in labels:
            row[parse_int('a label', label, 0,
                          self.index.num_classes - 1)] = True
        return row

    def search_upload(self,
                      data: bytes,
                      name: Optional[str] = None,
                      k=None,
                      radius=None,
                      labels=None) -> dict:
        """The neighbours of an uploaded image file (its bytes).

        Raises:
            UploadTooLarge: more than ``max_upload_bytes``, or more pixels
                declared than ``max_pixels``.
            NotAnImage: not an image of a known format.
            BadQuery: bad k, radius or labels.
        """
        start = time.perf_counter()
        scope = self.scope(k, radius)
        query_labels = self.query_labels(labels)
        described = 'the upload' + (f' {name!r}' if name else '')
        if not data:
            raise BadQuery(f'{described} is empty: send an image file')
        if len(data) > self.max_upload_bytes:
            raise UploadTooLarge(
                f'{described} is {len(data):,} bytes, more than the limit '
                f'of {self.max_upload_bytes:,} bytes')
        try:
            check_pixel_count(data, self.max_pixels, described,
                              MAX_PIXELS_SETTING)
            code, encode_ms = self._encode(data)
        except ImageTooLargeError as error:
            raise UploadTooLarge(str(error)) from error
        except ValueError as error:
            raise NotAnImage(f'{error}; send a PNG, JPEG, GIF, BMP, WebP, '
                             'TIFF or PNM image') from error
        query = dict(
            type='upload', name=name, labels=class_indices(query_labels))
        return self._answer(query, code, scope, query_labels, encode_ms, start)

    def search_item(self, value, k=None, radius=None) -> dict:
        """The neighbours of an indexed item, the item itself left out;
        its labels (when the index has them) mark its results.

        The item's code is the model's code of its image, as for an upload
        of that file; a warning in the answer says when it differs from
        the code the index holds for the item.
        """
        start = time.perf_counter()
        scope = self.scope(k, radius)
        item_id = self.item_id(value)
        path = self._item_file(item_id)
        try:
            code, encode_ms = self._encode(path)
        except Exception as error:
            raise ItemUnreadable(f'the image of item {item_id} cannot be '
                                 f'read: {error}') from error
        query_labels = self.items.label_row(item_id)
        query = dict(
            type='item',
            id=item_id,
            path=path,
            labels=class_indices(query_labels),
            image_url=self.image_url(item_id))
        return self._answer(
            query,
            code,
            scope,
            query_labels,
            encode_ms,
            start,
            exclude=item_id)

    def _encode(self, image: Union[str, bytes]) -> Tuple[np.ndarray, float]:
        """(1, ceil(K / 8)) packed code of one image (a path, or the bytes
        of an image file, decoded as the config's test pipeline decodes
        files) and the milliseconds the model took."""
        with self._model_lock:
            start = time.perf_counter()
            code = self.inferencer([image], packed=True)['codes']
            return code, 1000 * (time.perf_counter() - start)

    def search_codes(self,
                     code: np.ndarray,
                     scope: Tuple[str, int],
                     extra: int = 0) -> Neighbours:
        """The found neighbours of one packed code: the nearest k + extra,
        or all within the radius (1-d Neighbours)."""
        kind, value = scope
        with self._index_lock:
            if kind == 'k':
                return self.index.search(code, value + extra).select(0).found()
            (found, ) = self.index.search_radius(code, value)
            return found

    def _answer(self,
                query: dict,
                code: np.ndarray,
                scope: Tuple[str, int],
                query_labels: Optional[np.ndarray],
                encode_ms: float,
                start: float,
                exclude: Optional[int] = None) -> dict:
        kind, value = scope
        search_start = time.perf_counter()
        found = self.search_codes(code, scope, int(exclude is not None))
        search_ms = 1000 * (time.perf_counter() - search_start)
        warnings = []
        if exclude is not None:
            itself = found.ids == exclude
            if not (found.distances[itself] == 0).any() and \
                    not self._holds_code(code, exclude):
                warnings.append(
                    f"the model's code of item {exclude}'s image differs "
                    'from the code the index holds for it: was the index '
                    'built with another model or checkpoint, or has the '
                    'image changed?')
            found = found.select(~itself)
        if kind == 'k':
            found = found.select(slice(0, value))
        total = len(found.ids)
        found = found.select(slice(0, self.max_results))
        relevant = found.relevant(query_labels)
        results = self._results(found, relevant)
        precision = None
        if relevant is not None and len(results):
            precision = float(relevant.mean())
        query['code'] = code_text(code[0], self.num_bits)
        return dict(
            query=query,
            search={kind: value},
            found=total,
            truncated=total > len(results),
            marked=relevant is not None,
            precision=precision,
            results=results,
            warnings=warnings,
            timing_ms=dict(
                encode=round(encode_ms, 3),
                search=round(search_ms, 3),
                total=round(1000 * (time.perf_counter() - start), 3)))

    def _holds_code(self, code: np.ndarray, item_id: int) -> bool:
        """Whether the index holds ``code`` for the item."""
        with self._index_lock:
            (same, ) = self.index.search_radius(code, 0)
        return bool((same.ids == item_id).any())

    def _results(self, found: Neighbours,
                 relevant: Optional[np.ndarray]) -> List[dict]:
        paths: Iterable = found.paths if found.paths is not None else \
            [None] * len(found.ids)
        labels: Iterable = found.labels if found.labels is not None else \
            [None] * len(found.ids)
        results = []
        for rank, (item_id, distance, path, row) in enumerate(
                zip(found.ids, found.distances, paths, labels), 1):
            result = dict(
                rank=rank,
                id=int(item_id),
                distance=int(distance),
                path=path,
                labels=class_indices(row),
                image_url=self.image_url(int(item_id)))
            if relevant is not None:
                result['right'] = bool(relevant[rank - 1])
            results.append(result)
        return results
