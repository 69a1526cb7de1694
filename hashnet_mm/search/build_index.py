"""Build a Hamming index from a codes file or a shards folder
(``tools/encode.py``'s ``--out`` or ``--shards``).

    python tools/build_index.py codes.npz --out gallery.index [--kind hash]
    python tools/build_index.py SHARDS_DIR --out gallery.index --kind ivf
    python tools/build_index.py SHARDS_DIR --out INDEX_DIR --per-shard
    python -m hashnet_mm.search.build_index ...   (the same)

The index keeps the ids, paths (and the image root they are relative to)
and labels (when there are any), so ``tools/search.py`` can show and mark
each neighbour. From shards, codes are read one shard at a time: the memory
beyond the index itself is one shard's. ``--per-shard`` writes one index per
shard and ``index.json`` (:mod:`hashnet_mm.search.sharded_index`), each
built with one shard in memory; ``tools/search.py`` merges their results
exactly. An ``ivf`` index is trained first, on ``--train-size`` codes drawn
evenly (seeded) from the whole collection, then the codes are added; per
shard, every part shares that training.
"""
import argparse
import os.path as osp
from typing import Iterator, Union

import numpy as np

from .codes_file import CodesFile
from .hamming_index import KINDS, HammingIndex
from .sharded_index import index_part_name, write_index_manifest
from .shards import Manifest, is_shards

INDEX_PARAMS = ('hash_bits', 'num_tables', 'nflip', 'nlist', 'nprobe')

KIND_HELP = ('flat: exact top-k and radius search, scanning every code; '
             'hash: multi-index hashing, exact radius search and exact '
             'top-k (the radius grows until k are found; --nflip N makes '
             'top-k approximate and faster); ivf: approximate search of '
             'large collections (exact distances when --nprobe equals '
             '--nlist)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Build a Hamming index from a codes file or shards')
    parser.add_argument(
        'codes',
        help='codes file (.npz) or shards folder (or its '
        'manifest.json) of tools/encode.py')
    parser.add_argument(
        '--out',
        required=True,
        help='index file to write; with --per-shard, a folder')
    parser.add_argument(
        '--kind', choices=KINDS, default='flat', help=KIND_HELP)
    parser.add_argument(
        '--per-shard',
        action='store_true',
        help='one index per shard in the --out folder, with index.json')
    parser.add_argument(
        '--train-size',
        type=int,
        default=262144,
        help='ivf: codes drawn from the collection to train the lists on '
        '(default 262144, all of them when fewer)')
    parser.add_argument(
        '--seed', type=int, default=0, help='ivf: seed of the training sample')
    for name in INDEX_PARAMS:
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=int, help='see HammingIndex')
    args = parser.parse_args(argv)
    if args.per_shard and not is_shards(args.codes):
        parser.error('--per-shard needs a shards folder, not a codes file')
    return args


class Collection:
    """A codes file or a manifest, read part by part."""

    def __init__(self, path: str):
        self.path = path
        if is_shards(path):
            self.manifest = Manifest.load(path)
            self.num_bits = self.manifest.num_bits
            self.num_items = self.manifest.num_items
            self.image_root = self.manifest.image_root
            self.num_classes = self.manifest.num_classes
            self.codes_file = None
        else:
            self.manifest = None
            self.codes_file = CodesFile.load(path)
            self.num_bits = self.codes_file.num_bits
            self.num_items = len(self.codes_file.ids)
            self.image_root = self.codes_file.image_root
            self.num_classes = None if self.codes_file.labels is None \
                else self.codes_file.labels.shape[1]

    def __iter__(self) -> Iterator[CodesFile]:
        if self.manifest is None:
            yield self.codes_file
        else:
            yield from self.manifest

    def sample(self, size: int, seed: int) -> np.ndarray:
        """``size`` codes drawn without replacement from the whole
        collection (all when it has fewer), a shard at a time."""
        rng = np.random.default_rng(seed)
        if size >= self.num_items:
            return np.concatenate([part.codes for part in self])
        chosen = np.sort(rng.choice(self.num_items, size, replace=False))
        picked, start = [], 0
        for part in self:
            stop = start + len(part.ids)
            mine = chosen[(chosen >= start) & (chosen < stop)] - start
            picked.append(part.codes[mine])
            start = stop
        return np.concatenate(picked)


def new_index(collection: Collection, args) -> HammingIndex:
    params = {
        name: getattr(args, name)
        for name in INDEX_PARAMS if getattr(args, name) is not None
    }
    index = HammingIndex(collection.num_bits, args.kind, **params)
    index.image_root = collection.image_root
    if args.kind == 'ivf':
        index.train(collection.sample(args.train_size, args.seed))
    return index


def build(collection: Collection, args) -> Union[HammingIndex, int]:
    """The index (one file), or the number of parts written (per shard)."""
    index = new_index(collection, args)
    if not args.per_shard:
        for part in collection:
            index.add(part.codes, part.ids, part.paths, part.labels)
        return index
    entries = []
    for position, part in enumerate(collection):
        piece = index.empty_copy()
        piece.add(part.codes, part.ids, part.paths, part.labels)
        name = index_part_name(position)
        sha256 = piece.save(osp.join(args.out, name))
        entries.append(
            dict(
                file=name,
                first_id=int(part.ids[0]),
                count=len(part.ids),
                sha256=sha256))
    write_index_manifest(args.out, index, entries, collection.image_root)
    return len(entries)


def main(argv=None):
    args = parse_args(argv)
    collection = Collection(args.codes)
    built = build(collection, args)
    labels = '' if collection.num_classes is None else \
        f', with labels of {collection.num_classes} classes'
    if args.per_shard:
        print(f'{args.out}: {args.kind} index in {built} parts of '
              f'{collection.num_items} {collection.num_bits}-bit '
              f'codes{labels}')
    else:
        built.save(args.out)
        print(f'{args.out}: {args.kind} index of {len(built)} '
              f'{collection.num_bits}-bit codes{labels}')


if __name__ == '__main__':
    main()
