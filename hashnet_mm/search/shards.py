"""A collection's codes as shards: a folder of codes files of a fixed number
of images each, and a manifest listing them.

Layout of a shards folder (``tools/encode.py --shards DIR --shard-size S``)::

    DIR/shard-000000.npz   ids 0 .. S-1        (a codes file, CodesFile)
    DIR/shard-000001.npz   ids S .. 2S-1
    ...
    DIR/manifest.json      written last, when every shard is complete

Shard ``s`` holds the images of ids ``s * S`` to ``min((s + 1) * S, n) - 1``
(ids are positions in the collection's order), in id order: its packed
codes, ids, paths (relative to the collection's image root) and labels.
Each shard is a codes file (``hashnet_mm.codes/1``: any tool reading a
codes file reads a shard) written atomically, with a SHA-256 of its content
in its header and a ``shard`` entry: its number, first id, count and the
*plan* of the encoding (a dict naming the collection, the image root, the
shard size and the model), so that a shard of another encoding is never
taken for one of this one.

``manifest.json`` (format ``hashnet_mm.shards/1``) holds ``num_items``,
``num_bits``, ``shard_size``, ``num_classes`` (None without labels),
``has_paths``, ``image_root``, the ``plan`` and per shard its ``file``,
``first_id``, ``count`` and ``sha256``. It is written by one process after
all shards exist; reading a shard through it checks the shard against it.
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass
from typing import Iterator, List, Optional, Tuple

import numpy as np

from .codes_file import CodesFile
from .storage import atomic_write

SHARDS_FORMAT = 'hashnet_mm.shards/1'
MANIFEST = 'manifest.json'


def shard_name(index: int) -> str:
    """The file name of shard ``index``: ``shard-000042.npz``."""
    return f'shard-{index:06d}.npz'


def check_shard_size(shard_size) -> int:
    if isinstance(shard_size,
                  bool) or not isinstance(shard_size,
                                          (int, np.integer)) or shard_size < 1:
        raise ValueError(
            f'the shard size must be an integer >= 1, got {shard_size!r}')
    return int(shard_size)


def shard_bounds(num_items: int, shard_size: int) -> List[Tuple[int, int]]:
    """``(first_id, stop_id)`` of each shard of a collection of
    ``num_items`` images: the last one may be short; none when empty."""
    shard_size = check_shard_size(shard_size)
    return [(first, min(first + shard_size, num_items))
            for first in range(0, num_items, shard_size)]


class ShardPlanError(ValueError):
    """A shard in the folder belongs to another encoding (another
    collection, image root, shard size or model)."""


@dataclass
class ShardEntry:
    """What the manifest says of one shard."""
    index: int
    file: str
    first_id: int
    count: int
    sha256: str
    num_bits: int
    num_classes: Optional[int]
    has_paths: bool


def write_shard(folder: str, index: int, codes: CodesFile,
                plan: dict) -> ShardEntry:
    """Write shard ``index`` (atomically) and return its entry."""
    first = int(codes.ids[0]) if len(codes.ids) else 0
    if not np.array_equal(codes.ids, np.arange(first, first + len(codes.ids))):
        raise ValueError(f'shard {index}: its ids must be consecutive')
    name = shard_name(index)
    sha256 = codes.save(
        osp.join(folder, name),
        shard=dict(
            index=index, first_id=first, count=len(codes.ids), plan=plan))
    return ShardEntry(index, name, first, len(codes.ids), sha256,
                      codes.num_bits,
                      None if codes.labels is None else codes.labels.shape[1],
                      codes.paths is not None)


def read_shard(folder: str,
               index: int,
               first_id: int,
               count: int,
               plan: Optional[dict] = None,
               sha256: Optional[str] = None) -> Tuple[CodesFile, ShardEntry]:
    """Shard ``index`` of ``folder``, checked: ids ``first_id`` ..
    ``first_id + count - 1``, of this ``plan`` (when given) and with this
    checksum (when given).

    Raises:
        FileNotFoundError: the shard does not exist.
        ValueError: it is truncated, corrupt or not the expected shard.
        ShardPlanError: it is a shard of another encoding.
    """
    path = osp.join(folder, shard_name(index))
    codes, meta = CodesFile.load_with_meta(path)
    shard = meta.get('shard')
    if not isinstance(shard, dict):
        raise ValueError(f'{path}: a codes file, but not a shard')
    if plan is not None and shard.get('plan') != plan:
        raise ShardPlanError(
            f'{path} belongs to another encoding: ' +
            ', '.join(f'{key} {shard.get("plan", {}).get(key)!r} here, '
                      f'{value!r} now' for key, value in plan.items()
                      if (shard.get('plan') or {}).get(key) != value) +
            '; encode into another --shards folder, or empty this one')
    expected = dict(index=index, first_id=first_id, count=count)
    found = {key: shard.get(key) for key in expected}
    if found != expected or not np.array_equal(
            codes.ids, np.arange(first_id, first_id + count)):
        raise ValueError(f'{path}: expected shard {expected}, found {found}')
    if sha256 is not None and meta['sha256'] != sha256:
        raise ValueError(f'{path}: its checksum is not the one in the '
                         'manifest (the shard was rewritten after it)')
    return codes, ShardEntry(
        index, shard_name(index), first_id, count, meta['sha256'],
        codes.num_bits,
        None if codes.labels is None else codes.labels.shape[1], codes.paths
        is not None)


def check_shard(folder: str, index: int, first_id: int, count: int,
                plan: dict) -> Tuple[Optional[ShardEntry], str]:
    """``(entry, '')`` for a complete, valid shard of this plan; ``(None,
    why)`` for one to encode (missing, truncated, corrupt). A shard of
    another plan raises :class:`ShardPlanError`."""
    try:
        return read_shard(folder, index, first_id, count, plan)[1], ''
    except FileNotFoundError:
        return None, 'missing'
    except ShardPlanError:
        raise
    except ValueError as error:
        return None, str(error)


@dataclass
class Manifest:
    """The manifest of a complete shards folder (see the module's
    docstring); ``folder`` is where it was read from."""
    num_items: int
    num_bits: int
    shard_size: int
    num_classes: Optional[int]
    has_paths: bool
    image_root: Optional[str]
    plan: dict
    shards: List[ShardEntry]
    folder: str = ''

    @classmethod
    def from_entries(cls, folder: str, entries: List[ShardEntry],
                     num_items: int, shard_size: int,
                     image_root: Optional[str], plan: dict) -> 'Manifest':
        """The manifest of ``entries``, checked to be every shard of the
        collection, once, with codes and labels of one kind."""
        entries = sorted(entries, key=lambda e: e.index)
        bounds = shard_bounds(num_items, shard_size)
        found = [(e.first_id, e.first_id + e.count) for e in entries]
        if [e.index for e in entries] != list(range(len(bounds))) or \
                found != bounds:
            raise RuntimeError(
                f'{folder}: the shards written do not cover the collection '
                f'once: expected {len(bounds)} shards of {shard_size}, got '
                f'{[e.index for e in entries][:20]}')
        if not entries:
            raise ValueError(f'{folder}: the collection is empty')
        for what in ('num_bits', 'num_classes', 'has_paths'):
            values = {getattr(e, what) for e in entries}
            if len(values) > 1:
                raise ValueError(f'{folder}: shards of mixed {what}: '
                                 f'{sorted(values, key=str)}')
        first = entries[0]
        return cls(num_items, first.num_bits, shard_size, first.num_classes,
                   first.has_paths, image_root, plan, entries, folder)

    def save(self) -> None:
        """Write ``folder/manifest.json`` atomically."""
        record = asdict(self)
        record.pop('folder')
        record = dict(format=SHARDS_FORMAT, **record)
        with atomic_write(osp.join(self.folder, MANIFEST)) as f:
            f.write(json.dumps(record, indent=1).encode())

    @classmethod
    def load(cls, path: str) -> 'Manifest':
        """The manifest of a shards folder (or of its ``manifest.json``).

        Raises:
            FileNotFoundError: no such folder, or no manifest in it (the
                encoding has not finished: rerun it to complete it).
            ValueError: not a manifest of this format.
        """
        folder = path if osp.isdir(path) else osp.dirname(path)
        file = osp.join(folder, MANIFEST) if osp.isdir(path) else path
        if not osp.isfile(file):
            shards = osp.isdir(folder) and any(
                name.startswith('shard-') for name in os.listdir(folder))
            raise FileNotFoundError(f'{file}: no manifest' + (
                ': the encoding into this folder has not finished '
                '(rerun tools/encode.py with the same arguments; it '
                'encodes only the missing shards)' if shards else ''))
        try:
            with open(file) as f:
                record = json.load(f)
            if record.pop('format', None) != SHARDS_FORMAT:
                raise ValueError(f'not a {SHARDS_FORMAT} manifest')
            record['shards'] = [ShardEntry(**e) for e in record['shards']]
            manifest = cls(**record, folder=folder)
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f'{file}: {error}') from error
        return manifest

    def read_shard(self, position: int) -> CodesFile:
        """The codes of the ``position``-th shard, checked against the
        manifest (checksum, ids, width)."""
        entry = self.shards[position]
        codes, _ = read_shard(self.folder, entry.index, entry.first_id,
                              entry.count, self.plan, entry.sha256)
        return codes

    def __iter__(self) -> Iterator[CodesFile]:
        """The shards' codes, one shard in memory at a time, in id order."""
        for position in range(len(self.shards)):
            yield self.read_shard(position)

    def read_all(self) -> CodesFile:
        """All codes as one :class:`CodesFile` (for collections that fit in
        memory)."""
        parts = list(self)
        return CodesFile(
            np.concatenate([p.codes for p in parts]), self.num_bits,
            np.concatenate([p.ids for p in parts]),
            [path for p in parts
             for path in p.paths] if self.has_paths else None,
            np.concatenate([p.labels for p in parts])
            if self.num_classes is not None else None, self.image_root)


def is_shards(path: str) -> bool:
    """Whether ``path`` names a shards folder or its manifest (rather than
    a codes file)."""
    return osp.isdir(path) or osp.basename(path) == MANIFEST
