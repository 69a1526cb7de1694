"""The global batch of a data-parallel step: every rank's codes and labels."""
from typing import Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size, is_distributed


class _GatherWithGradient(torch.autograd.Function):
    """``all_gather`` of one tensor per rank (a tuple in rank order) whose
    backward gives each rank the sum, over all ranks, of the gradients of
    its own tensor: an all-reduce of the stacked gradients (gloo has no
    reduce-scatter; the codes are small)."""

    @staticmethod
    def forward(ctx, tensor):
        gathered = [torch.empty_like(tensor) for _ in range(get_world_size())]
        dist.all_gather(gathered, tensor.contiguous())
        return tuple(gathered)

    @staticmethod
    def backward(ctx, *gradients):
        summed = torch.stack(gradients)
        dist.all_reduce(summed)
        return summed[dist.get_rank()]


def gather_global_batch(
        codes: torch.Tensor,
        labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(N, K) codes and (N, C) labels of all ranks, in rank order.

    Outside torch.distributed, or with one process, the inputs come back
    unchanged. Otherwise every rank gets the same concatenation of all
    ranks' rows, N = sum of the ranks' N_r. The codes keep autograd:
    the backward of the gather sends each rank the sum, over all ranks, of
    the gradients reaching its own rows, so a loss computed identically on
    every rank gives each rank W times its rows' gradient; DDP's average
    over the W ranks then leaves exactly the gradient of one process on the
    global batch. Labels carry no gradient.

    Ranks may hold different N_r, and different label widths C_r (labels
    made from ``gt_label`` indices are only as wide as the rank's batch
    needs): rows and columns are zero-padded to the largest, gathered, and
    the padding rows dropped. Every rank must call this together.
    """
    if not is_distributed() or get_world_size() == 1:
        return codes, labels
    size = torch.tensor(labels.shape, device=codes.device)
    sizes = [tuple(s.tolist()) for s in all_gather(size)]
    rows = max(s[0] for s in sizes)
    width = max(s[1] for s in sizes)
    padded_codes = F.pad(codes, (0, 0, 0, rows - codes.shape[0]))
    padded_labels = F.pad(
        labels.float(),
        (0, width - labels.shape[1], 0, rows - labels.shape[0]))
    all_codes = _GatherWithGradient.apply(padded_codes)
    all_labels = all_gather(padded_labels)
    keep = [s[0] for s in sizes]
    return (torch.cat([c[:n] for c, n in zip(all_codes, keep)]),
            torch.cat([y[:n] for y, n in zip(all_labels, keep)]))
