"""ITQ: the quantization loss and the Procrustes rotation step."""
import numpy as np
import pytest
import torch

from hashnet_mm.codes import sign_codes
from hashnet_mm.shallow import ITQ
from hashnet_mm.shallow.linalg import itq_rotation


def test_quantization_loss_never_increases(separable):
    x, _ = separable['train']
    losses = ITQ(12, num_iters=30).fit(x).quantization_losses
    assert len(losses) == 30
    assert all(b <= a * (1 + 1e-12) for a, b in zip(losses, losses[1:]))
    assert losses[-1] < losses[0]


def test_rotation_step_is_the_best_orthogonal_matrix():
    """One iteration from a fixed B: the R found beats every 2-D rotation
    and reflection on a fine grid."""
    rng = np.random.default_rng(0)
    v = torch.tensor(rng.normal(size=(300, 2)) * [2.0, 0.7])
    rotation, losses = itq_rotation(v, 1, torch.Generator().manual_seed(3))
    assert torch.allclose(
        rotation.t() @ rotation, torch.eye(2).double(), atol=1e-12)
    # The B of that iteration: sgn(V R0) with the same initial R0.
    from hashnet_mm.shallow.linalg import random_orthogonal
    start = random_orthogonal(2, torch.Generator().manual_seed(3), v)
    codes = sign_codes(v @ start).double().numpy()
    t = np.linspace(0, 2 * np.pi, 3601)
    c, s = np.cos(t), np.sin(t)
    rotations = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], 1)
    reflections = np.stack([np.stack([c, s], -1), np.stack([s, -c], -1)], 1)
    grid = np.concatenate([rotations, reflections])  # (7202, 2, 2)
    grid_losses = ((codes[None] - v.numpy() @ grid)**2).sum(axis=(1, 2))
    assert losses[0] <= grid_losses.min() + 1e-9


def test_itq_loss_beats_random_rotations(separable):
    x, _ = separable['train']
    final = ITQ(8, num_iters=50).fit(x).quantization_losses[-1]
    # The same loss for PCA (written plainly) and 20 random rotations.
    centred = x - x.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    v = centred @ vectors[:, np.argsort(-values)[:8]]
    rng = np.random.default_rng(0)
    for _ in range(20):
        r = np.linalg.qr(rng.normal(size=(8, 8)))[0]
        assert final < ((np.where(v @ r >= 0, 1, -1) - v @ r)**2).sum()


def test_bits_beyond_training_rows_raise():
    x = np.random.default_rng(0).normal(size=(5, 10))
    with pytest.raises(ValueError, match='at most 5'):
        ITQ(8).fit(x)
