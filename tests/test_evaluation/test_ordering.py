"""Pair keys and counting-based ranking: every backend against plain code."""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.functional import (hamming_distance,
                                              mean_average_precision,
                                              ranking_statistics)
from hashnet_mm.evaluation.functional.hamming import distance_matmul_dtype
from hashnet_mm.evaluation.functional.ordering import (_rank_rows_cpu,
                                                       _rank_rows_torch,
                                                       rank_by_distance)
from hashnet_mm.evaluation.functional.pair_keys import PairKeys

from . import reference
from .reference import reference_map
from .test_ranking import make_case


def random_keys(num_rows, num_database, num_bits, seed):
    """Keys 2 * distance + relevant with distances in a narrow band (ties).
    """
    rng = np.random.default_rng(seed)
    distance = rng.integers(0, min(num_bits, 6) + 1, (num_rows, num_database))
    relevant = rng.random((num_rows, num_database)) < 0.3
    dtype = torch.uint8 if num_bits <= 127 else torch.int32
    return torch.tensor(2 * distance + relevant).to(dtype)


def plain_rank(keys, num_bits, depth):
    """Counts and ranking by Python's stable sort, row by row."""
    distance_counts, relevant_counts, top = [], [], []
    for row in keys.tolist():
        distance_counts.append(
            [sum(k >> 1 == d for k in row) for d in range(num_bits + 1)])
        relevant_counts.append([
            sum(k >> 1 == d and k & 1 for k in row)
            for d in range(num_bits + 1)
        ])
        top.append(sorted(range(len(row)), key=lambda i: row[i] >> 1)[:depth])
    return distance_counts, relevant_counts, top


@pytest.mark.parametrize('backend', [_rank_rows_cpu, _rank_rows_torch])
@pytest.mark.parametrize('num_bits', [8, 130])  # uint8 and int32 keys
@pytest.mark.parametrize('depth', [1, 17, 40])
def test_backends_match_plain_sort(backend, num_bits, depth):
    keys = random_keys(6, 40, num_bits, seed=depth)
    num_bins = 2 * (num_bits + 1)
    counts, top, top_keys = backend(
        keys.numpy() if backend is _rank_rows_cpu else keys, num_bins, depth)
    counts = counts.view(-1, num_bits + 1, 2)
    expected = plain_rank(keys, num_bits, depth)
    assert counts.sum(2).tolist() == expected[0]
    assert counts[..., 1].tolist() == expected[1]
    assert top.tolist() == expected[2]
    assert top_keys.tolist() == keys.gather(1, top).tolist()


@pytest.mark.parametrize('as_rows', [False, True])
def test_ranks_a_tensor_or_rows_one_at_a_time(as_rows):
    keys = random_keys(3, 20, 8, seed=0)
    # Rows one at a time, in one reused buffer, as PairKeys.rows yields them.
    buffer = np.empty(20, dtype=np.uint8)

    def rows():
        for row in keys.numpy():
            buffer[:] = row
            yield buffer

    ranked = rank_by_distance(rows() if as_rows else keys, 8, 5)
    expected = plain_rank(keys, 8, 5)
    assert [
        ranked.distance_counts.tolist(),
        ranked.relevant_counts.tolist(),
        ranked.top.tolist()
    ] == list(expected)
    assert ranked.top_keys.tolist() == keys.gather(1, ranked.top).tolist()


@pytest.mark.parametrize('backend', ['packed', 'matmul'])
@pytest.mark.parametrize('num_bits', [1, 8, 64, 65, 127, 128, 200])
@pytest.mark.parametrize('with_labels', [True, False])
def test_pair_keys_equal_plain_definition(backend, num_bits, with_labels):
    q, db, ql, dbl = make_case(5, 23, num_bits, 6, True, num_bits)
    db[0], db[1] = q[0], -q[0]  # distances 0 and K
    pair_keys = PairKeys(
        torch.tensor(db),
        torch.tensor(dbl) if with_labels else None, backend)
    query_labels = torch.tensor(ql) if with_labels else None
    keys = pair_keys(torch.tensor(q), query_labels)
    ranking_form = pair_keys.for_ranking(torch.tensor(q), query_labels)
    if backend == 'packed':  # the same keys, one row at a time
        assert [row.tolist() for row in ranking_form] == keys.tolist()
    else:
        assert torch.equal(ranking_form, keys)
    expected = [[
        2 * d + (r and with_labels) for d, r in zip(
            reference.distances(code, db), reference.relevance(labels, dbl))
    ] for code, labels in zip(q, ql)]
    assert keys.tolist() == expected
    assert keys.dtype == (torch.uint8 if num_bits <= 127 else torch.int32)


def test_unknown_backend_is_an_error():
    with pytest.raises(ValueError, match='backend'):
        PairKeys(torch.ones(2, 4), backend='popcount')


@pytest.mark.parametrize('num_bits', [127, 128, 200])
def test_distances_exact_in_both_matmul_dtypes(num_bits):
    # bfloat16 up to 127 bits, float32 beyond.
    rng = np.random.default_rng(num_bits)
    a = np.where(rng.random((5, num_bits)) < .5, -1, 1)
    b = np.where(rng.random((7, num_bits)) < .5, -1, 1)
    b[0] = a[0]  # distance 0
    b[1] = -a[0]  # distance K
    expected = (a[:, None, :] != b[None, :, :]).sum(-1)
    assert hamming_distance(torch.tensor(a), torch.tensor(b)).tolist() == \
        expected.tolist()
    assert distance_matmul_dtype(num_bits) == (
        torch.bfloat16 if num_bits <= 127 else torch.float32)


def test_long_codes_give_reference_map():
    q, db, ql, dbl = make_case(6, 30, 200, 3, True, 7)
    value = mean_average_precision(
        *(torch.tensor(a) for a in (q, db, ql, dbl)), topk=10)
    assert value == pytest.approx(reference_map(q, db, ql, dbl, 10), abs=1e-12)


@pytest.mark.parametrize('backend', ['packed', 'matmul'])
def test_shared_labels_beyond_bfloat16_precision_stay_relevant(backend):
    # 257 shared labels: bfloat16 cannot hold the sum, but it stays > 0.
    codes = torch.ones(2, 8)
    labels = torch.zeros(2, 600, dtype=torch.bool)
    labels[0, :257] = True
    labels[1, 300:] = True
    keys = PairKeys(codes, labels, backend)(codes[:1], labels[:1])
    assert (keys & 1).tolist() == [[1, 0]]


def test_gpu_path_gives_the_cpu_path_statistics(monkeypatch):
    # The path taken for CUDA tensors (matrix-product keys, all rows ranked
    # at once), forced on CPU tensors.
    from hashnet_mm.evaluation.functional import ordering, statistics
    q, db, ql, dbl = (torch.tensor(a) for a in make_case(9, 50, 6, 4, True, 8))
    cpu = ranking_statistics(q, db, ql, dbl, topk=20, top_n=(5, 60),
                             chunk_size=4)
    monkeypatch.setattr(statistics, 'PairKeys',
                        lambda *args: PairKeys(*args, backend='matmul'))
    monkeypatch.setattr(
        ordering, '_rank_rows_cpu', lambda rows, *args: _rank_rows_torch(
            torch.from_numpy(np.stack(list(rows))), *args))
    gpu_path = ranking_statistics(q, db, ql, dbl, topk=20, top_n=(5, 60),
                                  chunk_size=4)
    for name in ('distance_counts', 'relevant_counts', 'average_precision',
                 'relevant_at_n'):
        torch.testing.assert_close(getattr(gpu_path, name),
                                   getattr(cpu, name), equal_nan=True,
                                   rtol=0, atol=0)
