"""KSH: the code inner-product objective, and a non-linear structure."""
import numpy as np
import pytest
import torch

from hashnet_mm.shallow import ITQCCA, KSH, LSH
from hashnet_mm.shallow.ksh import (LabelResidue, kernel_gram, smooth_sign,
                                    spectral_weights, surrogate_loss)
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


def dense_residue(labels, num_bits, bits):
    """K S - B B^T as an l x l matrix, S_ij = +1 / -1 by a shared label,
    pair by pair."""
    n = len(labels)
    s = np.array(
        [[1.0 if (labels[i] & labels[j]).any() else -1.0 for j in range(n)]
         for i in range(n)])
    return num_bits * s - bits @ bits.T


@pytest.mark.parametrize('multi_label', [False, True])
def test_label_residue_is_the_dense_residue(multi_label):
    rng = np.random.default_rng(3)
    if multi_label:  # a row without labels too: it shares none
        labels = rng.random((40, 5)) < 0.3
    else:
        labels = np.eye(4, dtype=bool)[rng.integers(4, size=40)]
    residue = LabelResidue(
        torch.from_numpy(labels), 8, torch.zeros(1, dtype=torch.float64))
    bits = np.sign(rng.normal(size=(40, 3)))
    for column in bits.T:
        residue.subtract(torch.from_numpy(column))
    dense = dense_residue(labels, 8, bits)
    for v in (rng.normal(size=40), rng.normal(size=(40, 6))):
        np.testing.assert_allclose(
            (residue @ torch.from_numpy(v)).numpy(),
            dense @ v,
            rtol=1e-12,
            atol=1e-9)


def test_surrogate_gradient_is_autograd_of_the_dense_loss():
    rng = np.random.default_rng(4)
    labels = np.eye(3, dtype=bool)[rng.integers(3, size=30)]
    kernel = torch.from_numpy(rng.normal(size=(30, 7)))
    residue = LabelResidue(torch.from_numpy(labels), 4, kernel)
    dense = torch.from_numpy(dense_residue(labels, 4, np.zeros((30, 0))))
    # huge weights too: the sigmoid saturates, the gradient must not be nan
    for scale in (0.3, 1.0, 1e3):
        a = torch.from_numpy(rng.normal(size=7) * scale).requires_grad_()
        soft = torch.tanh(kernel @ a / 2)  # = 2 sigmoid(t) - 1
        reference = -(soft @ dense @ soft) / 30**2
        reference.backward()
        loss, gradient = surrogate_loss(kernel, residue, a.detach())
        assert loss.item() == pytest.approx(reference.item(), rel=1e-10)
        torch.testing.assert_close(gradient, a.grad, rtol=1e-9, atol=1e-12)


def test_spectral_weights_solve_the_generalized_eigenproblem():
    rng = np.random.default_rng(5)
    kernel = rng.normal(size=(50, 6))
    labels = np.eye(3, dtype=bool)[rng.integers(3, size=50)]
    projected = kernel.T @ dense_residue(labels, 4, np.zeros((50, 0))) @ kernel
    gram = kernel.T @ kernel
    values, vectors = np.linalg.eig(np.linalg.solve(gram, projected))
    top = np.real(vectors[:, np.argmax(np.real(values))])
    top *= np.sqrt(50 / np.sum((kernel @ top)**2))
    kernel_t = torch.from_numpy(kernel)
    a = spectral_weights(kernel_t,
                         torch.linalg.cholesky(kernel_gram(kernel_t)),
                         torch.from_numpy(projected)).numpy()
    assert abs(a @ gram @ a - 50) < 1e-8
    np.testing.assert_allclose(np.abs(a), np.abs(top), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(a * np.sign(a @ top), top, rtol=1e-6, atol=1e-9)


def test_greedy_fit_keeps_the_projected_residue_up_to_date():
    """Bit k's spectral start solves the eigenproblem of the residue after
    bits 1..k-1, recomputed densely from the fitted codes."""
    x, labels = clusters_split(120)
    ksh = KSH(6, num_anchors=20, num_labeled=120, smooth_iters=0)
    ksh.fit(x, labels)
    generator = ksh.generator()
    pick, kernel = KSH(
        6, num_anchors=20).kernel.fit_and_sample(
            torch.from_numpy(x).double(), 120, generator)
    codes = torch.sign(kernel @ ksh.weights).numpy()
    whitening = torch.linalg.cholesky(kernel_gram(kernel))
    for k in range(6):
        dense = dense_residue(labels[pick.numpy()].astype(bool), 6,
                              codes[:, :k])
        projected = kernel.t() @ torch.from_numpy(dense) @ kernel
        start = spectral_weights(kernel, whitening, projected)
        torch.testing.assert_close(start.abs(), ksh.weights[:, k].abs())
