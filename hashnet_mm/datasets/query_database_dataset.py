"""One test loop over a query set and a database set."""
from typing import Union

from mmengine.dataset import BaseDataset, ConcatDataset
from mmpretrain.registry import DATASETS

SPLITS = ('query', 'database')


@DATASETS.register_module()
class QueryDatabaseDataset(ConcatDataset):
    """Query samples followed by database samples, each tagged by its split.

    Every sample's DataSample gets the metainfo ``split`` (``'query'`` or
    ``'database'``) and ``sample_idx`` = its index in this dataset, which is
    what :class:`HammingRetrievalMetric` needs to score the ranking. Both
    sets must have the same metainfo (classes).

    Args:
        query (dict | BaseDataset): the query set.
        database (dict | BaseDataset): the database (retrieval set).
    """

    def __init__(self,
                 query: Union[dict, BaseDataset],
                 database: Union[dict, BaseDataset],
                 lazy_init: bool = False):
        datasets = [
            DATASETS.build(d) if isinstance(d, dict) else d
            for d in (query, database)
        ]
        query_classes, database_classes = (
            tuple(d.metainfo.get('classes') or ()) for d in datasets)
        if query_classes != database_classes:
            raise ValueError(
                f'QueryDatabaseDataset: the query set has '
                f'{len(query_classes)} classes and the database '
                f'{len(database_classes)}; give both the same `classes`, or '
                'the same `num_classes` (HashListDataset; the tools set it '
                "from the data preprocessor's num_classes)")
        super().__init__(datasets, lazy_init=lazy_init)

    def __getitem__(self, idx: int) -> dict:
        dataset_idx, _ = self._get_ori_dataset_idx(idx)
        data = super().__getitem__(idx)
        data['data_samples'].set_metainfo(
            dict(split=SPLITS[dataset_idx], sample_idx=idx % len(self)))
        return data
