from .hash_list_dataset import HashListDataset
from .query_database_dataset import QueryDatabaseDataset

__all__ = ['HashListDataset', 'QueryDatabaseDataset']
