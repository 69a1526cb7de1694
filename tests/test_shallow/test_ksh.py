"""KSH: the code inner-product objective, and a non-linear structure."""
import numpy as np
import torch

from hashnet_mm.shallow import ITQCCA, KSH, LSH
from hashnet_mm.shallow.ksh import smooth_sign
from .data import clusters_split, retrieval_map_of, rings_split, splits


def inner_product_loss(codes, labels):
    """||B B^T - K S||_F^2 with S = +1 / -1 for shared / no shared label."""
    codes = codes.double().numpy()
    s = np.where(labels @ labels.T > 0, 1.0, -1.0)
    return ((codes @ codes.T - codes.shape[1] * s)**2).sum()


def test_fits_its_objective_far_better_than_random_codes():
    x, labels = clusters_split(150)
    ksh = KSH(8, num_anchors=40, num_labeled=150).fit(x, labels).encode(x)
    lsh = LSH(8).fit(x).encode(x)
    assert inner_product_loss(ksh,
                              labels) < 0.7 * inner_product_loss(lsh, labels)


def test_kernel_separates_rings_that_no_hyperplane_can():
    data = splits(rings_split)
    x, labels = data['train']
    ksh = retrieval_map_of(
        KSH(8, num_anchors=50, num_labeled=300).fit(x, labels), data)
    linear = retrieval_map_of(ITQCCA(2).fit(x, labels), data)
    assert ksh > 0.95 and linear < 0.65, (ksh, linear)


def test_smooth_sign_is_ksh_sigmoid():
    t = torch.linspace(-6, 6, 25, dtype=torch.float64)
    assert torch.allclose(smooth_sign(t), 2 / (1 + torch.exp(-t)) - 1)
