"""Sharded, resumable encoding in mmengine's test loop: a sampler that gives
each rank the images of its unfinished shards, and a metric that writes
each shard as soon as its last image is encoded.

Shard ``s`` (ids ``s * S`` .. ``min((s + 1) * S, n) - 1``, the format of
:mod:`hashnet_mm.search.shards`) belongs to rank ``s % world_size``. Each
rank encodes only its own shards that are not already complete and valid in
the folder (a missing, truncated or corrupt one is encoded again; one of
another encoding is an error), in id order, without DDP's padding: no image
is encoded twice or skipped, and no rank holds more than one shard's codes.
When every rank is done, rank 0 writes the manifest. One process is the
same with ``world_size`` 1; a rerun after a failure (with any number of
processes) encodes only what is missing.
"""
import itertools
from typing import Iterator, List, Optional, Sequence

from mmengine.dist import (all_gather_object, broadcast_object_list,
                           get_dist_info, is_main_process)
from mmengine.logging import print_log
from mmpretrain.registry import DATA_SAMPLERS, METRICS
from torch.utils.data import Sampler

from ..search.shards import (Manifest, ShardEntry, check_shard,
                             check_shard_size, shard_bounds, shard_name,
                             write_shard)
from .dump_codes import DumpHashCodes


def own_shards(num_items: int, shard_size: int) -> Iterator[tuple]:
    """``(index, first_id, stop_id)`` of this rank's shards."""
    rank, world_size = get_dist_info()
    for index, (first, stop) in enumerate(shard_bounds(num_items,
                                                       shard_size)):
        if index % world_size == rank:
            yield index, first, stop


@DATA_SAMPLERS.register_module()
class ShardSampler(Sampler):
    """The dataset indices of this rank's unfinished shards, in order.

    Args:
        dataset: the collection (its length is the number of images).
        folder (str): the shards folder.
        shard_size (int): images per shard.
        plan (dict): the encoding's plan (see :mod:`hashnet_mm.search.shards`);
            a shard in ``folder`` of another plan is an error.
        seed: unused (mmengine passes it to every sampler).
    """

    def __init__(self, dataset, folder: str, shard_size: int, plan: dict,
                 seed: Optional[int] = None):
        self.shard_size = check_shard_size(shard_size)
        if len(dataset) != plan['num_items']:
            raise ValueError(f"the dataset has {len(dataset)} images, the "
                             f"encoding's plan {plan['num_items']}")
        self.pending = []  # (first, stop) ranges, not a list per image
        self.num_skipped = 0
        for index, first, stop in own_shards(len(dataset), shard_size):
            entry, why = check_shard(folder, index, first, stop - first,
                                     plan)
            if entry is not None:
                self.num_skipped += 1
                continue
            if why != 'missing':
                print_log(f'{shard_name(index)}: {why}; encoding it again',
                          logger='current', level=30)
            self.pending.append((first, stop))

    def __iter__(self) -> Iterator[int]:
        return itertools.chain.from_iterable(
            range(first, stop) for first, stop in self.pending)

    def __len__(self) -> int:
        return sum(stop - first for first, stop in self.pending)


@METRICS.register_module()
class DumpHashCodeShards(DumpHashCodes):
    """Write the codes of :class:`ShardSampler`'s images as shards, each as
    soon as it is complete, then (rank 0) the manifest.

    Args:
        folder (str): the shards folder.
        shard_size (int): images per shard.
        num_items (int): images in the collection.
        plan (dict): the encoding's plan, stored in every shard.
        image_root (str, optional): as :class:`DumpHashCodes`.
    """

    def __init__(self,
                 folder: str,
                 shard_size: int,
                 num_items: int,
                 plan: dict,
                 image_root: Optional[str] = None,
                 prefix: Optional[str] = None):
        super().__init__(out_file='', image_root=image_root, prefix=prefix)
        self.folder = folder
        self.shard_size = check_shard_size(shard_size)
        self.num_items = num_items
        self.plan = plan
        self.written: List[ShardEntry] = []

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        super().process(data_batch, data_samples)
        # Samples come in id order, shard after shard: write each shard as
        # soon as its last sample is here.
        while self.results:
            index = self.results[0][0] // self.shard_size
            first = index * self.shard_size
            stop = min(first + self.shard_size, self.num_items)
            done = [r for r in self.results if r[0] < stop]
            if len(done) < stop - first:
                if len(done) < len(self.results):
                    raise RuntimeError(
                        f'{shard_name(index)}: samples of the next shard '
                        'arrived before this one was complete; check the '
                        'sampler')
                return
            self.results = self.results[len(done):]
            self.written.append(write_shard(
                self.folder, index, self._codes_file(done, first), self.plan))

    def evaluate(self, size: int) -> dict:
        """Check this rank's shards, gather the entries and write the
        manifest (rank 0); the counts, on every rank."""
        if size != self.num_items:
            raise ValueError(f'the dataset has {size} images, the plan '
                             f'{self.num_items}')
        if self.results:
            raise RuntimeError(
                f'{len(self.results)} images of an incomplete shard are '
                'left after the last batch; check the sampler')
        written = {entry.index: entry for entry in self.written}
        entries = []
        for index, first, stop in own_shards(self.num_items,
                                             self.shard_size):
            entry = written.get(index)
            if entry is None:
                entry, why = check_shard(self.folder, index, first,
                                         stop - first, self.plan)
                if entry is None:
                    raise RuntimeError(
                        f'{shard_name(index)} of {self.folder} is not '
                        f'complete after encoding: {why}')
            entries.append(entry)
        gathered = all_gather_object((entries, len(self.written)))
        report = [None]
        if is_main_process():
            manifest = Manifest.from_entries(
                self.folder, [e for part, _ in gathered for e in part],
                self.num_items, self.shard_size, self.image_root, self.plan)
            manifest.save()
            report = [dict(num_items=manifest.num_items,
                           num_bits=manifest.num_bits,
                           num_shards=len(manifest.shards),
                           num_shards_encoded=sum(n for _, n in gathered))]
            if manifest.num_classes is not None:
                report[0]['num_classes'] = manifest.num_classes
        broadcast_object_list(report)
        self.written = []
        return {f'{self.prefix}/{key}': value
                for key, value in report[0].items()}
