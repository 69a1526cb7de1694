"""hashnet_mm.codes against slow, obvious references written here."""
import itertools

import numpy as np
import pytest
import torch

from hashnet_mm.codes import (bit_words, check_codes, check_codes_and_labels,
                              check_packed, code_size, pack_codes, share_label,
                              sign_codes, similar_pair_fraction, unpack_codes)
from .test_search.reference import popcount_distances


def reference_pack(codes):
    """Bit j of a code -> bit j % 8 of byte j // 8, +1 a set bit, in loops."""
    packed = np.zeros((len(codes), -(-len(codes[0]) // 8)), dtype=np.uint8)
    for row, code in enumerate(codes):
        for bit, value in enumerate(code):
            if value == 1:
                packed[row, bit // 8] |= 1 << (bit % 8)
    return packed


def reference_words(bits):
    """Bit j of a row -> bit j % 64 of word j // 64, as Python integers."""
    words = []
    for row in bits:
        values = [0] * -(-len(row) // 64)
        for j, bit in enumerate(row):
            if bit:
                values[j // 64] |= 1 << (j % 64)
        words.append(values)
    return words


def reference_share_label(labels, other):
    return [[any(a and b for a, b in zip(x, y)) for y in other]
            for x in labels]


def unequal_entries(a, b):
    """(Q, N) Hamming distances of {-1, +1} codes: entries that differ."""
    return np.array([[sum(x != y for x, y in zip(p, q)) for q in b]
                     for p in a])


# Packing and its errors.


@pytest.mark.parametrize('num_bits', [1, 7, 8, 12, 16, 48, 64, 65])
def test_round_trip(num_bits):
    codes = np.random.default_rng(num_bits).choice([-1, 1], (20, num_bits))
    packed = pack_codes(codes)
    assert packed.dtype == np.uint8
    assert packed.shape == (20, code_size(num_bits)) == (20, -(-num_bits // 8))
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
    expected = unequal_entries(a, b)
    np.testing.assert_array_equal(
        popcount_distances(pack_codes(a), pack_codes(b)), expected)


@pytest.mark.parametrize(
    'codes',
    [np.zeros((2, 8)),
     np.full((2, 8), 2),
     np.ones(8),
     np.ones((2, 0))])
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


# Each function against its reference.


@pytest.mark.parametrize('num_bits', [1, 3, 8, 9, 63, 64, 65, 130])
def test_pack_and_unpack_match_loops(num_bits):
    codes = np.random.default_rng(num_bits).choice([-1, 1], (5, num_bits))
    packed = pack_codes(codes)
    np.testing.assert_array_equal(packed, reference_pack(codes))
    unpacked = unpack_codes(packed, num_bits)
    assert unpacked.dtype == np.int8
    np.testing.assert_array_equal(unpacked, codes)
    assert code_size(np.int64(num_bits)) == packed.shape[1]


def test_pack_keeps_an_empty_selection():
    packed = pack_codes(np.ones((0, 12)))
    assert packed.shape == (0, 2) and packed.dtype == np.uint8
    assert unpack_codes(packed, 12).shape == (0, 12)


def test_sign_codes_ties_and_dtype():
    values = torch.tensor([-2., -1e-30, -0., 0., 1e-30, 3., -float('inf')])
    signs = sign_codes(values)
    assert signs.tolist() == [-1., -1., 1., 1., 1., 1., -1.]
    assert sign_codes(values.double()).dtype == torch.float64
    assert sign_codes(torch.zeros(2, 3, dtype=torch.float16)).dtype == \
        torch.float16
    assert sign_codes(torch.empty(0, 4)).shape == (0, 4)
    z = torch.randn(6, 7)
    reference = [[1. if v >= 0 else -1. for v in row] for row in z.tolist()]
    assert sign_codes(z).tolist() == reference


@pytest.mark.parametrize('make', [np.asarray, torch.tensor])
def test_check_codes_accepts_codes(make):
    check_codes(make([[1, -1, 1], [-1, -1, 1]]))
    check_codes(make([[1.0]]))
    check_codes(make(np.ones((0, 3))), allow_empty=True)


@pytest.mark.parametrize('codes, match', [
    (np.ones(4), r'query codes must be a non-empty \(n, K\) matrix, got '
     r'shape \(4,\)'),
    (np.ones((0, 4)), r'non-empty .* shape \(0, 4\)'),
    (np.ones((3, 0)), r'non-empty .* shape \(3, 0\)'),
    (np.ones((2, 2, 2)), r'shape \(2, 2, 2\)'),
    (np.array([[1, -1], [0, 1], [1, 2]]),
     r'query codes must contain only -1 and \+1: 2 of 3 rows hold other '
     r'values \(first: row 1\)'),
    (torch.tensor([[1., float('nan')]]), r'1 of 1 rows .* row 0'),
    (torch.tensor([[1., -0.]]), 'only -1 and'),
])
def test_check_codes_messages(codes, match):
    with pytest.raises(ValueError, match=match):
        check_codes(codes, 'query codes')


def test_check_codes_empty_needs_bits_even_when_allowed():
    with pytest.raises(ValueError, match='non-empty'):
        check_codes(np.ones((0, 0)), allow_empty=True)


def test_check_packed_accepts_an_empty_set_and_round_widths():
    check_packed(np.zeros((0, 2), dtype=np.uint8), 12)
    check_packed(np.full((3, 8), 0xFF, dtype=np.uint8), 64)
    with pytest.raises(ValueError, match='queries are 1 bytes wide'):
        check_packed(np.zeros((1, 1), dtype=np.uint8), 9, 'queries')


@pytest.mark.parametrize('width', [1, 7, 63, 64, 65, 128, 130])
def test_bit_words_match_loops(width):
    bits = np.random.default_rng(width).random((4, width)) < 0.5
    words = bit_words(bits)
    assert words.dtype == np.uint64 and words.shape == (4, -(-width // 64))
    assert [[int(w) for w in row] for row in words] == reference_words(bits)


def test_bit_words_of_no_rows():
    assert bit_words(np.zeros((0, 70), dtype=bool)).shape == (0, 2)


def test_share_label_matches_loops():
    rng = np.random.default_rng(0)
    labels = rng.random((6, 4)) < 0.3
    other = rng.random((5, 4)) < 0.3
    labels[0] = False  # an unlabelled image shares nothing, not even itself
    for x, y in ((labels, None), (labels, other)):
        expected = reference_share_label(x, x if y is None else y)
        result = share_label(
            torch.tensor(x), None if y is None else torch.tensor(y))
        assert result.dtype == torch.bool
        assert result.tolist() == expected
    as_float = share_label(torch.tensor(labels, dtype=torch.float64))
    assert as_float.tolist() == reference_share_label(labels, labels)


def test_similar_pair_fraction_counts_ordered_pairs():
    labels = np.random.default_rng(3).random((11, 3)) < 0.4
    similar = reference_share_label(labels, labels)
    pairs = list(itertools.permutations(range(11), 2))
    expected = sum(similar[i][j] for i, j in pairs) / len(pairs)
    for chunk_size in (1, 4, 1024):
        assert similar_pair_fraction(torch.tensor(labels),
                                     chunk_size) == expected


@pytest.mark.parametrize('codes, labels', [
    (torch.ones(3), torch.ones(3, 2)),
    (torch.ones(3, 4), torch.ones(3)),
    (torch.ones(3, 4), torch.ones(2, 2)),
])
def test_check_codes_and_labels(codes, labels):
    check_codes_and_labels(torch.ones(3, 4), torch.ones(3, 2))
    with pytest.raises(
            ValueError,
            match=r'expected codes \(N, K\) and '
            r'labels \(N, C\), got'):
        check_codes_and_labels(codes, labels)
