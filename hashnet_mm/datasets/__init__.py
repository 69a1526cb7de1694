from .feature_dataset import FeatureDataset
from .hash_list_dataset import HashListDataset
from .image_errors import ImageFilesDataset
from .query_database_dataset import QueryDatabaseDataset

__all__ = [
    'FeatureDataset', 'HashListDataset', 'ImageFilesDataset',
    'QueryDatabaseDataset'
]
