"""CNNH stage 2: a hash head trained towards per-image target codes."""
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...codes import check_codes
from .hash_head import HashHead


def check_target_codes(path: str, codes: np.ndarray, img_paths: Sequence[str],
                       problem: str) -> None:
    """Raise ``ValueError('{path}: {problem} ...')`` unless ``codes`` is an
    (n, K) matrix of -1 and +1 for the n ``img_paths``."""
    try:
        check_codes(codes, 'target codes')
        if len(codes) != len(img_paths):
            raise ValueError(f'{len(codes)} target codes for '
                             f'{len(img_paths)} images')
    except ValueError as error:
        raise ValueError(f'{path}: {problem} (codes {codes.shape}, '
                         f'{len(img_paths)} paths): {error}') from error


def save_target_codes(path: str, codes: np.ndarray,
                      img_paths: Sequence[str]) -> str:
    """Write CNNH target codes: ``codes`` (n, K) in {-1, +1} for the images
    ``img_paths`` (in training-list order), stored as absolute paths."""
    codes = np.asarray(codes)
    check_target_codes(path, codes, img_paths,
                       'need (n, K) codes in {-1, +1} for n images')
    np.savez(
        path,
        codes=codes.astype(np.int8),
        img_paths=np.asarray([osp.abspath(p) for p in img_paths], dtype=str))
    return path


def load_target_codes(path: str) -> Tuple[np.ndarray, List[str]]:
    """``(codes (n, K) int8, img_paths)`` from :func:`save_target_codes`."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'CNNH target codes {path} not found; write them with '
            '`python tools/cnnh_targets.py CONFIG`')
    with np.load(path) as data:
        codes, img_paths = data['codes'], data['img_paths'].tolist()
    check_target_codes(path, codes, img_paths, 'not a target-code file')
    return codes, img_paths


@MODELS.register_module()
class TargetCodeHashHead(HashHead):
    """Hash layer fitted to precomputed codes (CNNH stage 2, Xia et al. 2014).

    Stage 1 (``tools/cnnh_targets.py``) learns a code for every training
    image from the similarity matrix; this head trains tanh(z) towards it
    (:class:`CodeRegressionLoss`). Training samples are matched to their
    target row by ``sample_idx`` and checked by absolute image path, so a
    target file written for another training list (or data root) is an
    error, never a silent mismatch.
    The file is read at the first training step (testing needs none).

    Args:
        num_bits (int): K; must match the target file.
        in_channels (int): width of the input feature.
        targets_file (str): the ``.npz`` of target codes; ``{num_bits}`` in
            it is replaced by K (one template serves every code length).
        loss (dict | nn.Module): defaults to :class:`CodeRegressionLoss`.
        **kwargs: as :class:`HashHead`.
    """

    def __init__(self,
                 num_bits: int,
                 in_channels: int,
                 targets_file: str,
                 loss: dict = dict(type='CodeRegressionLoss'),
                 **kwargs):
        super().__init__(num_bits, in_channels, loss=loss, **kwargs)
        self.targets_file = targets_file.format(num_bits=num_bits)
        self._targets = None

    def target_codes(self) -> Tuple[torch.Tensor, List[str]]:
        """The (n, K) target codes and their image paths, read once."""
        if self._targets is None:
            codes, img_paths = load_target_codes(self.targets_file)
            if codes.shape[1] != self.num_bits:
                raise ValueError(
                    f'{self.targets_file}: {codes.shape[1]}-bit targets for '
                    f'a {self.num_bits}-bit head')
            self._targets = torch.from_numpy(codes), img_paths
        return self._targets

    def loss_targets(self, data_samples: List[DataSample]) -> torch.Tensor:
        """(N, K) target codes of the batch's images."""
        codes, img_paths = self.target_codes()
        rows = []
        for sample in data_samples:
            index = sample.sample_idx
            expected = img_paths[index] if index < len(img_paths) else None
            if osp.abspath(sample.img_path) != expected:
                raise ValueError(
                    f'{self.targets_file}: training sample {index} is '
                    f'{sample.img_path}, but the target file has '
                    f'{expected or "no such row"}; rewrite it for this '
                    'training list with tools/cnnh_targets.py')
            rows.append(index)
        return codes[rows].to(self.fch.weight.device)
