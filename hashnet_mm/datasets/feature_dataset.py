"""Precomputed feature vectors with labels: the feature track's dataset."""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS, TRANSFORMS

from ..shallow.feature_files import SPLITS, feature_paths, load_features
from .validation_split import subset_indices


@DATASETS.register_module()
class FeatureDataset(BaseDataset):
    """One split of a folder of feature files (``{split}.npy`` (n, d)
    features, ``{split}_labels.npy`` (n, C) multi-hot 0/1 labels,
    ``{split}_ids.txt``; :mod:`hashnet_mm.shallow.feature_files`), as
    written by ``tools/extract_features.py``,
    ``tools/extract_pretrained_features.py`` or ``save_features`` for
    embeddings of your own.

    Each sample's ``feature`` is its (d,) float32 row (``PackInputs`` with
    ``input_key='feature'`` packs it), ``gt_label`` its label indices (set
    ``to_onehot=True`` and ``num_classes`` in the data preprocessor, as for
    :class:`HashListDataset`), ``feature_id`` its id. The files are checked
    when the dataset is built (:func:`load_features`: a missing file, a
    non-finite feature, a label that is not 0/1 or row counts that disagree
    raise an error naming the file).

    Args:
        split (str): ``'train'``, ``'query'`` or ``'database'``.
        feature_dir (str): the folder of the feature files, relative to
            ``data_root`` (default ``''``: ``data_root`` itself, so the
            tools' ``--data-root`` moves every feature dataset).
        subset (str): the part of the split, as for the image datasets
            (:func:`subset_indices`): ``'all'`` (default), ``'train'`` (all
            but the validation images), ``'val_query'`` or
            ``'val_database'``.
        val_queries (int): how many validation queries are held out
            (stratified by label); 0 (default) holds none out.
        val_seed (int): the seed of the validation queries' draw.
        val_database (int): rows held out of training as the validation
            database; 0 (default): the validation database is ``'train'``.
        num_classes (int, optional): C, checked against the labels' width.
        **kwargs: as mmengine's ``BaseDataset`` (``pipeline``, ``metainfo``
            with ``classes``, ``data_root``, ``test_mode``, ...).
    """

    def __init__(self,
                 split: str,
                 feature_dir: str = '',
                 subset: str = 'all',
                 val_queries: int = 0,
                 val_seed: int = 0,
                 val_database: int = 0,
                 num_classes: Optional[int] = None,
                 data_root: str = '',
                 pipeline: Sequence = (),
                 **kwargs):
        if split not in SPLITS:
            raise ValueError(f'FeatureDataset: split must be one of '
                             f'{SPLITS}, got {split!r}')
        if isinstance(
                val_queries,
                bool) or not isinstance(val_queries, int) or val_queries < 0:
            raise ValueError('FeatureDataset: val_queries must be an '
                             f'integer >= 0, got {val_queries!r}')
        self.feature_dir = osp.join(data_root, feature_dir)
        self.split, self.subset = split, subset
        self.val_queries, self.val_seed = val_queries, val_seed
        self.val_database = val_database
        self.num_classes = num_classes
        kwargs.setdefault('serialize_data', False)
        super().__init__(
            ann_file=feature_paths(self.feature_dir, split)['features'],
            # mmpretrain's transforms, whatever the default scope.
            pipeline=[
                TRANSFORMS.build(t) if isinstance(t, dict) else t
                for t in pipeline
            ],
            **kwargs)

    def load_data_list(self) -> List[dict]:
        files = load_features(self.feature_dir, self.split)
        labels = files['labels']
        where = feature_paths(self.feature_dir, self.split)['labels']
        if self.num_classes is not None and \
                labels.shape[1] != self.num_classes:
            raise ValueError(f'{where}: {labels.shape[1]} labels a row, but '
                             f'num_classes={self.num_classes}')
        classes = self._metainfo.get('classes')
        if classes and len(classes) != labels.shape[1]:
            raise ValueError(f'{where}: {labels.shape[1]} labels a row, but '
                             f'{len(classes)} class names')
        if not classes:
            self._metainfo['classes'] = tuple(
                str(i) for i in range(labels.shape[1]))
        try:
            rows = subset_indices(labels, self.subset, self.val_queries,
                                  self.val_seed, self.val_database)
        except ValueError as e:
            raise ValueError(f'FeatureDataset({self.feature_dir}, '
                             f'{self.split}): {e}') from None
        self.features = np.ascontiguousarray(files['features'][rows])
        return [
            dict(
                feature_index=i,
                feature_id=files['ids'][row],
                gt_label=np.flatnonzero(labels[row]).astype(np.int64))
            for i, row in enumerate(rows)
        ]

    def get_data_info(self, idx: int) -> dict:
        """The sample's info: BaseDataset's, copied field by field rather
        than deep-copied (a feature-track run reads every sample many
        times), with its ``feature`` row."""
        info = self.data_list[idx]
        return dict(
            info,
            gt_label=info['gt_label'].copy(),
            sample_idx=idx if idx >= 0 else len(self) + idx,
            feature=torch.from_numpy(self.features[info['feature_index']]))

    @property
    def feature_dim(self) -> int:
        """d, the length of a feature vector."""
        return self.features.shape[1]
