"""mmengine metric: Hamming-ranking retrieval of a query set in a database."""
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS

from ...codes import bit_words, check_code_dtype
from ..functional import (map_over_queries, mean_over_queries,
                          precision_recall_at_n, precision_recall_by_radius,
                          precision_within_radius, ranking_statistics,
                          tie_aware_average_precision)
from ..functional.measures import (NO_RELEVANT_MODES, UNDEFINED_MODES,
                                   resolve_map_convention)
from ..functional.validation import (check_at_least, check_choice,
                                     check_chunk_size, check_top_n, check_topk)

SPLITS = ('query', 'database')


@METRICS.register_module()
class HammingRetrievalMetric(BaseMetric):
    """Every retrieval measure of the HashNet paper from one ranking pass.

    Expects one test loop over query and database (see
    ``QueryDatabaseDataset``): each prediction carries ``hash_code`` (from
    ``HashHead``), its labels (``gt_score`` multi-hot or ``gt_label``
    indices) and the metainfo ``split`` and ``sample_idx``. Results of all
    ranks are gathered by mmengine and scored once, on the main process, in
    ``sample_idx`` order, so any number of processes gives the same values.
    Scoring runs on the device the predictions came from (the model's), or
    on ``device``.

    Relevant = sharing at least one label with the query. Labels are 0/1
    (``gt_score``) or class indices (``gt_label``): a soft, smoothed, NaN or
    negative score is an error naming the sample, as are bool codes (codes
    are -1/+1). When no query has a relevant item in the database at all
    (labels all zero, or query and database without a common class) scoring
    is an error; a MAP whose convention leaves every query out is NaN, with
    a warning. A warning gives the number of distinct database codes when
    it is below max(2, C) for C classes (a collapsed model). Reported, with
    R =
    ``topk`` (``all`` for -1) and r = ``radius``:

    - ``mAP@R``: mean AP of the top R (MAP@R, paper Sec. 4.1), ties in
      distance broken by database index;
    - ``tie_aware_mAP@R``: mean over queries of the expected AP@R over all
      orders of items at equal distance (He et al., CVPR 2018; see
      ``functional/tie_aware.py``);
    - ``queries_in_mAP@R`` and ``queries_in_tie_aware_mAP@R``: how many
      queries each MAP averaged over (``no_relevant`` may leave some out),
      as floats; also logged as a line of text;
    - ``P@H<=r``: precision within Hamming radius r (the paper's P@H=2);
    - ``P@N`` and ``R@N`` for each N in ``top_n``: precision and recall of
      the first N of the ranking above;
    - ``PR_precision`` and ``PR_recall``: lists indexed by Hamming radius
      0..K, the precision-recall curve.

    The scalars reach every log backend. The two lists are non-scalar
    metrics: mmengine prints them in the text log and, after a test loop,
    ``LoggerHook`` saves them with the scalars to the run's JSON,
    ``{work_dir}/{timestamp}/{timestamp}.json`` (what
    ``tools/analysis/plot_retrieval.py`` reads); after a validation loop in
    training only the scalars are saved (``vis_data/scalars.json``).

    Args:
        topk (int): R of MAP@R; -1 ranks the whole database.
        no_relevant (str): what a query with no relevant item in its top R
            adds to the MAPs, by the evaluation code reproduced:
            ``'released_pytorch'`` (default; alias ``'skip'``): left out,
            as the authors' released PyTorch ``test.py``;
            ``'released_caffe'``: AP = 0 when the database holds a relevant
            item, left out only when it holds none, as the authors' Caffe
            ``predict_parallel.py`` that produced the paper's Table 1;
            ``'deephash_pytorch'`` (alias ``'zero'``): AP = 0, divided by
            all queries, as DeepHash-pytorch's ``CalcTopMap``. With R = all
            the first two agree. For the tie-aware MAP,
            ``'released_pytorch'`` takes the expectation given that the top
            R holds a relevant item.
        radius (int): r of P@H<=r.
        empty_radius (str): a query with no item within a radius counts as
            precision 0 there (``'zero'``, so that codes which retrieve
            nothing are not rewarded) or is left out (``'skip'``); applies to
            P@H<=r and the PR curve's precision.
        top_n (Sequence[int]): the N of P@N and R@N, ascending; an N larger
            than the database means the whole database.
        chunk_size (int): queries scored at once, in the ranking and in the
            tie-aware expectation (memory O(chunk * N)).
        device (str, optional): where to score; by default the device of
            the predictions.

    Recall (R@N, ``PR_recall``) is averaged over the queries with at least
    one relevant item in the database; P@N over all queries.
    """

    default_prefix = 'retrieval'

    def __init__(self,
                 topk: int = -1,
                 no_relevant: str = 'released_pytorch',
                 radius: int = 2,
                 empty_radius: str = 'zero',
                 top_n: Sequence[int] = (100, 200, 300, 400, 500, 600, 700,
                                         800, 900, 1000),
                 chunk_size: int = 128,
                 device: Optional[Union[str, torch.device]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_topk(topk)
        check_at_least('radius', radius, 0)
        check_choice('no_relevant', no_relevant, NO_RELEVANT_MODES)
        check_choice('empty_radius', empty_radius, UNDEFINED_MODES)
        check_chunk_size(chunk_size)
        self.topk = topk
        self.no_relevant = resolve_map_convention(no_relevant)
        self.radius = radius
        self.empty_radius = empty_radius
        self.top_n = check_top_n(top_n)
        self.chunk_size = chunk_size
        self.device = device
        self._prediction_device = torch.device('cpu')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'hash_code' not in sample or 'split' not in sample:
                raise KeyError(
                    'HammingRetrievalMetric needs predictions with '
                    "'hash_code' (HashHead) and 'split' (QueryDatabaseDataset)"
                    f'; got keys {sorted(sample)}')
            if not sample['hash_code'].numel():
                raise ValueError(
                    f'hash_code of sample {sample.get("sample_idx")} '
                    f'({sample["split"]}) is empty')
        if not data_samples:
            return
        codes = [sample['hash_code'].reshape(-1) for sample in data_samples]
        for sample, code in zip(data_samples, codes):
            check_code_dtype(code, describe_sample(sample, 'hash_code'))
        # Codes and labels are checked here, once, where they enter: one
        # check and one copy per batch, not per sample (GPU syncs).
        batch_codes = torch.cat(codes)
        if (batch_codes.abs() != 1).any():
            sample = next(s for s, c in zip(data_samples, codes)
                          if (c.abs() != 1).any())
            raise ValueError(f'{describe_sample(sample, "hash_code")} must '
                             'contain only -1 and +1')
        self._prediction_device = batch_codes.device
        codes = batch_codes.to(torch.int8).cpu().split(
            [len(code) for code in codes])
        check_multi_hot(data_samples)
        for sample, code in zip(data_samples, codes):
            labels = sample['gt_score'] == 1 if 'gt_score' in sample \
                else sample['gt_label']
            self.results.append(
                dict(
                    sample_idx=sample['sample_idx'],
                    split=sample['split'],
                    code=code.clone(),  # not a view of the whole batch
                    labels=labels.cpu(),
                    multi_hot='gt_score' in sample))

    def _stack_labels(self, results: List[dict]) -> torch.Tensor:
        """(n, C) bool labels from multi-hot rows or class-index tensors."""
        kinds = {r['multi_hot'] for r in results}
        if len(kinds) > 1:
            raise ValueError('some predictions carry multi-hot gt_score and '
                             'others class-index gt_label; use one kind')
        if kinds == {True}:
            return _stack_rows([r['labels'] for r in results],
                               lambda: _label_width_error(results))
        classes = (self.dataset_meta or {}).get('classes')
        num_classes = len(classes) if classes else 1 + max(
            (int(r['labels'].max()) for r in results if r['labels'].numel()),
            default=0)
        labels = torch.zeros(len(results), num_classes, dtype=torch.bool)
        for row, r in zip(labels, results):
            index = r['labels'].long()
            if index.numel() and (index.min() < 0
                                  or index.max() >= num_classes):
                raise ValueError(
                    f'gt_label {index.tolist()} of sample {r["sample_idx"]} '
                    f'({r["split"]}) is outside 0..{num_classes - 1}')
            row[index] = True
        return labels

    def compute_metrics(self, results: List[dict]) -> dict:
        results = sorted(results, key=lambda r: r['sample_idx'])
        indices = [r['sample_idx'] for r in results]
        if len(set(indices)) != len(indices):
            raise RuntimeError('HammingRetrievalMetric got the same sample '
                               'twice; check the sampler')
        codes = _stack_rows([r['code'] for r in results],
                            lambda: _code_width_error(results))
        labels = self._stack_labels(results)
        device = torch.device(self.device or self._prediction_device)
        splits = np.array([r['split'] for r in results])
        parts = []
        for split in SPLITS:
            mask = torch.from_numpy(splits == split)
            if not mask.any():
                raise ValueError(f'HammingRetrievalMetric: the {split} set '
                                 'is empty')
            parts += [codes[mask].to(device), labels[mask].to(device)]
        return self.score(*parts)

    def score(self, query_codes: torch.Tensor, query_labels: torch.Tensor,
              database_codes: torch.Tensor,
              database_labels: torch.Tensor) -> dict:
        """Every measure (see the class docstring), without the prefix.

        The inputs are not checked again: :meth:`process` checked the codes,
        :meth:`compute_metrics` stacked them and built the labels.

        Args:
            query_codes, database_codes (Tensor): (Q, K) and (N, K) codes in
                {-1, +1}, on the device to score on.
            query_labels, database_labels (Tensor): (Q, C) and (N, C)
                multi-hot labels.
        """
        statistics = ranking_statistics(
            query_codes,
            database_codes,
            query_labels,
            database_labels,
            topk=self.topk,
            top_n=self.top_n,
            chunk_size=self.chunk_size,
            check_inputs=False)
        counts = statistics.distance_counts, statistics.relevant_counts
        name = 'all' if self.topk == -1 else self.topk
        tie_aware = tie_aware_average_precision(
            *counts,
            topk=self.topk,
            no_relevant=self.no_relevant,
            chunk_size=self.chunk_size)
        precision_at_n, recall_at_n = precision_recall_at_n(statistics)
        pr_precision, pr_recall = precision_recall_by_radius(*counts)
        relevant_in_database = statistics.relevant_counts.sum(1) > 0
        check_answerable(relevant_in_database, query_labels, database_labels)
        warn_if_few_distinct_codes(database_codes, database_labels.shape[1])
        mean_ap, num_ap = map_over_queries(statistics.average_precision,
                                           relevant_in_database,
                                           self.no_relevant)
        tie_aware_map, num_tie_aware = map_over_queries(
            tie_aware, relevant_in_database, self.no_relevant)
        self._log_query_counts(name, len(query_codes), num_ap, num_tie_aware,
                               int(relevant_in_database.sum()))
        metrics = {
            f'mAP@{name}':
            mean_ap.item(),
            f'tie_aware_mAP@{name}':
            tie_aware_map.item(),
            # Floats: mmengine's results JSON drops numpy integers.
            f'queries_in_mAP@{name}':
            float(num_ap),
            f'queries_in_tie_aware_mAP@{name}':
            float(num_tie_aware),
            f'P@H<={self.radius}':
            mean_over_queries(
                precision_within_radius(*counts, radius=self.radius),
                self.empty_radius).item(),
        }
        for n, precision, recall in zip(
                self.top_n,
                mean_over_queries(precision_at_n).tolist(),
                mean_over_queries(recall_at_n, 'skip').tolist()):
            metrics[f'P@{n}'] = precision
            metrics[f'R@{n}'] = recall
        metrics['PR_precision'] = mean_over_queries(
            pr_precision, self.empty_radius).tolist()
        metrics['PR_recall'] = mean_over_queries(pr_recall, 'skip').tolist()
        return metrics

    def _log_query_counts(self, name, num_queries: int, num_ap: int,
                          num_tie_aware: int, num_with_relevant: int) -> None:
        """One line: how many queries each MAP used, and why others not; a
        warning where a MAP averaged over no query (it is NaN)."""
        logger = MMLogger.get_current_instance()
        logger.info(
            f'mAP@{name} over {num_ap} of {num_queries} queries, '
            f'tie_aware_mAP@{name} over {num_tie_aware} '
            f'(no_relevant={self.no_relevant!r}; '
            f'{num_queries - num_with_relevant} queries have no relevant '
            'item in the database)')
        for measure, count in ((f'mAP@{name}', num_ap),
                               (f'tie_aware_mAP@{name}', num_tie_aware)):
            if not count:
                logger.warning(
                    f'{measure} is NaN: no query has a relevant item in its '
                    f'top {name}, and no_relevant={self.no_relevant!r} '
                    'leaves such queries out of the mean (a mean over no '
                    'query is undefined, not 0)')


def check_answerable(relevant_in_database: torch.Tensor,
                     query_labels: torch.Tensor,
                     database_labels: torch.Tensor) -> None:
    """Raise ValueError when no query has a relevant item in the database.

    Every measure would then be a mean over no query (whatever the codes),
    so the labels, not the model, are at fault: all zero, or query and
    database sharing no class.
    """
    if bool(relevant_in_database.any()):
        return
    unlabelled = [
        int((~labels.bool().any(1)).sum())
        for labels in (query_labels, database_labels)
    ]
    raise ValueError(
        f'none of the {len(query_labels)} queries shares a label with any '
        f'of the {len(database_labels)} database items ({unlabelled[0]} '
        f'queries and {unlabelled[1]} database items have no label at '
        'all): every retrieval measure would be a mean over no query. '
        'Check the label columns of the query and database lists.')


def few_distinct_codes_threshold(num_classes: int) -> int:
    """Fewer distinct database codes than this is suspicious: max(2, C).

    With fewer codes than classes some classes share every code, so the
    ranking is mostly ties broken by database order; a single code for the
    whole database is a collapsed model whatever C.
    """
    return max(2, num_classes)


def warn_if_few_distinct_codes(database_codes: torch.Tensor,
                               num_classes: int) -> int:
    """Log a warning, with the count, when the database holds fewer distinct
    codes than :func:`few_distinct_codes_threshold`; returns the count."""
    words = bit_words(database_codes.cpu().numpy() > 0)
    distinct = len(np.unique(words, axis=0))
    threshold = few_distinct_codes_threshold(num_classes)
    if distinct < threshold:
        MMLogger.get_current_instance().warning(
            f'only {distinct} distinct code{"s" * (distinct != 1)} among '
            f'{len(database_codes)} '
            f'database items (fewer than max(2, classes) = {threshold}): '
            'the model maps most images to the same codes (collapsed or '
            'barely trained), so the measures mostly score ties broken by '
            'database order; compare tie_aware_mAP')
    return distinct


def describe_sample(sample: dict, key: str) -> str:
    """``'<key> of sample <sample_idx> (<split>)'``, as messages name it."""
    return f'{key} of sample {sample.get("sample_idx")} ({sample["split"]})'


def check_multi_hot(data_samples: Sequence[dict]) -> None:
    """Raise ValueError naming the first sample whose ``gt_score`` holds
    anything but 0 and 1.

    A label is present or absent: a smoothed (0.95 / 0.05) or soft score,
    a -1 or a NaN has no stated meaning as relevance, and thresholding it
    would score other labels than the data's.
    """
    scores = [
        s['gt_score'].reshape(-1) for s in data_samples if 'gt_score' in s
    ]
    if not scores:
        return
    joined = torch.cat(scores)
    if bool(((joined == 0) | (joined == 1)).all()):
        return
    sample = next(s for s in data_samples if 'gt_score' in s and not bool((
        (s['gt_score'] == 0) | (s['gt_score'] == 1)).all()))
    values = sample['gt_score'].reshape(-1).tolist()
    shown = ', '.join(
        f'{v:g}' for v in values[:8]) + (', ...' if len(values) > 8 else '')
    raise ValueError(
        f'{describe_sample(sample, "gt_score")} is [{shown}]: labels must '
        'be 0/1 multi-hot (a smoothed or soft score, -1 or NaN is not a '
        'label); give the hard 0/1 labels of the data')


def _stack_rows(
        rows: List[torch.Tensor],
        mismatch_error: Callable[[], Optional[ValueError]]) -> torch.Tensor:
    """``torch.stack(rows)``; where that fails, the error that
    ``mismatch_error`` finds (None: not a mismatch, the failure is raised).
    Stacking first is faster than checking every row's width first."""
    try:
        return torch.stack(rows)
    except RuntimeError:
        error = mismatch_error()
        if error is None:
            raise
        raise error from None


def _code_width_error(results: List[dict]) -> Optional[ValueError]:
    widths = sorted({r['code'].numel() for r in results})
    return ValueError(f'hash codes of mixed widths {widths}') \
        if len(widths) > 1 else None


def _label_width_error(results: List[dict]) -> Optional[ValueError]:
    widths = {}
    for r in results:
        widths.setdefault(r['labels'].numel(), r)
    if len(widths) == 1:
        return None
    found = ', '.join(f'{width} (sample {r["sample_idx"]}, {r["split"]})'
                      for width, r in sorted(widths.items()))
    return ValueError(f'multi-hot labels of different widths: {found}')
