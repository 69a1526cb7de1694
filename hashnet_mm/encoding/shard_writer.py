"""Sharded, resumable encoding in mmengine's test loop: a sampler that gives
each rank the images of its unfinished shards, and a metric that writes
each shard as soon as its last image is encoded.

Shard ``s`` holds ids ``s * S`` .. ``min((s + 1) * S, n) - 1`` (the format
of :mod:`hashnet_mm.search.shards`). At the start the ranks survey the
folder together (:func:`survey_shards`: the shard files present are checked
round-robin, one rank each), and the shards still to encode (missing,
truncated or corrupt) are dealt round-robin: the i-th to rank
``i % world_size``, so that a resumed run keeps every rank busy (no rank
waits at the final gather for more than about one shard's time). A shard of
another encoding is an error on every rank. Each rank encodes its shards in
id order, without DDP's padding: no image is encoded twice or skipped, and
no rank holds more than one shard's codes. When every rank is done, the
folder is surveyed again (the shards written by this run are known) and
rank 0 writes the manifest. One process is the same with ``world_size`` 1;
a rerun after a failure, with any number of processes, encodes only what is
missing.
"""
import itertools
import os.path as osp
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence

from mmengine.dist import (all_gather_object, broadcast_object_list,
                           get_dist_info, is_main_process)
from mmengine.logging import print_log
from mmpretrain.registry import DATA_SAMPLERS, METRICS
from torch.utils.data import Sampler

from ..search.shards import (Manifest, ShardEntry, ShardPlanError, check_shard,
                             check_shard_size, shard_bounds, shard_name,
                             write_shard)
from .dump_codes import DumpHashCodes


class Survey(NamedTuple):
    """The state of a shards folder, the same on every rank."""
    valid: Dict[int, ShardEntry]  # complete shards of this plan
    pending: List[int]  # shards to encode, in order
    bounds: List[tuple]  # (first_id, stop_id) of every shard


def survey_shards(folder: str,
                  num_items: int,
                  shard_size: int,
                  plan: dict,
                  known: Optional[Dict[int, ShardEntry]] = None) -> Survey:
    """Which shards of ``folder`` are complete and valid, and which are to
    encode. Every rank calls it (a collective): the files present are
    checked round-robin and the findings gathered. ``known`` entries (the
    shards this run wrote) are not read again. A problem is logged by the
    rank that found it; a shard of another plan raises
    :class:`ShardPlanError` on every rank."""
    known = known or {}
    rank, world_size = get_dist_info()
    bounds = shard_bounds(num_items, shard_size)
    present = [
        index for index in range(len(bounds)) if index not in known
        and osp.isfile(osp.join(folder, shard_name(index)))
    ]
    found, errors = {}, []
    for index in present[rank::world_size]:
        first, stop = bounds[index]
        try:
            entry, why = check_shard(folder, index, first, stop - first, plan)
        except ShardPlanError as error:
            errors.append(str(error))
            continue
        if entry is None:
            print_log(
                f'{osp.join(folder, shard_name(index))}: {why}; '
                'encoding it again',
                logger='current',
                level=30)
        else:
            found[index] = entry
    gathered = all_gather_object((found, errors))
    errors = [error for _, part in gathered for error in part]
    if errors:
        raise ShardPlanError(errors[0] +
                             (f' ({len(errors) - 1} more such shards)'
                              if len(errors) > 1 else ''))
    valid = dict(known)
    for part, _ in gathered:
        valid.update(part)
    pending = [index for index in range(len(bounds)) if index not in valid]
    return Survey(valid, pending, bounds)


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

    def __init__(self,
                 dataset,
                 folder: str,
                 shard_size: int,
                 plan: dict,
                 seed: Optional[int] = None):
        self.shard_size = check_shard_size(shard_size)
        if len(dataset) != plan['num_items']:
            raise ValueError(f"the dataset has {len(dataset)} images, the "
                             f"encoding's plan {plan['num_items']}")
        survey = survey_shards(folder, len(dataset), shard_size, plan)
        rank, world_size = get_dist_info()
        # (first, stop) ranges, not a list of every image
        self.pending = [
            survey.bounds[index] for index in survey.pending[rank::world_size]
        ]

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
        # The results held before this batch are of one incomplete shard
        # (the loop below leaves no other): only the new ones are scanned,
        # so a shard costs its size, not its size squared over the batch.
        held = len(self.results)
        super().process(data_batch, data_samples)
        # Samples come in id order, shard after shard: write each shard as
        # soon as its last sample is here.
        while self.results:
            index = self.results[0][0] // self.shard_size
            first = index * self.shard_size
            stop = min(first + self.shard_size, self.num_items)
            done = self.results[:held] + [
                r for r in self.results[held:] if r[0] < stop
            ]
            held = 0
            if len(done) < stop - first:
                if len(done) < len(self.results):
                    raise RuntimeError(
                        f'{shard_name(index)}: samples of the next shard '
                        'arrived before this one was complete; check the '
                        'sampler')
                return
            self.results = self.results[len(done):]
            self.written.append(
                write_shard(self.folder, index, self._codes_file(done, first),
                            self.plan))

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
        written = {
            entry.index: entry
            for part in all_gather_object(self.written)
            for entry in part
        }
        survey = survey_shards(
            self.folder,
            self.num_items,
            self.shard_size,
            self.plan,
            known=written)
        if survey.pending:
            raise RuntimeError(
                f'{self.folder}: shards {survey.pending[:10]} are not '
                'complete after encoding (see the log)')
        report = [None]
        if is_main_process():
            manifest = Manifest.from_entries(self.folder,
                                             list(survey.valid.values()),
                                             self.num_items, self.shard_size,
                                             self.image_root, self.plan)
            manifest.save()
            report = [
                dict(
                    num_items=manifest.num_items,
                    num_bits=manifest.num_bits,
                    num_shards=len(manifest.shards),
                    num_shards_encoded=len(written))
            ]
            if manifest.num_classes is not None:
                report[0]['num_classes'] = manifest.num_classes
        broadcast_object_list(report)
        self.written = []
        return {
            f'{self.prefix}/{key}': value
            for key, value in report[0].items()
        }
