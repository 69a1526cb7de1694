"""mmengine metric that writes a test loop's binary codes to a codes file."""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from .codes_file import CodesFile
from .packing import pack_codes


@METRICS.register_module()
class DumpHashCodes(BaseMetric):
    """Collect every sample's ``hash_code`` and save them as a
    :class:`CodesFile` (as mmengine's ``DumpResults`` dumps predictions).

    Codes are packed on each rank, gathered by mmengine and written once, on
    the main process, in ``sample_idx`` order, atomically: the file appears
    complete or not at all. The ids are the samples' ``sample_idx`` (their
    dataset order) and the paths their ``img_path``.

    Args:
        out_file (str): the ``.npz`` codes file to write.
    """

    default_prefix = 'encode'

    def __init__(self,
                 out_file: str,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.out_file = out_file

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        if any('hash_code' not in sample for sample in data_samples):
            raise KeyError("DumpHashCodes needs predictions with 'hash_code' "
                           '(HashHead)')
        codes = torch.stack([sample['hash_code'] for sample in data_samples])
        for sample, code in zip(data_samples, pack_codes(codes)):
            self.results.append((sample['sample_idx'], codes.shape[1], code,
                                 sample.get('img_path')))

    def compute_metrics(self, results: List[tuple]) -> dict:
        results = sorted(results, key=lambda r: r[0])
        indices = [r[0] for r in results]
        if indices != list(range(len(results))):
            raise RuntimeError('DumpHashCodes did not get every sample '
                               'exactly once; check the sampler')
        widths = {r[1] for r in results}
        if len(widths) > 1:
            raise ValueError(f'hash codes of mixed widths {sorted(widths)}')
        paths = [r[3] for r in results]
        codes = CodesFile(
            np.stack([r[2] for r in results]), widths.pop(),
            np.array(indices, dtype=np.int64),
            None if None in paths else paths)
        codes.save(self.out_file)
        return dict(num_items=len(results), num_bits=codes.num_bits)
