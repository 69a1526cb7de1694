"""Search packed binary codes by Hamming distance, with FAISS indexes."""
from typing import List, NamedTuple, Optional, Sequence

import numpy as np

from ..codes import check_packed, code_size
from ..utils.extras import require_extra
from .codes_file import check_ids, check_labels, image_path
from .storage import (array_to_strings, load_arrays, save_arrays,
                      strings_to_array)

INDEX_FORMAT = 'hashnet_mm.index/1'
KINDS = ('flat', 'hash', 'ivf')


def faiss_module():
    """FAISS, imported when an index is first made or loaded: the
    ``[search]`` extra (``import hashnet_mm.search`` works without it)."""
    return require_extra('faiss', 'search', 'HammingIndex (binary search)')


class Neighbours(NamedTuple):
    """Search results, nearest first; -1 (and None) where there are none.

    Attributes:
        ids (np.ndarray): int64 ids.
        distances (np.ndarray): int32 Hamming distances.
        paths (np.ndarray, optional): object array of the items' paths;
            None when the index stores no paths.
        labels (np.ndarray, optional): bool multi-hot labels of the items,
            one more axis (C) than ``ids`` (all False where there is no
            result); None when the index stores no labels.
    """
    ids: np.ndarray
    distances: np.ndarray
    paths: Optional[np.ndarray]
    labels: Optional[np.ndarray] = None

    def select(self, index) -> 'Neighbours':
        """These results indexed by ``index`` (a row, a slice, a mask)."""
        return Neighbours(*(None if part is None else part[index]
                            for part in self))

    def found(self) -> 'Neighbours':
        """Only the entries that are results (1-d Neighbours)."""
        return self.select(self.ids >= 0)

    def relevant(self, query_labels) -> Optional[np.ndarray]:
        """Whether each result shares a label with its query: a bool array
        shaped like ``ids`` (False where there is no result), or None when
        the items' labels or ``query_labels`` are unknown.

        Args:
            query_labels (array, optional): (C,) multi-hot labels of the
                query of 1-d Neighbours; (Q, C) for (Q, k) Neighbours.
        """
        if self.labels is None or query_labels is None:
            return None
        query_labels = np.asarray(query_labels, dtype=bool)
        width = self.labels.shape[-1]
        if query_labels.shape != self.labels.shape[:-2] + (width, ):
            raise ValueError(
                f'query labels of shape {query_labels.shape} for results '
                f'with {width} labels per item (expected shape '
                f'{self.labels.shape[:-2] + (width, )})')
        shared = self.labels & query_labels[..., None, :]
        return shared.any(axis=-1) & (self.ids >= 0)


def _integer(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ValueError(
            f'{name} must be an integer >= {minimum}, got {value!r}')
    return int(value)


class HammingIndex:
    """Packed K-bit codes with int64 ids (and optional paths and multi-hot
    labels), searched by Hamming distance.

    Kinds (the FAISS index underneath):

    - ``'flat'`` (``IndexBinaryFlat``): exact top-k and radius search by
      scanning every code; K/8 bytes per item (+ 8 for its id).
    - ``'hash'`` (``IndexBinaryMultiHash``): ``num_tables`` hash tables keyed
      by consecutive ``hash_bits``-bit substrings of the code (multi-index
      hashing; one table is ``IndexBinaryHash``'s scheme). Radius search is
      exact: it probes every key within ``radius // num_tables`` flips (by
      the pigeonhole principle one substring of a code within the radius is
      that close), at a cost growing with the number of such keys. Top-k
      search is exact by default (``nflip=None``): the radius grows, as
      Norouzi et al. (multi-index hashing, CVPR 2012) search k-NN, through
      ``m (f + 1) - 1`` for f = 0, 1, ... flips (m tables) until k items
      are within it (past ``hash_bits`` flips the stored codes are scanned).
      With an integer ``nflip`` it is FAISS's approximate search instead:
      only codes in buckets within ``nflip`` flips of the query's
      substrings are seen (faster, may miss nearer items).
    - ``'ivf'`` (``IndexBinaryIVF``): codes clustered into ``nlist`` lists
      (trained by :meth:`train`, or by the first :meth:`add`, which then
      needs at least ``nlist`` codes); searches scan the ``nprobe`` nearest
      lists, so results are approximate unless ``nprobe == nlist``. For
      large collections.

    Results are ordered by distance, then by the order the items were added
    (the tie rule); for ``'flat'`` and exact ``'hash'`` search, top-k is
    exactly the first k items in that order, as a brute-force scan with a
    stable sort would give (IVF with ``nprobe == nlist`` finds the exact
    distances, but may pick other items among ties at the k-th distance).
    Indexes built by ``tools/build_index.py`` add items in id order, so the
    tie rule is distance, then id. The index keeps K and
    refuses codes of any other width. :meth:`remove` rebuilds the FAISS
    index without the removed items (O(n); IVF keeps its training).

    Args:
        num_bits (int): K, the model's code length.
        kind (str): ``'flat'``, ``'hash'`` or ``'ivf'``.
        hash_bits (int): ``'hash'``: bits per key (default min(16, K)).
        num_tables (int): ``'hash'``: number of tables, with
            ``num_tables * hash_bits <= K`` (default K // hash_bits).
        nflip (int, optional): ``'hash'``: None (default) for exact top-k,
            else the flips FAISS's approximate top-k search probes.
        nlist (int): ``'ivf'``: number of lists.
        nprobe (int): ``'ivf'``: lists scanned per query.

    Attributes:
        image_root (str, optional): the folder the stored paths are
            relative to, saved with the index: the image root recorded when
            the collection was encoded (``tools/build_index.py`` keeps it).
            Results give each path under it (an absolute path as it is);
            set it to where the images are now if they moved. None: paths
            as stored.
    """

    def __init__(self,
                 num_bits: int,
                 kind: str = 'flat',
                 *,
                 hash_bits: Optional[int] = None,
                 num_tables: Optional[int] = None,
                 nflip: Optional[int] = None,
                 nlist: int = 1024,
                 nprobe: int = 16):
        self.code_size = code_size(num_bits)
        self.num_bits = int(num_bits)
        if kind not in KINDS:
            raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
        self.kind = kind
        if kind == 'hash':
            hash_bits = _integer(
                'hash_bits',
                min(16, self.num_bits) if hash_bits is None else hash_bits)
            num_tables = _integer(
                'num_tables', self.num_bits //
                hash_bits if num_tables is None else num_tables)
            if num_tables * hash_bits > self.num_bits or hash_bits > 64:
                raise ValueError(
                    f'{num_tables} tables of {hash_bits} bits do not fit in '
                    f'{self.num_bits}-bit codes (at most 64 bits per table)')
            self.params = dict(
                hash_bits=hash_bits,
                num_tables=num_tables,
                nflip=None if nflip is None else _integer('nflip', nflip, 0))
        elif kind == 'ivf':
            self.params = dict(
                nlist=_integer('nlist', nlist),
                nprobe=_integer('nprobe', nprobe))
        else:
            self.params = {}
        self._index = self._new_faiss_index()
        self._apply_search_params()
        self._ids = np.empty(0, dtype=np.int64)
        self._paths: Optional[np.ndarray] = None
        self._labels: Optional[np.ndarray] = None
        self.image_root: Optional[str] = None

    def _new_faiss_index(self):
        dim = 8 * self.code_size
        if self.kind == 'flat':
            return faiss_module().IndexBinaryFlat(dim)
        if self.kind == 'hash':
            return faiss_module().IndexBinaryMultiHash(
                dim, self.params['num_tables'], self.params['hash_bits'])
        faiss = faiss_module()
        return faiss.IndexBinaryIVF(
            faiss.IndexBinaryFlat(dim), dim, self.params['nlist'])

    def _apply_search_params(self) -> None:
        if self.kind == 'hash':
            self._index.nflip = self.params['nflip'] or 0
        elif self.kind == 'ivf':
            self._index.nprobe = self.params['nprobe']

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> np.ndarray:
        """The ids of all items, in the order they were added."""
        return self._ids.copy()

    @property
    def num_classes(self) -> Optional[int]:
        """C, the width of the stored labels; None without labels."""
        return None if self._labels is None else self._labels.shape[1]

    @property
    def nprobe(self) -> int:
        """``'ivf'``: lists scanned per query."""
        return self.params['nprobe']

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self.kind != 'ivf':
            raise ValueError(f"nprobe is for 'ivf' indexes, not {self.kind!r}")
        self.params['nprobe'] = _integer('nprobe', value)
        self._apply_search_params()

    @property
    def nflip(self) -> Optional[int]:
        """``'hash'``: None for exact top-k, else the flips probed by
        FAISS's approximate top-k."""
        return self.params['nflip']

    @nflip.setter
    def nflip(self, value: Optional[int]) -> None:
        if self.kind != 'hash':
            raise ValueError(f"nflip is for 'hash' indexes, not {self.kind!r}")
        self.params['nflip'] = None if value is None else _integer(
            'nflip', value, 0)
        self._apply_search_params()

    @property
    def exact_topk(self) -> bool:
        """Whether :meth:`search` returns the exact top-k (see the kinds)."""
        return self.kind == 'flat' or (
            self.kind == 'hash' and self.params['nflip']
            is None) or (self.kind == 'ivf'
                         and self.params['nprobe'] >= self.params['nlist'])

    @property
    def is_trained(self) -> bool:
        """False for an ``'ivf'`` index before :meth:`train` or the first
        :meth:`add`."""
        return bool(self._index.is_trained)

    def train(self, codes: np.ndarray) -> None:
        """``'ivf'``: cluster a sample of packed codes into the ``nlist``
        lists (needs at least ``nlist`` codes; a sample of 30 to 256 x
        nlist codes of the collection, as FAISS advises); then :meth:`add`
        adds any codes. Only once, on an empty index."""
        check_packed(codes, self.num_bits)
        if self.kind != 'ivf':
            raise ValueError(f"only 'ivf' indexes are trained, not "
                             f'{self.kind!r}')
        if self.is_trained:
            raise ValueError('this index is already trained')
        if len(codes) < self.params['nlist']:
            raise ValueError(f"training an 'ivf' index needs at least nlist="
                             f"{self.params['nlist']} codes, got {len(codes)}")
        self._index.train(codes)

    def empty_copy(self) -> 'HammingIndex':
        """An index of the same kind and parameters without items; an IVF
        copy keeps the training (its lists), so that indexes built from one
        trained index over parts of a collection are searched alike."""
        copy = HammingIndex(self.num_bits, self.kind, **self.params)
        faiss = faiss_module()
        if self.kind == 'ivf' and self.is_trained:
            if len(self):
                raise ValueError('empty_copy of a trained IVF index needs '
                                 'it empty (copy before adding)')
            copy._index = faiss.deserialize_index_binary(
                faiss.serialize_index_binary(self._index))
            copy._apply_search_params()
        copy.image_root = self.image_root
        return copy

    def add(self,
            codes: np.ndarray,
            ids: Optional[Sequence[int]] = None,
            paths: Optional[Sequence[str]] = None,
            labels: Optional[np.ndarray] = None) -> np.ndarray:
        """Add packed codes (see ``pack_codes``) and return their ids.

        Args:
            codes (np.ndarray): (n, ceil(K / 8)) uint8.
            ids (sequence[int], optional): unique ids >= 0 not in the index;
                default: the next free ids after the largest one.
            paths (sequence[str], optional): one per code. An index stores
                paths for all its items or for none.
            labels (np.ndarray, optional): (n, C) multi-hot (bool or 0/1)
                labels, as :class:`CodesFile` keeps them. An index stores
                labels of one width C for all its items or for none.
        """
        check_packed(codes, self.num_bits)
        if ids is None:
            start = int(self._ids.max()) + 1 if len(self._ids) else 0
            ids = np.arange(start, start + len(codes), dtype=np.int64)
        ids = check_ids(ids, len(codes))
        taken = np.isin(ids, self._ids)
        if taken.any():
            raise ValueError(
                f'ids already in the index: {ids[taken][:10].tolist()}')
        if not len(self):
            self._paths = None if paths is None else np.empty(0, object)
        if (paths is None) != (self._paths is None):
            raise ValueError(
                'this index stores paths for all its items' if paths is
                None else 'this index stores no paths; add without them')
        if paths is not None and len(paths) != len(codes):
            raise ValueError(f'{len(paths)} paths for {len(codes)} codes')
        if labels is not None:
            labels = check_labels(labels, len(codes))
        if not len(self):
            self._labels = None if labels is None else np.empty(
                (0, labels.shape[1]), dtype=bool)
        if (labels is None) != (self._labels is None):
            raise ValueError(
                'this index stores labels for all its items' if labels is
                None else 'this index stores no labels; add without them')
        if labels is not None and labels.shape[1] != self._labels.shape[1]:
            raise ValueError(f'labels of {labels.shape[1]} classes for an '
                             f'index of {self._labels.shape[1]}')
        if not self._index.is_trained:
            if len(codes) < self.params['nlist']:
                raise ValueError(
                    f"the first add trains the 'ivf' index and needs at "
                    f"least nlist={self.params['nlist']} codes, got "
                    f'{len(codes)}')
            self.train(codes)
        self._index.add(codes)
        self._ids = np.concatenate([self._ids, ids])
        if paths is not None:
            self._paths = np.concatenate(
                [self._paths, np.array(list(paths), dtype=object)])
        if labels is not None:
            self._labels = np.concatenate([self._labels, labels])
        return ids

    def remove(self, ids: Sequence[int]) -> None:
        """Remove the items with these ids; KeyError if any is unknown."""
        ids = np.unique(np.asarray(ids))
        if ids.size and ids.dtype.kind not in 'iu':
            raise ValueError(f'ids must be integers, got {ids.dtype}')
        unknown = ids[~np.isin(ids, self._ids)]
        if unknown.size:
            raise KeyError(f'ids not in the index: {unknown[:10].tolist()}')
        keep = ~np.isin(self._ids, ids)
        codes = self._stored_codes()[keep]
        self._index.reset()
        if len(codes):
            self._index.add(codes)
        self._ids = self._ids[keep]
        if self._paths is not None:
            self._paths = self._paths[keep]
        if self._labels is not None:
            self._labels = self._labels[keep]

    def _stored_codes(self) -> np.ndarray:
        """All codes, in the order they were added."""
        store = faiss_module().downcast_IndexBinary(self._index.storage) \
            if self.kind == 'hash' else self._index
        return store.reconstruct_n(0, len(self)) if len(self) else np.empty(
            (0, self.code_size), dtype=np.uint8)

    def search(self, queries: np.ndarray, k: int) -> Neighbours:
        """The k nearest items of each query: (Q, k) arrays in Neighbours."""
        check_packed(queries, self.num_bits, 'queries')
        k = _integer('k', k)
        if not len(self):  # an untrained IVF index cannot search
            none = np.full((len(queries), k), -1, dtype=np.int64)
            return self._neighbours(none, none)
        if self.kind == 'hash' and self.params['nflip'] is None:
            positions, distances = self._exact_hash_search(queries, k)
        else:
            distances, positions = self._index.search(queries, k)
        return self._neighbours(positions, distances)

    def _exact_hash_search(self, queries: np.ndarray, k: int):
        """Exact top-k on multi-index hashing: the radius grows through
        m (f + 1) - 1, f = 0, 1, ... (probing f flips per table finds every
        code within it, by the pigeonhole principle) until a query has k
        codes (or all there are) within it; ties by insertion order."""
        tables, bits = self.params['num_tables'], self.params['hash_bits']
        positions = np.full((len(queries), k), -1, dtype=np.int64)
        distances = np.full((len(queries), k), -1, dtype=np.int32)
        wanted = min(k, len(self))
        todo = np.arange(len(queries))
        flips = 0
        try:
            while len(todo) and flips < bits and \
                    tables * (flips + 1) - 1 < self.num_bits:
                radius = tables * (flips + 1) - 1
                self._index.nflip = flips
                limits, found, where = self._index.range_search(
                    queries[todo], radius + 1)
                left = []
                for row, (start, stop) in zip(todo,
                                              zip(limits[:-1], limits[1:])):
                    if stop - start < wanted:
                        left.append(row)
                        continue
                    order = np.lexsort(
                        (where[start:stop], found[start:stop]))[:k]
                    positions[row, :len(order)] = where[start:stop][order]
                    distances[row, :len(order)] = found[start:stop][order]
                todo = np.array(left, dtype=np.int64)
                flips += 1
        finally:
            self._apply_search_params()
        if len(todo):  # far queries: scan the stored codes
            store = faiss_module().downcast_IndexBinary(self._index.storage)
            found, where = store.search(queries[todo], k)
            positions[todo], distances[todo] = where, found
        return positions, distances

    def search_radius(self, queries: np.ndarray,
                      radius: int) -> List[Neighbours]:
        """All items within Hamming distance ``radius`` (inclusive) of each
        query: one Neighbours of 1-d arrays per query."""
        check_packed(queries, self.num_bits, 'queries')
        radius = _integer('radius', radius, 0)
        if not len(self):
            none = np.empty(0, dtype=np.int64)
            return [self._neighbours(none, none) for _ in queries]
        if self.kind == 'hash':
            self._index.nflip = radius // self.params['num_tables']
        try:
            # FAISS's binary range search keeps distances < its radius.
            limits, distances, positions = self._index.range_search(
                queries, radius + 1)
            limits = limits.astype(np.int64)
        finally:
            self._apply_search_params()
        query = np.repeat(np.arange(len(queries)), np.diff(limits))
        order = np.lexsort((positions, distances, query))
        found = self._neighbours(positions[order], distances[order])
        return [
            found.select(slice(start, stop))
            for start, stop in zip(limits[:-1], limits[1:])
        ]

    def _neighbours(self, positions: np.ndarray,
                    distances: np.ndarray) -> Neighbours:
        """Neighbours of FAISS's results (item positions, -1 for none)."""
        found = positions >= 0
        hits = positions[found]
        ids = np.full(positions.shape, -1, dtype=np.int64)
        ids[found] = self._ids[hits]
        hamming = np.full(positions.shape, -1, dtype=np.int32)
        hamming[found] = distances[found]
        paths = labels = None
        if self._paths is not None:
            paths = np.full(positions.shape, None, dtype=object)
            stored = self._paths[hits]
            if self.image_root is not None:
                stored = np.array(
                    [image_path(path, self.image_root) for path in stored],
                    dtype=object)
            paths[found] = stored
        if self._labels is not None:
            labels = np.zeros(
                positions.shape + self._labels.shape[1:], dtype=bool)
            labels[found] = self._labels[hits]
        return Neighbours(ids, hamming, paths, labels)

    def save(self, path: str) -> str:
        """Write the index to ``path`` atomically (an ``.npz`` archive);
        returns its checksum."""
        arrays = dict(
            ids=self._ids,
            faiss=faiss_module().serialize_index_binary(self._index))
        if self._paths is not None:
            arrays['paths'] = strings_to_array(list(self._paths))
        if self._labels is not None:
            arrays['labels'] = self._labels
        meta = dict(num_bits=self.num_bits, kind=self.kind, params=self.params)
        if self.image_root is not None:
            meta['image_root'] = self.image_root
        return save_arrays(path, INDEX_FORMAT, meta, arrays)

    @classmethod
    def load(cls, path: str) -> 'HammingIndex':
        """An index written by :meth:`save`; ValueError naming the file if it
        is truncated, corrupt or inconsistent."""
        meta, arrays = load_arrays(path, INDEX_FORMAT, ('ids', 'faiss'))
        try:
            index = cls(meta['num_bits'], meta['kind'], **meta['params'])
            index.image_root = meta.get('image_root')
            stored = faiss_module().deserialize_index_binary(arrays['faiss'])
            index._ids = check_ids(arrays['ids'], stored.ntotal)
            if type(stored) is not type(index._index) or \
                    stored.d != index._index.d:
                raise ValueError(
                    f'the FAISS index is a {type(stored).__name__} of '
                    f"{stored.d} bits, not the {meta['kind']!r} index of "
                    f"{meta['num_bits']}-bit codes its header names")
            if 'paths' in arrays:
                index._paths = np.array(
                    array_to_strings(arrays['paths'], len(index._ids)),
                    dtype=object)
            if 'labels' in arrays:
                index._labels = check_labels(arrays['labels'], len(index._ids))
        except (KeyError, TypeError, ValueError, RuntimeError, MemoryError,
                OverflowError) as error:
            # FAISS reports sizes it cannot allocate (a crafted or corrupt
            # header) as MemoryError.
            cause = error if isinstance(error, ValueError) \
                else f'{type(error).__name__}: {error}'
            raise ValueError(f'{path}: {cause}') from error
        index._index = stored
        index._apply_search_params()
        return index
