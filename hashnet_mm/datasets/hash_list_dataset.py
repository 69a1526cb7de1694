"""HashNet's list-file format: one ``relative/path l_1 ... l_C`` per line."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .image_errors import NamedImageErrorsMixin
from .list_files import numbered_lines
from .validation_split import (AUTO, SUBSETS, check_val_database,
                               resolve_val_queries, subset_indices)


def parse_list_line(tokens: List[str], where: str) -> List[int]:
    """Label indices of one line's label tokens (multi-hot or one index)."""
    if len(tokens) == 1:
        if not tokens[0].isdigit():
            raise ValueError(f'{where}: class index must be a non-negative '
                             f'integer, got {tokens[0]!r}')
        return [int(tokens[0])]
    bad = [t for t in tokens if t not in ('0', '1')]
    if bad:
        raise ValueError(f'{where}: multi-hot labels must be 0 or 1, '
                         f'got {bad[0]!r}')
    return [i for i, t in enumerate(tokens) if t == '1']


@DATASETS.register_module()
class HashListDataset(NamedImageErrorsMixin, BaseDataset):
    """Images with labels from a HashNet list file.

    Each non-empty line of ``ann_file`` is ``path l_1 ... l_C``: an image path
    relative to ``data_prefix`` (or ``data_root``), then C multi-hot 0/1
    labels; a line with a single integer after the path gives a class index
    instead (single-label data). Every line must use the same form and the
    same C. Samples keep ``gt_label`` as the list of label indices, as
    mmpretrain's multi-label datasets do: set ``to_onehot=True`` and
    ``num_classes`` in the data preprocessor. Paths cannot contain spaces.

    Errors name the file and line, when the dataset is built: a wrong
    number of labels, a label that is not 0/1, a class index outside
    ``num_classes``, a path with white space, a missing image file, a path
    listed twice. An image that cannot be read or transformed later, during
    training or testing, stops the run with an error naming its path and
    list-file line; so does an image declaring more than ``max_pixels``.

    Args:
        ann_file (str): the list file (relative to ``data_root``).
        num_classes (int, optional): C. A class-index list then may leave
            the top classes out (a database without the last class still
            has the query's classes), and every index must be < C. The
            tools set it from the data preprocessor's ``num_classes``.
        classes (sequence[str] | str, optional): class names; defaults to
            ``'0' ... 'C-1'``. Their number must equal C.
        subset (str): which part of the list to load: ``'all'`` (default),
            ``'val_query'`` (``val_queries`` validation queries, stratified
            by label and fixed by ``val_seed``:
            :func:`~hashnet_mm.datasets.validation_split.validation_split`),
            ``'val_database'`` (what they are ranked against) or
            ``'train'`` (the images trained on). The same list with the
            same ``val_queries``, ``val_seed`` and ``val_database`` always
            gives the same split, whatever the data root or
            ``num_classes``.
        val_queries (int | str): the number of validation queries held
            out of the list, or ``'auto'`` (the shipped configs' setting):
            10 % of the list, at most 1,000
            (:func:`~hashnet_mm.datasets.validation_split.default_val_queries`).
            0 (default) holds none out (``'train'`` is then the whole list).
            Must be below the number of images listed.
        val_seed (int): the seed of the validation split (default 0).
        val_database (int): images held out of training as the validation
            database (stratified, same seed); 0 (default): the validation
            database is ``'train'`` itself, the trained-on images. Hold one
            out to rank methods on validation (unseen queries against
            unseen images, as the test).
        max_pixels (int, optional): the most pixels (width x height) an
            image may declare in its header, checked before it is decoded;
            default 8192 x 8192, ``None`` lifts the limit.
        **kwargs: as mmpretrain's ``BaseDataset``.
    """

    def __init__(self,
                 *args,
                 num_classes: Optional[int] = None,
                 subset: str = 'all',
                 val_queries: int = 0,
                 val_seed: int = 0,
                 val_database: int = 0,
                 **kwargs):
        if num_classes is not None and (isinstance(num_classes, bool)
                                        or not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ValueError('HashListDataset: num_classes must be an '
                             f'integer >= 1, got {num_classes!r}')
        if subset not in SUBSETS:
            raise ValueError(f'HashListDataset: subset must be one of '
                             f'{SUBSETS}, got {subset!r}')
        if val_queries != AUTO:
            try:
                resolve_val_queries(val_queries, 0)
            except ValueError as error:
                raise ValueError(f'HashListDataset: {error}') from None
        if isinstance(val_seed, bool) or not isinstance(val_seed, int) \
                or val_seed < 0:
            raise ValueError('HashListDataset: val_seed must be an integer '
                             f'>= 0, got {val_seed!r}')
        try:
            check_val_database(val_database)
        except ValueError as error:
            raise ValueError(f'HashListDataset: {error}') from None
        self.num_classes = num_classes
        self.subset = subset
        self.val_queries = val_queries
        self.val_seed = val_seed
        self.val_database = val_database
        super().__init__(*args, **kwargs)

    def declared_num_classes(self) -> Optional[int]:
        """C from ``classes`` or ``num_classes`` (which must agree)."""
        declared = self._metainfo.get('classes')
        if declared and self.num_classes is not None and \
                len(declared) != self.num_classes:
            raise ValueError(
                f'{self.ann_file}: {len(declared)} class names but '
                f'num_classes={self.num_classes}')
        return len(declared) if declared else self.num_classes

    def load_data_list(self) -> List[dict]:
        lines = numbered_lines(
            self.ann_file, unique=lambda line: line.split()[0])
        num_classes = self.declared_num_classes()
        data_list, width = [], None
        for line_no, line in lines:
            tokens = line.split()
            where = f'{self.ann_file}:{line_no}'
            if len(tokens) < 2:
                raise ValueError(f'{where}: expected "path l_1 ... l_C", '
                                 f'got {line!r}')
            if width is None:
                width = len(tokens) - 1
            try:
                if len(tokens) - 1 != width:
                    raise ValueError(
                        f'{where}: {len(tokens) - 1} labels, but earlier '
                        f'lines have {width} (fields are separated by white '
                        'space, so paths cannot contain any)')
                labels = parse_list_line(tokens[1:], where)
            except ValueError:
                self.check_no_spaced_path(tokens, where)
                raise
            if width > 1 and num_classes is not None and \
                    width != num_classes:
                raise ValueError(f'{where}: {width} labels, but the dataset '
                                 f'has {num_classes} classes')
            if width == 1 and num_classes is not None and \
                    labels[0] >= num_classes:
                raise ValueError(
                    f'{where}: class index {labels[0]} out of range for '
                    f'{num_classes} classes (indices are 0 .. '
                    f'{num_classes - 1}; num_classes / classes of the '
                    'dataset, the data preprocessor\'s num_classes)')
            img_path = osp.join(self.img_prefix, tokens[0])
            if not osp.isfile(img_path):
                self.check_no_spaced_path(tokens, where)
                raise FileNotFoundError(f'{where}: image {img_path} not found')
            data_list.append(
                dict(
                    img_path=img_path,
                    list_line=line_no,
                    gt_label=np.array(labels, dtype=np.int64)))
        if not data_list:
            raise ValueError(f'{self.ann_file}: no images listed')
        if num_classes is None:
            num_classes = width if width > 1 else 1 + max(
                int(d['gt_label'][0]) for d in data_list)
        if not self._metainfo.get('classes'):
            self._metainfo['classes'] = tuple(
                str(i) for i in range(num_classes))
        return self.select_subset(data_list, width)

    def select_subset(self, data_list: List[dict], width: int) -> List[dict]:
        """The samples of ``subset`` (see the class docstring), in list
        order; each keeps its ``list_line``."""
        if self.subset == 'all' or (self.subset == 'train'
                                    and self.val_queries == 0
                                    and self.val_database == 0):
            return data_list
        held_out = f'val_queries={self.val_queries!r}' + (
            f', val_database={self.val_database!r}'
            if self.val_database else '')
        where = f'{self.ann_file} (subset={self.subset!r}, {held_out})'
        if width == 1:
            labels = np.array([int(d['gt_label'][0]) for d in data_list])
        else:
            labels = np.zeros((len(data_list), width), dtype=np.int64)
            for row, d in zip(labels, data_list):
                row[d['gt_label']] = 1
            if not labels.any():
                raise ValueError(
                    f'{where}: no image of the list has a label, so '
                    'validation queries would have no relevant images; '
                    'label the list, or set val_queries=0 and '
                    "subset='all'")
        try:
            indices = subset_indices(labels, self.subset, self.val_queries,
                                     self.val_seed, self.val_database)
        except ValueError as error:
            raise ValueError(f'{where}: {error}') from None
        return [data_list[i] for i in indices]

    def check_no_spaced_path(self, tokens: List[str], where: str) -> None:
        """A ValueError if the line's path is an image whose name holds a
        space (the list format cannot express it)."""
        for end in range(2, len(tokens)):
            candidate = ' '.join(tokens[:end])
            if osp.isfile(osp.join(self.img_prefix, candidate)):
                raise ValueError(
                    f'{where}: the image path {candidate!r} contains white '
                    'space; a list file separates the path and the labels '
                    'by white space, so paths cannot contain any: rename '
                    'the file (or folder)')

    def image_source(self, data_info: dict) -> str:
        """``list file:line`` of a sample, for load errors."""
        return f'{self.ann_file}:{data_info["list_line"]}'
