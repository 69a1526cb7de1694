"""Encoding a collection in mmengine's test loop (``tools/encode.py``): the
loop, the metric that writes one codes file, and the sharded, resumable
form (a sampler and a metric). Registered in mmpretrain's registries; the
files they write are read by :mod:`hashnet_mm.search`, which needs none of
this.
"""
from .dump_codes import DumpHashCodes
from .encode_loop import EncodeLoop
from .shard_writer import DumpHashCodeShards, ShardSampler

__all__ = ['DumpHashCodes', 'DumpHashCodeShards', 'EncodeLoop', 'ShardSampler']
