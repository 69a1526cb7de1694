"""Hamming distance between binary codes stored as +-1 values."""
import torch


def hamming_distance(query_codes: torch.Tensor,
                     database_codes: torch.Tensor) -> torch.Tensor:
    """Hamming distances between every query and every database code.

    For codes in {-1, +1}^K the distance is ``(K - <b_i, b_j>) / 2`` (paper
    Sec. 3: the inner product and the Hamming distance are equivalent). The
    inner product is exact in float32 for K < 2**24.

    Args:
        query_codes (Tensor): (Q, K) codes in {-1, +1}.
        database_codes (Tensor): (N, K) codes in {-1, +1}.

    Returns:
        Tensor: (Q, N) int64 distances in [0, K].
    """
    num_bits = query_codes.shape[1]
    inner = query_codes.float() @ database_codes.float().t()
    return ((num_bits - inner) / 2).round().long()
