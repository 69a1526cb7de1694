"""Pairwise similarity from labels, shared by the pair and triplet losses."""
import torch


def check_codes_and_labels(codes: torch.Tensor, labels: torch.Tensor) -> None:
    """Raise unless ``codes`` is (N, K) and ``labels`` (N, C), so a loss
    never silently pairs codes with the wrong rows."""
    if codes.dim() != 2 or labels.dim() != 2 or \
            labels.shape[0] != codes.shape[0]:
        raise ValueError(
            'expected codes (N, K) and labels (N, C), got '
            f'{tuple(codes.shape)} and {tuple(labels.shape)}')


def label_similarity(codes: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
    """(N, N) bool s_ij: images i and j share at least one label.

    Checks the shapes first (:func:`check_codes_and_labels`).
    """
    check_codes_and_labels(codes, labels)
    labels = labels.float()
    return labels @ labels.t() > 0


def similar_pair_fraction(labels: torch.Tensor,
                          chunk_size: int = 1024) -> float:
    """|S1| / |S| over the ordered pairs i != j of a whole label set.

    The fraction of pairs sharing a label, which fixes the dataset-level
    weights of eq. 2 (``WeightedPairwiseLoss(weight_source='dataset')``).
    Exact integer counts, O(chunk_size * N) memory.

    Args:
        labels (Tensor): (N, C) multi-hot labels (0/1 or bool), N >= 2.
    """
    if labels.dim() != 2 or len(labels) < 2:
        raise ValueError('expected (N, C) labels with N >= 2, got '
                         f'{tuple(labels.shape)}')
    labels = labels.float()
    num_similar = 0
    for start in range(0, len(labels), chunk_size):
        chunk = labels[start:start + chunk_size]
        num_similar += int((chunk @ labels.t() > 0).sum())
    # s_ii = 1 exactly for the images with a label; those pairs are not in S.
    num_similar -= int(labels.any(1).sum())
    num_pairs = len(labels) * (len(labels) - 1)
    return num_similar / num_pairs
