"""The CPU backend: a bit-packed database and a kernel compiled by numba.

The database is packed once: the sign bits of its codes into 64-bit words
(one column of N words per 64 bits), and each label into a bitmap over the
database (bit i of a bitmap is set when item i has the label). Per query the
kernel then makes three passes over the database, each in cache:

1. keys: ``2 * distance + relevant`` of every item, distance =
   popcount(XOR) of the code words, relevant = the item's bit in the OR of
   the bitmaps of the query's labels (shares at least one label);
2. counts: a histogram of the keys, i.e. the items and the relevant items
   at every distance 0..K; it gives the distance reached at rank ``depth``;
3. placement: a counting sort of the items up to that distance, in index
   order, so that ties in distance keep the database order.

The kernel holds no Python state and releases the GIL, so several threads
rank different query chunks at once.
"""
from typing import Optional

import numpy as np
import torch
from numba import njit, types
from numba.extending import intrinsic

from ....codes import bit_words
from .base import DatabaseRanker, RankedRows, key_dtype

ITEMS_PER_WORD = 64


@intrinsic
def _popcount(typingctx, word):
    """Set bits of a uint64 (LLVM's ``ctpop``, one instruction)."""
    signature = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return signature, codegen


@njit(nogil=True, cache=True)
def _finish_key(partial_distance, word, item_word, relevant_bits, bit):
    """``2 * distance + relevant`` of one item from its partial distance."""
    return 2 * (partial_distance + _popcount(word ^ item_word)) + (
        (relevant_bits >> np.uint64(bit)) & np.uint64(1))


@njit(nogil=True, cache=True)
def _query_keys(query_words, query_labels, database_words, label_bitmaps,
                relevant_bits, keys):
    """Pass 1: ``keys[i] = 2 * distance(query, i) + relevant(query, i)``."""
    num_words, num_database = database_words.shape
    keys[:] = 0
    for w in range(num_words - 1):
        word, column = query_words[w], database_words[w]
        for i in range(num_database):
            keys[i] += _popcount(word ^ column[i])
    relevant_bits[:] = 0
    for label in range(label_bitmaps.shape[0]):
        if query_labels[label]:
            bitmap = label_bitmaps[label]
            for j in range(relevant_bits.shape[0]):
                relevant_bits[j] |= bitmap[j]
    # The last word, the doubling and the relevant bit: 64 items at a time,
    # a loop of fixed length, which the compiler vectorises.
    word, column = query_words[num_words - 1], database_words[num_words - 1]
    whole = num_database // ITEMS_PER_WORD
    for j in range(whole):
        start = j * ITEMS_PER_WORD
        for k in range(ITEMS_PER_WORD):
            keys[start + k] = _finish_key(keys[start + k], word,
                                          column[start + k], relevant_bits[j],
                                          k)
    for i in range(whole * ITEMS_PER_WORD, num_database):
        keys[i] = _finish_key(keys[i], word, column[i], relevant_bits[whole],
                              i % ITEMS_PER_WORD)


@njit(nogil=True, cache=True)
def _count_keys(keys, lanes, counts):
    """Pass 2: ``counts[k]`` = items with key k (four interleaved histograms,
    so that equal neighbouring keys do not wait on each other)."""
    lanes[:] = 0
    num_database = keys.shape[0]
    whole = num_database - num_database % 4
    for i in range(0, whole, 4):
        lanes[0, keys[i]] += 1
        lanes[1, keys[i + 1]] += 1
        lanes[2, keys[i + 2]] += 1
        lanes[3, keys[i + 3]] += 1
    for i in range(whole, num_database):
        lanes[0, keys[i]] += 1
    for k in range(counts.shape[0]):
        counts[k] = lanes[0, k] + lanes[1, k] + lanes[2, k] + lanes[3, k]


@njit(nogil=True, cache=True)
def _place_first(keys, counts, starts, top, top_keys):
    """Pass 3: the first ``len(top)`` items by (distance, index)."""
    depth = top.shape[0]
    last = starts.shape[0] - 1  # distance of the depth-th item
    total = 0
    for distance in range(starts.shape[0]):
        starts[distance] = total
        total += counts[2 * distance] + counts[2 * distance + 1]
        if total >= depth:
            last = distance
            break
    largest_key = 2 * last + 1
    for i in range(keys.shape[0]):
        key = keys[i]
        if key <= largest_key:
            distance = key >> 1
            position = starts[distance]
            starts[distance] = position + 1
            if position < depth:
                top[position] = i
                top_keys[position] = key


@njit(nogil=True, cache=True)
def _rank_queries(query_words, query_labels, database_words, label_bitmaps,
                  counts, top, top_keys):
    """Passes 1-3 for each query (row) of a chunk, into the outputs."""
    num_database = database_words.shape[1]
    keys = np.empty(num_database, top_keys.dtype)
    relevant_bits = np.empty(label_bitmaps.shape[1], np.uint64)
    lanes = np.empty((4, counts.shape[1]), np.int64)
    starts = np.empty(counts.shape[1] // 2, np.int64)
    for row in range(query_words.shape[0]):
        _query_keys(query_words[row], query_labels[row], database_words,
                    label_bitmaps, relevant_bits, keys)
        _count_keys(keys, lanes, counts[row])
        _place_first(keys, counts[row], starts, top[row], top_keys[row])


class NumbaRanker(DatabaseRanker):
    """The database packed into words and label bitmaps (module docstring);
    :meth:`rank` runs the compiled kernel on CPU."""

    def __init__(self,
                 database_codes: torch.Tensor,
                 database_labels: Optional[torch.Tensor] = None):
        super().__init__(database_codes, database_labels)
        num_database = len(database_codes)
        self._words = np.ascontiguousarray(
            bit_words((database_codes > 0).cpu().numpy()).T)
        self._bitmaps = bit_words(
            (database_labels != 0
             ).t().cpu().numpy()) if database_labels is not None else np.zeros(
                 (0, -(-num_database // ITEMS_PER_WORD)), dtype=np.uint64)

    def rank(self, query_codes: torch.Tensor,
             query_labels: Optional[torch.Tensor], depth: int) -> RankedRows:
        num_query = len(query_codes)
        counts = torch.empty((num_query, 2 * (self.num_bits + 1)),
                             dtype=torch.int64)
        top = torch.empty((num_query, depth), dtype=torch.int64)
        top_keys = torch.empty((num_query, depth),
                               dtype=key_dtype(self.num_bits))
        labels = (query_labels != 0).cpu().numpy().view(np.uint8) \
            if len(self._bitmaps) else np.zeros((num_query, 0), np.uint8)
        _rank_queries(
            bit_words((query_codes > 0).cpu().numpy()), labels, self._words,
            self._bitmaps, counts.numpy(), top.numpy(), top_keys.numpy())
        return RankedRows.from_counts(counts, top, top_keys)
