"""mmengine metric: Hamming-ranking retrieval of a query set in a database."""
from typing import List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from ..functional import mean_average_precision

SPLITS = ('query', 'database')


@METRICS.register_module()
class HammingRetrievalMetric(BaseMetric):
    """MAP@R of ranking the database by Hamming distance to each query.

    Expects one test loop over query and database (see
    ``QueryDatabaseDataset``): each prediction carries ``hash_code`` (from
    ``HashHead``), its labels (``gt_score`` multi-hot or ``gt_label``
    indices) and the metainfo ``split`` and ``sample_idx``. Results of all
    ranks are gathered by mmengine and scored once, on the main process, in
    ``sample_idx`` order, so any number of processes gives the same value.

    Relevance = at least one shared label. Ties in Hamming distance are
    broken by database order; a query with no relevant item in its top R is
    left out of the mean (``no_relevant='skip'``, the authors' released
    evaluation) or counts as 0 (``'zero'``).

    Args:
        topk (int): R of MAP@R; -1 ranks the whole database (reported as
            ``mAP@all``).
        no_relevant (str): ``'skip'`` or ``'zero'``.
        chunk_size (int): queries scored at once (memory O(chunk * N)).
    """

    default_prefix = 'retrieval'

    def __init__(self,
                 topk: int = -1,
                 no_relevant: str = 'skip',
                 chunk_size: int = 128,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if topk != -1 and topk < 1:
            raise ValueError(f'topk must be -1 or >= 1, got {topk}')
        self.topk = topk
        self.no_relevant = no_relevant
        self.chunk_size = chunk_size

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'hash_code' not in sample or 'split' not in sample:
                raise KeyError(
                    'HammingRetrievalMetric needs predictions with '
                    "'hash_code' (HashHead) and 'split' (QueryDatabaseDataset)"
                    f'; got keys {sorted(sample)}')
            labels = sample['gt_score'] > 0 if 'gt_score' in sample \
                else sample['gt_label']
            self.results.append(
                dict(
                    sample_idx=sample['sample_idx'],
                    split=sample['split'],
                    code=sample['hash_code'].to(torch.int8).cpu(),
                    labels=labels.cpu(),
                    multi_hot='gt_score' in sample))

    def _stack_labels(self, results: List[dict]) -> torch.Tensor:
        """(n, C) bool labels from multi-hot rows or class-index tensors."""
        if all(r['multi_hot'] for r in results):
            return torch.stack([r['labels'] for r in results])
        classes = (self.dataset_meta or {}).get('classes')
        num_classes = len(classes) if classes else 1 + max(
            int(r['labels'].max()) for r in results if r['labels'].numel())
        labels = torch.zeros(len(results), num_classes, dtype=torch.bool)
        for row, r in zip(labels, results):
            row[r['labels'].long()] = True
        return labels

    def compute_metrics(self, results: List[dict]) -> dict:
        results = sorted(results, key=lambda r: r['sample_idx'])
        indices = [r['sample_idx'] for r in results]
        if len(set(indices)) != len(indices):
            raise RuntimeError('HammingRetrievalMetric got the same sample '
                               'twice; check the sampler')
        widths = sorted({r['code'].numel() for r in results})
        if len(widths) > 1:
            raise ValueError(f'hash codes of mixed widths {widths}')
        codes = torch.stack([r['code'] for r in results])
        labels = self._stack_labels(results)
        parts = {}
        for split in SPLITS:
            mask = torch.tensor([r['split'] == split for r in results])
            if not mask.any():
                raise ValueError(f'HammingRetrievalMetric: the {split} set '
                                 'is empty')
            parts[split] = codes[mask], labels[mask]
        (query_codes, query_labels), (database_codes, database_labels) = (
            parts['query'], parts['database'])
        value = mean_average_precision(
            query_codes, database_codes, query_labels, database_labels,
            topk=self.topk, no_relevant=self.no_relevant,
            chunk_size=self.chunk_size)
        name = 'all' if self.topk == -1 else self.topk
        return {f'mAP@{name}': value}
