"""mmengine metric that writes a test loop's binary codes to a codes file."""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from ..codes import pack_codes
from ..search.codes_file import CodesFile


@METRICS.register_module()
class DumpHashCodes(BaseMetric):
    """Collect every sample's ``hash_code`` and save them as a
    :class:`CodesFile` (as mmengine's ``DumpResults`` dumps predictions).

    Codes are packed on each rank, gathered by mmengine and written once, on
    the main process, in ``sample_idx`` order, atomically: the file appears
    complete or not at all. The ids are the samples' ``sample_idx`` (their
    dataset order), the paths their ``img_path`` and the labels, when the
    samples carry any (a labelled list's ``HashListDataset``), their
    multi-hot ``gt_score`` or their ``gt_label`` indices as multi-hot rows
    of C = the dataset's number of classes.

    Args:
        out_file (str): the ``.npz`` codes file to write.
        image_root (str, optional): the folder the stored paths are made
            relative to, recorded in the file (absolute); default None:
            paths stored as the samples give them.
    """

    default_prefix = 'encode'

    def __init__(self,
                 out_file: str,
                 image_root: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_file = out_file
        self.image_root = None if image_root is None else \
            osp.abspath(image_root)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        if any('hash_code' not in sample for sample in data_samples):
            raise KeyError("DumpHashCodes needs predictions with 'hash_code' "
                           '(HashHead)')
        codes = torch.stack([sample['hash_code'] for sample in data_samples])
        for sample, code in zip(data_samples, pack_codes(codes)):
            self.results.append(
                (sample['sample_idx'], codes.shape[1], code,
                 sample.get('img_path'), sample_labels(sample)))

    def compute_metrics(self, results: List[tuple]) -> dict:
        codes = self._codes_file(results, 0)
        codes.save(self.out_file)
        metrics = dict(num_items=len(results), num_bits=codes.num_bits)
        if codes.labels is not None:
            metrics['num_classes'] = codes.labels.shape[1]
        return metrics

    def _codes_file(self, results: List[tuple], first: int) -> CodesFile:
        """The codes of ``results``, which must be the samples ``first``,
        ``first + 1``, ... each exactly once (in any order)."""
        results = sorted(results, key=lambda r: r[0])
        indices = [r[0] for r in results]
        if indices != list(range(first, first + len(results))):
            raise RuntimeError(f'{type(self).__name__} did not get every '
                               'sample exactly once; check the sampler')
        widths = {r[1] for r in results}
        if len(widths) > 1:
            raise ValueError(f'hash codes of mixed widths {sorted(widths)}')
        paths = [r[3] for r in results]
        if None in paths:
            paths = None
        elif self.image_root is not None:
            paths = [self._relative(path) for path in paths]
        return CodesFile(
            np.stack([r[2] for r in results]), widths.pop(),
            np.array(indices, dtype=np.int64), paths,
            self._stack_labels([r[4] for r in results]), self.image_root)

    def _relative(self, path: str) -> str:
        """``os.path.relpath(path, self.image_root)``, without its cost for
        the usual path: normalised, absolute and under the root."""
        root = self.image_root
        if path.startswith(root) and path[len(root):len(root) + 1] == \
                osp.sep and osp.normpath(path) == path:
            return path[len(root) + 1:]
        return osp.relpath(path, root)

    def _stack_labels(self,
                      labels: List[Optional[tuple]]) -> Optional[np.ndarray]:
        """(n, C) bool labels of the samples, None when none has labels."""
        kinds = {None if label is None else label[0] for label in labels}
        if kinds == {None}:
            return None
        if len(kinds) > 1:
            raise ValueError('DumpHashCodes: samples mix ' + ', '.join(
                sorted({
                    'no labels' if kind is None else f'{kind} labels'
                    for kind in kinds
                })) + '; a collection has labels for every image or for none')
        rows = [label[1] for label in labels]
        if kinds == {'multi-hot'}:
            widths = {len(row) for row in rows}
            if len(widths) > 1:
                raise ValueError('DumpHashCodes: multi-hot labels of mixed '
                                 f'widths {sorted(widths)}')
            return np.stack(rows).astype(bool)
        classes = (self.dataset_meta or {}).get('classes')
        top = max((int(row.max()) for row in rows if row.size), default=-1)
        num_classes = len(classes) if classes else top + 1
        if top >= num_classes or any(row.size and row.min() < 0
                                     for row in rows):
            raise ValueError(f'DumpHashCodes: class indices outside '
                             f'0..{num_classes - 1}')
        multi_hot = np.zeros((len(rows), max(num_classes, 1)), dtype=bool)
        for target, row in zip(multi_hot, rows):
            target[row] = True
        return multi_hot


def sample_labels(sample: dict) -> Optional[tuple]:
    """``('multi-hot', (C,) bool)`` from ``gt_score``, ``('class-index',
    int64 indices)`` from ``gt_label``, or None for an unlabelled sample."""
    if 'gt_score' in sample:
        return 'multi-hot', np.asarray(
            torch.as_tensor(sample['gt_score']).cpu() > 0)
    if 'gt_label' in sample:
        return 'class-index', torch.as_tensor(
            sample['gt_label']).cpu().reshape(-1).long().numpy()
    return None
