"""Several Hamming indexes over parts of one collection, searched as one.

``tools/build_index.py SHARDS --per-shard --out DIR`` writes one
:class:`HammingIndex` per shard of an encoding and ``DIR/index.json``
(format ``hashnet_mm.index_shards/1``: ``num_bits``, ``kind``, ``params``,
``image_root``, ``num_items`` and per part its ``file``, ``first_id``,
``count`` and ``sha256``). Hamming distances are comparable across parts,
so the top-k of the union is a merge of each part's top-k
(:func:`merge_topk`): exact whenever each part's is. The tie rule is
distance, then id (the parts' own rule too: their items are added in id
order). A search service may load only some parts (``parts=``) in each
process and merge the processes' results with :func:`merge_topk`.
"""
import json
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

from .hamming_index import HammingIndex, Neighbours, _integer
from .storage import atomic_write

INDEX_SHARDS_FORMAT = 'hashnet_mm.index_shards/1'
INDEX_MANIFEST = 'index.json'


def index_part_name(index: int) -> str:
    """The file of part ``index`` of a sharded index: ``index-000042.npz``."""
    return f'index-{index:06d}.npz'


def _concat(parts: Sequence[Optional[np.ndarray]], axis: int):
    return None if parts[0] is None else np.concatenate(parts, axis=axis)


def merge_topk(results: Sequence[Neighbours], k: int) -> Neighbours:
    """The k nearest of several (Q, k_i) results of the same queries over
    disjoint items: by distance, then id; (Q, k), -1 where there are fewer.
    Exact when each part's results are its exact top-k (under the same tie
    rule)."""
    k = _integer('k', k)
    if not results:
        raise ValueError('merge_topk needs at least one result')
    ids = np.concatenate([r.ids for r in results], axis=1)
    distances = np.concatenate([r.distances for r in results], axis=1)
    # Empty slots (-1) sort last.
    key = np.where(ids >= 0, distances.astype(np.int64),
                   np.iinfo(np.int64).max)
    order = np.lexsort((ids, key), axis=1)[:, :k]
    merged = Neighbours(ids, distances, _concat([r.paths for r in results], 1),
                        _concat([r.labels for r in results], 1))
    rows = np.arange(len(ids))[:, None]
    picked = merged.select((rows, order))
    if picked.ids.shape[1] < k:  # fewer slots than k: pad with none
        pad = k - picked.ids.shape[1]
        picked = Neighbours(
            np.pad(picked.ids, ((0, 0), (0, pad)), constant_values=-1),
            np.pad(picked.distances, ((0, 0), (0, pad)), constant_values=-1),
            None if picked.paths is None else np.pad(
                picked.paths, ((0, 0), (0, pad)), constant_values=None),
            None if picked.labels is None else np.pad(picked.labels,
                                                      ((0, 0), (0, pad),
                                                       (0, 0))))
    return picked


def merge_radius(results: Sequence[List[Neighbours]]) -> List[Neighbours]:
    """Per query, the union of several parts' radius results, by distance
    then id."""
    merged = []
    for per_query in zip(*results):
        ids = np.concatenate([r.ids for r in per_query])
        distances = np.concatenate([r.distances for r in per_query])
        union = Neighbours(ids, distances,
                           _concat([r.paths for r in per_query], 0),
                           _concat([r.labels for r in per_query], 0))
        merged.append(union.select(np.lexsort((ids, distances))))
    return merged


class ShardedIndex:
    """Parts of a collection, each a :class:`HammingIndex` of the same kind,
    code length and stored fields, searched as one index (the same
    ``search`` / ``search_radius`` / ``ids`` / ``num_classes`` API).

    Args:
        parts (sequence[HammingIndex]): indexes over disjoint ids.
        image_root (str, optional): where the images are now (see
            :attr:`HammingIndex.image_root`), for every part; default: the
            parts' own.
    """

    def __init__(self,
                 parts: Sequence[HammingIndex],
                 image_root: Optional[str] = None):
        if not parts:
            raise ValueError('a sharded index needs at least one part')
        first = parts[0]
        for part in parts[1:]:
            if (part.num_bits, part.kind,
                    part.num_classes) != (first.num_bits, first.kind,
                                          first.num_classes):
                raise ValueError(
                    'the parts of a sharded index must be of one kind, code '
                    f'length and label width: {first.kind} '
                    f'{first.num_bits}-bit ({first.num_classes} classes) '
                    f'and {part.kind} {part.num_bits}-bit '
                    f'({part.num_classes} classes)')
        self.parts = list(parts)
        self.num_bits, self.kind = first.num_bits, first.kind
        if image_root is not None:
            self.image_root = image_root

    @property
    def image_root(self) -> Optional[str]:
        """The folder the parts' paths are relative to (see
        :attr:`HammingIndex.image_root`); setting it sets every part's."""
        return self.parts[0].image_root

    @image_root.setter
    def image_root(self, value: Optional[str]) -> None:
        for part in self.parts:
            part.image_root = value

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    @property
    def ids(self) -> np.ndarray:
        return np.concatenate([part.ids for part in self.parts])

    @property
    def num_classes(self) -> Optional[int]:
        return self.parts[0].num_classes

    @property
    def params(self) -> dict:
        return self.parts[0].params

    @property
    def exact_topk(self) -> bool:
        return all(part.exact_topk for part in self.parts)

    @property
    def nprobe(self) -> int:
        return self.parts[0].nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        for part in self.parts:
            part.nprobe = value

    @property
    def nflip(self) -> Optional[int]:
        return self.parts[0].nflip

    @nflip.setter
    def nflip(self, value: Optional[int]) -> None:
        for part in self.parts:
            part.nflip = value

    def search(self, queries: np.ndarray, k: int) -> Neighbours:
        """The k nearest items of each query over all parts (see
        :func:`merge_topk`)."""
        return merge_topk([part.search(queries, k) for part in self.parts], k)

    def search_radius(self, queries: np.ndarray,
                      radius: int) -> List[Neighbours]:
        """All items within ``radius`` over all parts, by distance then
        id."""
        return merge_radius(
            [part.search_radius(queries, radius) for part in self.parts])

    @classmethod
    def load(cls,
             folder: str,
             parts: Optional[Sequence[int]] = None) -> 'ShardedIndex':
        """The index of ``folder`` (``index.json`` and its part files), or
        only the ``parts`` listed (positions in ``index.json``)."""
        file = osp.join(folder, INDEX_MANIFEST)
        try:
            with open(file) as f:
                record = json.load(f)
            if record.get('format') != INDEX_SHARDS_FORMAT:
                raise ValueError(f'not a {INDEX_SHARDS_FORMAT} index')
            entries = record['parts']
        except FileNotFoundError:
            raise FileNotFoundError(f'{file}: no sharded index manifest')
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f'{file}: {error}') from error
        chosen = range(len(entries)) if parts is None else parts
        loaded = []
        for position in chosen:
            entry = entries[position]
            path = osp.join(folder, entry['file'])
            part = HammingIndex.load(path)
            if len(part) != entry['count'] or (len(part) and int(
                    part.ids.min()) != entry['first_id']):
                raise ValueError(
                    f'{path}: holds {len(part)} items, {file} says '
                    f"{entry['count']} from id {entry['first_id']}")
            loaded.append(part)
        return cls(loaded)

    def save(self, folder: str) -> None:
        """Each part to ``folder/index-NNNNNN.npz``, then ``index.json``."""
        entries = []
        for position, part in enumerate(self.parts):
            name = index_part_name(position)
            sha256 = part.save(osp.join(folder, name))
            entries.append(
                dict(
                    file=name,
                    count=len(part),
                    sha256=sha256,
                    first_id=int(part.ids.min()) if len(part) else 0))
        write_index_manifest(folder, self.parts[0], entries, self.image_root)


def write_index_manifest(folder: str, part: HammingIndex, entries: List[dict],
                         image_root: Optional[str]) -> None:
    """``folder/index.json`` of parts like ``part``, atomically."""
    record = dict(
        format=INDEX_SHARDS_FORMAT,
        num_bits=part.num_bits,
        kind=part.kind,
        params=part.params,
        image_root=image_root,
        num_items=sum(e['count'] for e in entries),
        parts=entries)
    with atomic_write(osp.join(folder, INDEX_MANIFEST)) as f:
        f.write(json.dumps(record, indent=1).encode())


def load_index(path: str):
    """A :class:`ShardedIndex` for a folder (``index.json``), else a
    :class:`HammingIndex` file."""
    if osp.isdir(path):
        return ShardedIndex.load(path)
    return HammingIndex.load(path)
