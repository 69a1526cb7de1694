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
