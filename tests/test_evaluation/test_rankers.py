"""The two ranking backends, and the torch backend's keys, against plain
code."""
import numpy as np
import pytest
import torch

from hashnet_mm.evaluation.functional import ranking_statistics
from hashnet_mm.evaluation.functional.rankers import database_ranker
from hashnet_mm.evaluation.functional.rankers.torch_ranker import (
    TorchRanker, distance_matmul_dtype, rank_by_distance)
from . import reference
from .helpers import hamming_distance, mean_average_precision
from .reference import reference_map
from .test_ranking import make_case

BACKENDS = ['numba', 'torch']


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


@pytest.mark.parametrize('num_bits', [8, 130])  # uint8 and int32 keys
@pytest.mark.parametrize('depth', [1, 17, 40])
def test_ranking_of_keys_matches_plain_sort(num_bits, depth):
    keys = random_keys(6, 40, num_bits, seed=depth)
    ranked = rank_by_distance(keys, num_bits, depth)
    assert [
        ranked.distance_counts.tolist(),
        ranked.relevant_counts.tolist(),
        ranked.top.tolist()
    ] == list(plain_rank(keys, num_bits, depth))
    assert ranked.top_keys.tolist() == keys.gather(1, ranked.top).tolist()


def plain_keys(query_codes, database_codes, query_labels, database_labels):
    """Keys 2 * distance + relevant from the reference definitions."""
    return torch.tensor([[
        2 * d + r for d, r in zip(
            reference.distances(code, database_codes),
            reference.relevance(labels, database_labels
                                ) if database_labels is not None else [0] *
            len(database_codes))
    ] for code, labels in zip(query_codes, query_labels)])


@pytest.mark.slow
@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('num_bits', [1, 8, 63, 64, 65, 127, 128, 200])
@pytest.mark.parametrize('with_labels', [True, False])
# Fewer items than a packed word, whole words, whole words and a tail.
@pytest.mark.parametrize('num_database', [23, 128, 141])
def test_backends_rank_as_the_plain_definition(backend, num_bits, with_labels,
                                               num_database):
    q, db, ql, dbl = make_case(5, num_database, num_bits, 70, True,
                               num_bits + num_database)
    db[0], db[1] = q[0], -q[0]  # distances 0 and K
    db[num_database // 2:] = db[:num_database - num_database // 2]  # ties
    ranker = database_ranker(
        torch.tensor(db),
        torch.tensor(dbl) if with_labels else None, backend)
    keys = plain_keys(q, db, ql, dbl if with_labels else None)
    for depth in (1, 17, num_database):
        ranked = ranker.rank(
            torch.tensor(q),
            torch.tensor(ql) if with_labels else None, depth)
        assert [
            ranked.distance_counts.tolist(),
            ranked.relevant_counts.tolist(),
            ranked.top.tolist()
        ] == list(plain_rank(keys, num_bits, depth))
        assert ranked.top_keys.tolist() == keys.gather(1, ranked.top).tolist()
        assert ranked.top_keys.dtype == (
            torch.uint8 if num_bits <= 127 else torch.int32)


@pytest.mark.parametrize('num_bits', [8, 130])
def test_pair_keys_equal_plain_definition(num_bits):
    q, db, ql, dbl = make_case(5, 23, num_bits, 6, True, num_bits)
    keys = TorchRanker(torch.tensor(db), torch.tensor(dbl)).keys(
        torch.tensor(q), torch.tensor(ql))
    assert torch.equal(keys, plain_keys(q, db, ql, dbl).to(keys.dtype))


def test_unknown_backend_is_an_error():
    with pytest.raises(ValueError, match='backend'):
        database_ranker(torch.ones(2, 4), backend='popcount')


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


@pytest.mark.parametrize('backend', BACKENDS)
def test_shared_labels_beyond_bfloat16_precision_stay_relevant(backend):
    # 257 shared labels: bfloat16 cannot hold the sum, but it stays > 0.
    codes = torch.ones(2, 8)
    labels = torch.zeros(2, 600, dtype=torch.bool)
    labels[0, :257] = True
    labels[1, 300:] = True
    ranked = database_ranker(codes, labels,
                             backend).rank(codes[:1], labels[:1], 2)
    assert (ranked.top_keys & 1).tolist() == [[1, 0]]


def test_gpu_path_gives_the_cpu_path_statistics():
    # The path taken for CUDA tensors (matrix-product keys, all rows ranked
    # at once), forced on CPU tensors.
    q, db, ql, dbl = (torch.tensor(a) for a in make_case(9, 50, 6, 4, True, 8))
    cpu = ranking_statistics(
        q, db, ql, dbl, topk=20, top_n=(5, 60), chunk_size=4)
    gpu_path = ranking_statistics(
        q, db, ql, dbl, topk=20, top_n=(5, 60), chunk_size=4, backend='torch')
    for name in ('distance_counts', 'relevant_counts', 'average_precision',
                 'relevant_at_n'):
        torch.testing.assert_close(
            getattr(gpu_path, name),
            getattr(cpu, name),
            equal_nan=True,
            rtol=0,
            atol=0)
