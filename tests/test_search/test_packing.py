"""Packing {-1, +1} codes into bytes, FAISS's bit layout."""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.functional import hamming_distance
from hashnet_mm.search import code_size, pack_codes, unpack_codes
from hashnet_mm.search.packing import check_packed

from .reference import popcount_distances


@pytest.mark.parametrize('num_bits', [1, 7, 8, 12, 16, 48, 64, 65])
def test_round_trip(num_bits):
    codes = np.random.default_rng(num_bits).choice([-1, 1], (20, num_bits))
    packed = pack_codes(codes)
    assert packed.dtype == np.uint8
    assert packed.shape == (20, code_size(num_bits)) == (20,
                                                         -(-num_bits // 8))
    np.testing.assert_array_equal(unpack_codes(packed, num_bits), codes)


def test_bit_layout_is_least_significant_bit_first():
    for bit in range(12):
        code = -np.ones((1, 12), dtype=np.int64)
        code[0, bit] = 1
        expected = np.zeros((1, 2), dtype=np.uint8)
        expected[0, bit // 8] = 1 << (bit % 8)
        np.testing.assert_array_equal(pack_codes(code), expected)


def test_accepts_head_output_tensors():
    codes = torch.tensor([[1., -1., -1., 1., 1., 1., -1., -1.]])
    np.testing.assert_array_equal(pack_codes(codes), [[0b00111001]])


def test_popcount_of_packed_equals_hamming_distance_of_codes():
    rng = np.random.default_rng(0)
    a, b = rng.choice([-1, 1], (7, 20)), rng.choice([-1, 1], (9, 20))
    expected = hamming_distance(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_array_equal(
        popcount_distances(pack_codes(a), pack_codes(b)), expected)


@pytest.mark.parametrize('codes', [
    np.zeros((2, 8)), np.full((2, 8), 2), np.ones(8), np.ones((2, 0))
])
def test_pack_rejects_non_codes(codes):
    with pytest.raises(ValueError, match='codes must'):
        pack_codes(codes)


@pytest.mark.parametrize('packed, match', [
    (np.zeros((2, 8), dtype=np.float32), 'uint8'),
    (np.zeros(8, dtype=np.uint8), 'shape'),
    ([[0] * 8], 'list'),
    (np.zeros((2, 4), dtype=np.uint8), r'4 bytes wide \(up to 32 bits\) but '
     r'64-bit codes take 8 bytes'),
])
def test_check_packed_rejects(packed, match):
    with pytest.raises(ValueError, match=match):
        check_packed(packed, 64)


def test_spare_bits_must_be_zero():
    packed = np.array([[0xFF, 0x0F]], dtype=np.uint8)
    check_packed(packed, 12)
    with pytest.raises(ValueError, match='bits set beyond bit 12'):
        check_packed(np.array([[0xFF, 0x1F]], dtype=np.uint8), 12)


@pytest.mark.parametrize('num_bits', [0, -8, 8.0, True])
def test_bad_num_bits(num_bits):
    with pytest.raises(ValueError, match='num_bits'):
        code_size(num_bits)
