"""Binary codes as bits: K values in {-1, +1} <-> ceil(K / 8) bytes.

Bit j of a code (j = 0 .. K-1) is bit ``j % 8`` (least significant first) of
byte ``j // 8``; a set bit means +1. This is FAISS's binary layout, so the
Hamming distance of two packed codes is the popcount of their XOR. When K is
not a multiple of 8, the unused high bits of the last byte are 0.
"""
from typing import Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]


def code_size(num_bits: int) -> int:
    """Bytes per packed K-bit code."""
    if isinstance(num_bits, bool) or not isinstance(
            num_bits, (int, np.integer)) or num_bits < 1:
        raise ValueError(f'num_bits must be an integer >= 1, got {num_bits!r}')
    return (int(num_bits) + 7) // 8


def pack_codes(codes: Array) -> np.ndarray:
    """Pack (n, K) codes in {-1, +1} (e.g. ``HashHead``'s ``hash_code``).

    Returns:
        np.ndarray: (n, ceil(K / 8)) uint8.
    """
    if isinstance(codes, torch.Tensor):
        codes = codes.detach().cpu().numpy()
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] == 0:
        raise ValueError(f'codes must be an (n, K) matrix with K >= 1, got '
                         f'shape {codes.shape}')
    positive = codes == 1
    if not (positive | (codes == -1)).all():
        raise ValueError('codes must contain only -1 and +1')
    return np.packbits(positive, axis=1, bitorder='little')


def unpack_codes(packed: np.ndarray, num_bits: int) -> np.ndarray:
    """(n, K) int8 codes in {-1, +1} of (n, ceil(K / 8)) packed bytes."""
    check_packed(packed, num_bits)
    bits = np.unpackbits(packed, axis=1, count=num_bits, bitorder='little')
    return bits.astype(np.int8) * 2 - 1


def check_packed(packed: np.ndarray, num_bits: int, what: str = 'codes'
                 ) -> None:
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
