"""What every ranking backend does: rank a database by Hamming distance.

Each (query, database item) pair becomes one small integer key, ``2 *
distance + relevant`` (relevant = sharing at least one label, eq. 1 of the
paper). Per query a backend counts the keys, which gives the number of items,
and of relevant items, at every distance 0..K, and ranks the first ``depth``
items by (distance, database index), so that ties keep the database order.
"""
from abc import ABCMeta, abstractmethod
from typing import NamedTuple, Optional

import torch


def key_dtype(num_bits: int) -> torch.dtype:
    """The smallest dtype of the keys of K-bit codes: uint8 holds 2K + 1 for
    K <= 127."""
    return torch.uint8 if num_bits <= 127 else torch.int32


class RankedRows(NamedTuple):
    """Per row (query): counts by distance and the first items ranked."""
    distance_counts: torch.Tensor  # (Q, K + 1) int64 items at distance d
    relevant_counts: torch.Tensor  # (Q, K + 1) int64 relevant ones
    top: torch.Tensor  # (Q, depth) int64 database indices, in rank order
    top_keys: torch.Tensor  # (Q, depth) their keys (low bit: relevant)

    @classmethod
    def from_counts(cls, key_counts: torch.Tensor, top: torch.Tensor,
                    top_keys: torch.Tensor) -> 'RankedRows':
        """From (Q, 2 (K + 1)) counts of each key ``2 * distance +
        relevant``."""
        by_distance = key_counts.view(len(key_counts), -1, 2)
        return cls(by_distance.sum(2), by_distance[..., 1], top, top_keys)


class DatabaseRanker(metaclass=ABCMeta):
    """A database of codes (and labels), prepared once, that ranks chunks of
    queries.

    Args:
        database_codes (Tensor): (N, K) codes in {-1, +1}.
        database_labels (Tensor, optional): (N, C) multi-hot labels; without
            them no item is relevant.
    """

    def __init__(self,
                 database_codes: torch.Tensor,
                 database_labels: Optional[torch.Tensor] = None):
        self.num_bits = database_codes.shape[1]

    @abstractmethod
    def rank(self, query_codes: torch.Tensor,
             query_labels: Optional[torch.Tensor], depth: int) -> RankedRows:
        """Count each query's items by distance and rank its first
        ``depth`` (1 <= depth <= N) by (distance, database index).

        Args:
            query_codes (Tensor): (Q, K) codes in {-1, +1}.
            query_labels (Tensor, optional): (Q, C) multi-hot labels; None
                when the database has none.
        """
