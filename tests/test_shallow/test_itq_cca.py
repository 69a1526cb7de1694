"""ITQ-CCA: canonical correlations against a plain reference."""
import numpy as np
import torch

from hashnet_mm.shallow import ITQCCA, LSH
from hashnet_mm.shallow.itq_cca import cca_directions
from .data import retrieval_map_of


def reference_squared_correlations(x, y, reg):
    """Canonical correlations as the singular values of
    Lx^-1 C_xy Ly^-T (Cholesky factors of the regularised covariances)."""
    x, y = x - x.mean(axis=0), y - y.mean(axis=0)
    n = len(x)
    lx = np.linalg.cholesky(x.T @ x / n + reg * np.eye(x.shape[1]))
    ly = np.linalg.cholesky(y.T @ y / n + reg * np.eye(y.shape[1]))
    m = np.linalg.solve(lx, x.T @ y / n) @ np.linalg.inv(ly).T
    return np.linalg.svd(m, compute_uv=False)**2


def test_squared_correlations_match_reference():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6))
    y = np.c_[x[:, :2] @ [[1.0, 0.5], [0.2, -1.0]], rng.normal(size=500)]
    y += rng.normal(scale=0.7, size=y.shape)
    _, corr2 = cca_directions(
        torch.tensor(x - x.mean(0)), torch.tensor(y - y.mean(0)), 3, 1e-3)
    assert np.allclose(
        corr2.numpy(), reference_squared_correlations(x, y, 1e-3), atol=1e-10)


def test_direction_reaches_its_correlation():
    """R^2 of regressing X w_1 on Y (plain least squares) = rho_1^2."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 5))
    y = np.c_[x[:, 0] + rng.normal(scale=0.5, size=2000),
              rng.normal(size=2000)]
    xc, yc = x - x.mean(0), y - y.mean(0)
    w, corr2 = cca_directions(torch.tensor(xc), torch.tensor(yc), 1, 0.0)
    projected = xc @ w.numpy()[:, 0]
    coef = np.linalg.lstsq(yc, projected, rcond=None)[0]
    r2 = 1 - ((projected - yc @ coef)**2).sum() / (projected**2).sum()
    assert np.isclose(r2, corr2[0].item(), atol=1e-10)
    assert np.isclose(corr2[0].item(), 0.8, atol=0.03)  # 1 / (1 + 0.25)


def test_supervised_projection_beats_lsh(separable):
    x, labels = separable['train']
    cca = retrieval_map_of(ITQCCA(8).fit(x, labels), separable)
    lsh = retrieval_map_of(LSH(8).fit(x), separable)
    assert cca > 0.9 and cca > lsh + 0.4, (cca, lsh)


def test_more_bits_than_classes_keep_working(separable):
    x, labels = separable['train']  # 4 classes: 3 informative directions
    model = ITQCCA(12).fit(x, labels)
    assert (model.squared_correlations[3:] < 1e-6).all()
    assert retrieval_map_of(model, separable) > 0.9
