"""HashNet's list-file format: one ``relative/path l_1 ... l_C`` per line."""
import os.path as osp
from typing import List

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .list_files import numbered_lines


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
class HashListDataset(BaseDataset):
    """Images with labels from a HashNet list file.

    Each non-empty line of ``ann_file`` is ``path l_1 ... l_C``: an image path
    relative to ``data_prefix`` (or ``data_root``), then C multi-hot 0/1
    labels; a line with a single integer after the path gives a class index
    instead (single-label data). Every line must use the same form and the
    same C. Samples keep ``gt_label`` as the list of label indices, as
    mmpretrain's multi-label datasets do: set ``to_onehot=True`` and
    ``num_classes`` in the data preprocessor. Paths cannot contain spaces.

    Errors name the file and line: a wrong number of labels, a label that is
    not 0/1, a missing image file, a path listed twice. An image that cannot
    be read or transformed later, during training or testing, stops the run
    with an error naming its path and list-file line.

    Args:
        ann_file (str): the list file (relative to ``data_root``).
        classes (sequence[str] | str, optional): class names; defaults to
            ``'0' ... 'C-1'``. Their number must equal C.
        **kwargs: as mmpretrain's ``BaseDataset``.
    """

    def load_data_list(self) -> List[dict]:
        lines = numbered_lines(self.ann_file,
                               unique=lambda line: line.split()[0])
        declared = self._metainfo.get('classes')
        num_classes = len(declared) if declared else None
        data_list, width = [], None
        for line_no, line in lines:
            tokens = line.split()
            where = f'{self.ann_file}:{line_no}'
            if len(tokens) < 2:
                raise ValueError(f'{where}: expected "path l_1 ... l_C", '
                                 f'got {line!r}')
            if width is None:
                width = len(tokens) - 1
            elif len(tokens) - 1 != width:
                raise ValueError(
                    f'{where}: {len(tokens) - 1} labels, but earlier lines '
                    f'have {width}')
            labels = parse_list_line(tokens[1:], where)
            if width > 1 and num_classes is not None and \
                    width != num_classes:
                raise ValueError(f'{where}: {width} labels, but the dataset '
                                 f'has {num_classes} classes')
            img_path = osp.join(self.img_prefix, tokens[0])
            if not osp.isfile(img_path):
                raise FileNotFoundError(f'{where}: image {img_path} not found')
            data_list.append(
                dict(img_path=img_path, list_line=line_no,
                     gt_label=np.array(labels, dtype=np.int64)))
        if not data_list:
            raise ValueError(f'{self.ann_file}: no images listed')
        if width == 1:
            top = max(int(d['gt_label'][0]) for d in data_list)
            if num_classes is not None and top >= num_classes:
                raise ValueError(f'{self.ann_file}: class index {top} out of '
                                 f'range for {num_classes} classes')
            width = num_classes if num_classes is not None else top + 1
        if declared is None:
            self._metainfo['classes'] = tuple(str(i) for i in range(width))
        return data_list

    def prepare_data(self, idx: int) -> dict:
        """The pipeline's output for sample ``idx``; any failure (a corrupted
        or truncated image, say) is re-raised naming the image and line."""
        data_info = self.get_data_info(idx)
        where = f'{self.ann_file}:{data_info["list_line"]}'
        img_path = data_info['img_path']
        try:
            return self.pipeline(data_info)
        except Exception as e:
            raise RuntimeError(f'{where}: cannot load image {img_path}: '
                               f'{type(e).__name__}: {e}') from e
