"""Binary codes and label similarity: the one place every part uses.

A K-bit code is a row of K values in {-1, +1}: ``sign(z)`` of a hash layer
or projection, with z = 0 mapped to +1 (paper Sec. 3: h = sgn(z)). Packed,
bit j of a code (j = 0 .. K-1) is bit ``j % 8`` (least significant first)
of byte ``j // 8``, a set bit meaning +1 (FAISS's binary layout: the Hamming
distance of two packed codes is the popcount of their XOR); unused high
bits of the last byte are 0. Two images are similar (s_ij = 1, eq. 1) when
their multi-hot labels share at least one label.

Packing and the checks take numpy arrays or torch tensors but do not import
torch: ``hashnet_mm.search`` uses them without the training stack.
"""
from __future__ import annotations
import functools
import sys
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

if TYPE_CHECKING:
    import torch

Array = Union[np.ndarray, 'torch.Tensor']


def _is_tensor(value) -> bool:
    """Whether ``value`` is a torch tensor (torch is not imported for it:
    a tensor exists only where torch already is)."""
    torch = sys.modules.get('torch')
    return torch is not None and isinstance(value, torch.Tensor)


def sign_codes(values: torch.Tensor) -> torch.Tensor:
    """sign(values) in {-1, +1}, 0 -> +1, in the dtype of ``values``."""
    import torch
    return torch.where(values >= 0, 1.0, -1.0).to(values.dtype)


def check_code_dtype(codes: Array, what: str = 'codes') -> None:
    """Raise ValueError for bool codes: a code is -1/+1 numbers, and a bool
    matrix says nothing about which of True / False is -1 (for True = +1,
    convert with ``* 2 - 1`` from an integer copy)."""
    is_tensor = _is_tensor(codes)
    if (codes.dtype == sys.modules['torch'].bool) if is_tensor else \
            np.asarray(codes).dtype == np.bool_:
        convert = 'codes.to(torch.int8)' if is_tensor else \
            'codes.astype(np.int8)'
        raise ValueError(
            f'{what} are booleans; codes must be -1/+1 numbers (for '
            f'True = +1: {convert} * 2 - 1)')


@functools.lru_cache(maxsize=None)
def _straight_through_sign_function():
    """The autograd Function of :func:`straight_through_sign`, defined on
    first use (this module does not import torch)."""
    import torch

    class StraightThroughSign(torch.autograd.Function):
        """sign_codes forward, the identity backward."""

        @staticmethod
        def forward(ctx, values):
            return sign_codes(values)

        @staticmethod
        def backward(ctx, gradient):
            return gradient

    return StraightThroughSign


def straight_through_sign(values: torch.Tensor) -> torch.Tensor:
    """:func:`sign_codes` of ``values`` whose gradient passes through
    unchanged (d sign(u) / du taken as 1: GreedyHash, Su et al. 2018)."""
    return _straight_through_sign_function().apply(values)


def check_codes(codes: Array,
                what: str = 'codes',
                allow_empty: bool = False) -> None:
    """Raise ValueError unless ``codes`` is a non-empty (n, K) matrix of
    -1 and +1 values (tensor or array, not bool: :func:`check_code_dtype`);
    ``what`` names it in the message. ``allow_empty`` lets n = 0 pass
    (K >= 1 still), for an empty selection.
    """
    check_code_dtype(codes, what)
    shape = tuple(codes.shape)
    if len(shape) != 2 or shape[1] == 0 or (shape[0] == 0 and not allow_empty):
        raise ValueError(f'{what} must be a non-empty (n, K) matrix, got '
                         f'shape {shape}')
    valid_rows = ((codes == 1) | (codes == -1)).all(1)
    if not bool(valid_rows.all()):
        if _is_tensor(valid_rows):
            valid_rows = valid_rows.cpu().numpy()
        rows = np.flatnonzero(~np.asarray(valid_rows))
        raise ValueError(
            f'{what} must contain only -1 and +1: {len(rows)} of '
            f'{shape[0]} rows hold other values (first: row {rows[0]})')


def code_size(num_bits: int) -> int:
    """Bytes per packed K-bit code."""
    if isinstance(num_bits,
                  bool) or not isinstance(num_bits,
                                          (int, np.integer)) or num_bits < 1:
        raise ValueError(f'num_bits must be an integer >= 1, got {num_bits!r}')
    return (int(num_bits) + 7) // 8


def pack_codes(codes: Array) -> np.ndarray:
    """(n, ceil(K / 8)) uint8 of (n, K) codes in {-1, +1}."""
    if _is_tensor(codes):
        codes = codes.detach().cpu().numpy()
    codes = np.asarray(codes)
    check_codes(codes, allow_empty=True)
    return np.packbits(codes == 1, axis=1, bitorder='little')


def unpack_codes(packed: np.ndarray, num_bits: int) -> np.ndarray:
    """(n, K) int8 codes in {-1, +1} of (n, ceil(K / 8)) packed bytes."""
    check_packed(packed, num_bits)
    bits = np.unpackbits(packed, axis=1, count=num_bits, bitorder='little')
    return bits.astype(np.int8) * 2 - 1


def check_packed(packed: np.ndarray,
                 num_bits: int,
                 what: str = 'codes') -> None:
    """Raise ValueError unless ``packed`` holds packed ``num_bits`` codes."""
    width = code_size(num_bits)
    if not isinstance(packed, np.ndarray) or packed.dtype != np.uint8 \
            or packed.ndim != 2:
        described = f'{packed.dtype} array of shape {packed.shape}' \
            if isinstance(packed, np.ndarray) else type(packed).__name__
        raise ValueError(
            f'{what} must be packed: an (n, {width}) uint8 array (see '
            f'pack_codes), got {described}')
    if packed.shape[1] != width:
        raise ValueError(
            f'{what} are {packed.shape[1]} bytes wide (up to '
            f'{8 * packed.shape[1]} bits) but {num_bits}-bit codes take '
            f'{width} bytes')
    spare = 8 * width - num_bits
    if spare and packed.size and (packed[:, -1] >> (8 - spare)).any():
        raise ValueError(f'{what} have bits set beyond bit {num_bits}: they '
                         f'are not packed {num_bits}-bit codes')


def bit_words(bits: np.ndarray) -> np.ndarray:
    """(n, ceil(m / 64)) uint64 words of an (n, m) bool matrix, in the packed
    layout above: bit j of a row is bit j % 64 of word j // 64."""
    packed = np.packbits(bits, axis=1, bitorder='little')
    packed = np.pad(packed, ((0, 0), (0, -packed.shape[1] % 8)))
    return np.ascontiguousarray(packed).view('<u8').astype(
        np.uint64, copy=False)


def share_label(labels: torch.Tensor,
                other_labels: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(N, M) bool s_ij: row i of ``labels`` and row j of ``other_labels``
    (default: ``labels``) share at least one label (eq. 1)."""
    labels = labels.float()
    other = labels if other_labels is None else other_labels.float()
    return labels @ other.t() > 0


def check_codes_and_labels(codes: torch.Tensor, labels: torch.Tensor) -> None:
    """Raise ValueError unless ``codes`` is (N, K) and ``labels`` (N, C), one
    row per image, so that a loss never pairs codes with the wrong rows.
    The codes may be continuous (a loss's relaxed codes)."""
    if codes.dim() != 2 or labels.dim() != 2 or \
            labels.shape[0] != codes.shape[0]:
        raise ValueError('expected codes (N, K) and labels (N, C), got '
                         f'{tuple(codes.shape)} and {tuple(labels.shape)}')


def similar_pair_fraction(labels: torch.Tensor,
                          chunk_size: int = 1024) -> float:
    """``|S1| / |S|`` over the ordered pairs i != j of a whole label set.

    The fraction of pairs sharing a label, which fixes the dataset-level
    weights of eq. 2 (``WeightedPairwiseLoss(weight_source='dataset')``).
    Exact integer counts, O(chunk_size * N) memory.

    Args:
        labels (Tensor): (N, C) multi-hot labels (0/1 or bool), N >= 2.
    """
    if labels.dim() != 2 or len(labels) < 2:
        raise ValueError('expected (N, C) labels with N >= 2, got '
                         f'{tuple(labels.shape)}')
    num_similar = sum(
        int(share_label(labels[start:start + chunk_size], labels).sum())
        for start in range(0, len(labels), chunk_size))
    # s_ii = 1 exactly for the images with a label; those pairs are not in S.
    num_similar -= int(labels.bool().any(1).sum())
    num_pairs = len(labels) * (len(labels) - 1)
    return num_similar / num_pairs
