"""OrthoHashLoss against a per-sample reference; OrthoHashHead's codes."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from hashnet_mm.models.losses import OrthoHashLoss
from .reference import (check_value_and_gradient, class_target_batches,
                        labelled_rows, sign)

NUM_CLASSES = 5


def reference_orthohash(loss, scale, margin, weight):
    """(value, gradient) image by image: logits s (cos(u, c_c) - m y_c),
    cross-entropy against y / sum y over the labelled images, plus weight *
    (|u| - 1)^2 over all, as means."""
    centers = loss.hash_centers.centers.tolist()

    def reference(u, labels):
        n, k = u.shape
        rows = labelled_rows(labels)
        value, grad = 0.0, np.zeros((n, k))
        for i in rows:
            norm = math.sqrt(sum(x * x for x in u[i]))
            cosine = [
                sum(u[i, b] * c[b] for b in range(k)) / (norm * math.sqrt(k))
                for c in centers
            ]
            logits = [
                scale * (cos - margin * bool(y))
                for cos, y in zip(cosine, labels[i])
            ]
            top = max(logits)
            log_sum = top + math.log(sum(math.exp(x - top) for x in logits))
            targets = [y / sum(labels[i]) for y in labels[i]]
            value += -sum(t * (x - log_sum)
                          for t, x in zip(targets, logits)) / len(rows)
            for c, center in enumerate(centers):
                d_logit = math.exp(logits[c] - log_sum) - targets[c]
                for b in range(k):
                    d_cos = center[b] / (norm * math.sqrt(k)) - \
                        cosine[c] * u[i, b] / norm**2
                    grad[i, b] += d_logit * scale * d_cos / len(rows)
        for i in range(n):
            for b in range(k):
                value += weight * (abs(u[i, b]) - 1)**2 / (n * k)
                grad[i, b] += weight * 2 * (abs(u[i, b]) - 1) * \
                    sign(u[i, b]) / (n * k)
        return value, grad

    return reference


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label', 'huge'])
@pytest.mark.parametrize('scale,margin,weight,kind',
                         [(None, 0.2, 0.0, 'hadamard'),
                          (5.0, 0.4, 0.1, 'random'),
                          (2.0, 0.0, 0.0, 'min_distance')])
def test_value_and_gradient_match_reference(batch, scale, margin, weight,
                                            kind):
    codes, labels = class_target_batches(NUM_CLASSES)[batch]
    loss = OrthoHashLoss(
        NUM_CLASSES,
        8,
        scale=scale,
        margin=margin,
        quantization_weight=weight,
        centers=kind).double()
    assert loss.scale == (math.sqrt(8) if scale is None else scale)
    check_value_and_gradient(
        loss, codes, labels,
        reference_orthohash(loss, loss.scale, margin, weight))


def test_defaults():
    loss = OrthoHashLoss(10, 64)
    assert (loss.scale, loss.margin, loss.quantization_weight) == \
        (8.0, 0.2, 0.0)  # sqrt(64)
    with pytest.raises(ValueError, match='scale'):
        OrthoHashLoss(10, 64, scale=0)


def head(**kwargs):
    built = MODELS.build(
        dict(
            type='OrthoHashHead',
            num_bits=8,
            in_channels=6,
            loss=dict(type='OrthoHashLoss', num_classes=NUM_CLASSES),
            **kwargs))
    built.init_weights()
    return built


def test_head_codes_are_the_signs_of_the_normalised_outputs():
    model = head()
    assert model.loss_module.num_bits == 8
    feats = (torch.randn(16, 6) + 3.0, )
    model.train()
    labels = torch.eye(NUM_CLASSES)[torch.arange(16) % NUM_CLASSES]
    losses = model.loss(feats, [
        DataSample().set_gt_label(int(i)).set_gt_score(row)
        for i, row in zip(labels.argmax(1), labels)
    ])
    assert torch.isfinite(losses['loss'])
    model.eval()
    samples = model.predict(feats)
    normalised = model.bn(model.fch(feats[0]))
    codes = torch.stack([s.hash_code for s in samples])
    assert torch.equal(codes, torch.where(normalised >= 0, 1.0, -1.0))
    # The shift of the batch normalisation changes codes: sign(z) alone
    # would not be the code.
    assert torch.equal(
        torch.stack([s.hash_logits for s in samples]), normalised)


def test_head_normalisation_without_affine_by_default():
    assert head().bn.weight is None
    assert head(affine=True).bn.weight is not None


@pytest.mark.parametrize('num_bits', [16, 32, 64, 128])
def test_scale_is_sqrt_k_by_default_the_released_8_a_switch(num_bits):
    assert OrthoHashLoss(10, num_bits).scale == math.sqrt(num_bits)
    assert OrthoHashLoss(10, num_bits, scale=8).scale == 8.0


def reference_cosine_quantization(weight):
    """(value, gradient): weight * mean_i (1 - cos(u_i, sign(u_i))), the
    sign held constant (the released code's ``'cs'``)."""

    def reference(u, labels):
        n, k = u.shape
        value, grad = 0.0, np.zeros((n, k))
        for i in range(n):
            signs = [1.0 if x >= 0 else -1.0 for x in u[i]]
            norm = math.sqrt(sum(x * x for x in u[i]))
            cosine = sum(x * s for x, s in zip(u[i], signs)) / \
                (norm * math.sqrt(k))
            value += weight * (1 - cosine) / n
            for b in range(k):
                d_cos = signs[b] / (norm * math.sqrt(k)) - \
                    cosine * u[i, b] / norm**2
                grad[i, b] -= weight * d_cos / n
        return value, grad

    return reference


@pytest.mark.parametrize('batch', ['all_similar', 'multi_label'])
def test_released_cosine_quantization_matches_reference(batch):
    codes, labels = class_target_batches(NUM_CLASSES)[batch]
    loss = OrthoHashLoss(
        NUM_CLASSES, 8, quantization_weight=0.7,
        quantization_type='cs').double()
    plain = OrthoHashLoss(NUM_CLASSES, 8).double()
    ce_ref = reference_orthohash(plain, plain.scale, 0.2, 0.0)
    cs_ref = reference_cosine_quantization(0.7)

    def reference(u, labels):
        (v1, g1), (v2, g2) = ce_ref(u, labels), cs_ref(u, labels)
        return v1 + v2, g1 + g2

    check_value_and_gradient(loss, codes, labels, reference)


def test_bad_quantization_type():
    assert OrthoHashLoss(10, 64).quantization_type == 'l2'
    with pytest.raises(ValueError, match='quantization_type'):
        OrthoHashLoss(10, 64, quantization_type='l1')
