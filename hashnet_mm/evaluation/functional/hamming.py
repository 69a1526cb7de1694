"""Hamming distance between binary codes stored as +-1 values.

For codes in {-1, +1}^K the distance is ``(K - <b_i, b_j>) / 2`` (paper
Sec. 3: the inner product and the Hamming distance are equivalent), so all
distances of a query set to a database come from one matrix product:
``[-b_q, K] @ [b_i, 1]^T = K - <b_q, b_i> = 2 * distance``. Every partial sum
of that product is an integer in [-K, 2K]; bfloat16 holds every integer up to
256 exactly, so for K <= 127 the product is exact in bfloat16 whatever the
summation order (several times faster than float32 on CPUs with bf16 units,
and on GPUs); longer codes use float32 (exact below 2**24).
"""
import torch

# Longest code whose doubled distances (<= 2K) bfloat16 holds exactly.
MAX_BFLOAT16_BITS = 127


def distance_matmul_dtype(num_bits: int) -> torch.dtype:
    """The cheapest dtype in which :func:`doubled_distance` is exact."""
    return torch.bfloat16 if num_bits <= MAX_BFLOAT16_BITS else torch.float32


def query_operand(query_codes: torch.Tensor) -> torch.Tensor:
    """(Q, K + 1) left factor ``[-b_q, K]`` of the doubled distances."""
    num_bits = query_codes.shape[1]
    codes = query_codes.to(distance_matmul_dtype(num_bits))
    return torch.cat(
        [-codes, codes.new_full((len(codes), 1), num_bits)], dim=1)


def database_operand(database_codes: torch.Tensor) -> torch.Tensor:
    """(K + 1, N) right factor ``[b_i, 1]^T`` of the doubled distances."""
    codes = database_codes.to(distance_matmul_dtype(database_codes.shape[1]))
    return torch.cat([codes, codes.new_ones((len(codes), 1))],
                     dim=1).t().contiguous()


def doubled_distance(query_factor: torch.Tensor,
                     database_factor: torch.Tensor) -> torch.Tensor:
    """(Q, N) twice the Hamming distances, exact, in the operands' dtype.

    Args:
        query_factor: :func:`query_operand` of the query codes.
        database_factor: :func:`database_operand` of the database codes.
    """
    return query_factor @ database_factor


def hamming_distance(query_codes: torch.Tensor,
                     database_codes: torch.Tensor) -> torch.Tensor:
    """Hamming distances between every query and every database code.

    Args:
        query_codes (Tensor): (Q, K) codes in {-1, +1}.
        database_codes (Tensor): (N, K) codes in {-1, +1}.

    Returns:
        Tensor: (Q, N) int64 distances in [0, K].
    """
    doubled = doubled_distance(
        query_operand(query_codes), database_operand(database_codes))
    return doubled.long() // 2
