"""CNNH stage 1: target codes for the training images of a CNNH config.

Learns H in {-1, +1}^{n x K} with (1/K) H H^T close to the similarity
matrix S of the n training images (S_ij = +1 if images i and j share a
label, else -1), as in Xia et al., AAAI 2014:

    min_H || S - (1/K) H H^T ||_F^2,  relaxed to H in [-1, 1]^{n x K},

by randomized coordinate descent (each sweep visits every entry H_ij once
in random order and moves it by the Newton step of the objective in that
entry, clipped to [-1, 1]), then H = sgn(H). Stage 2 trains the config's
``TargetCodeHashHead`` on the written codes:

    python tools/cnnh_targets.py configs/cnnh/cnnh_resnet18cifar_1xb64_fashionmnist_64bit.py
    python tools/train.py configs/cnnh/cnnh_resnet18cifar_1xb64_fashionmnist_64bit.py

The config is 64 bits; another length K takes the same option in both
stages (the target file, ``cnnh_targets_{num_bits}bit.npz``, is one a K):

    python tools/cnnh_targets.py configs/cnnh/cnnh_resnet18cifar_1xb64_fashionmnist_64bit.py \
        --cfg-options model.head.num_bits=32
    python tools/train.py configs/cnnh/cnnh_resnet18cifar_1xb64_fashionmnist_64bit.py \
        --cfg-options model.head.num_bits=32

Memory: two n x n float64 matrices (n = 5,000: 400 MB).
"""  # noqa: E501
import argparse
import os
import os.path as osp
from typing import List, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from hashnet_mm.codes import sign_codes
from hashnet_mm.models.heads.target_code_head import save_target_codes


def similarity_matrix(labels: np.ndarray) -> np.ndarray:
    """S (n, n) float64: +1 where two images share a label, else -1; the
    diagonal is +1."""
    labels = np.asarray(labels, dtype=np.float64)
    similar = labels @ labels.T > 0
    np.fill_diagonal(similar, True)
    return np.where(similar, 1.0, -1.0)


def objective(similarity: np.ndarray, codes: np.ndarray) -> float:
    """|| S - (1/K) H H^T ||_F^2 / n^2, the mean squared error."""
    residual = similarity - codes @ codes.T / codes.shape[1]
    return float((residual**2).mean())


def entry_coefficients(residual: np.ndarray, column: np.ndarray,
                       column_norm: float, i: int) -> Tuple[float, ...]:
    """(a1, a2, a3) such that moving H_ij by d changes
    ||H H^T - K S||_F^2 by a1 d + a2 d^2 + a3 d^3 + d^4, given
    R = H H^T - K S, the column H_:j and its squared norm:
    a1 = 4 (R H)_ij, a2 = 2 (||H_:j||^2 + H_ij^2 + R_ii), a3 = 4 H_ij."""
    h = column[i]
    return (4.0 * residual[i] @ column,
            2.0 * (column_norm + h * h + residual[i, i]), 4.0 * h)


def coordinate_step(a1: float, a2: float, a3: float, low: float,
                    high: float) -> float:
    """The step d in [low, high] that most lowers
    f(d) = a1 d + a2 d^2 + a3 d^3 + d^4 among the Newton step -a1 / (2 a2)
    (clipped), the two ends and 0, so the objective never increases."""
    candidates = [0.0, low, high]
    if a2 > 0:
        candidates.append(min(max(-a1 / (2 * a2), low), high))
    values = [d * (a1 + d * (a2 + d * (a3 + d))) for d in candidates]
    return candidates[int(np.argmin(values))]


def learn_target_codes(similarity: np.ndarray,
                       num_bits: int,
                       sweeps: int = 10,
                       seed: int = 0) -> Tuple[np.ndarray, List[float]]:
    """Codes (n, K) int8 in {-1, +1} approximating ``similarity``, and the
    relaxed objective (:func:`objective`) after each sweep. H starts
    uniform in [-1, 1]; R = H H^T - K S is kept up to date in O(n) a step.
    """
    similarity = np.asarray(similarity, dtype=np.float64)
    n = len(similarity)
    if similarity.shape != (n, n) or not np.allclose(similarity, similarity.T):
        raise ValueError('similarity must be a symmetric (n, n) matrix, got '
                         f'shape {similarity.shape}')
    if num_bits < 1 or sweeps < 1:
        raise ValueError(f'need num_bits >= 1 and sweeps >= 1, got '
                         f'{num_bits} and {sweeps}')
    rng = np.random.default_rng(seed)
    codes = rng.uniform(-1, 1, size=(n, num_bits))
    residual = codes @ codes.T - num_bits * similarity
    column_norms = (codes**2).sum(axis=0)
    history = []
    for _ in range(sweeps):
        for flat in rng.permutation(n * num_bits):
            i, j = divmod(int(flat), num_bits)
            column, h = codes[:, j], codes[i, j]
            d = coordinate_step(
                *entry_coefficients(residual, column, column_norms[j], i),
                -1.0 - h, 1.0 - h)
            if d == 0.0:
                continue
            delta = d * column
            residual[i] += delta
            residual[:, i] += delta
            residual[i, i] += d * d
            column_norms[j] += (h + d)**2 - h * h
            codes[i, j] = h + d
        history.append(float((residual**2).mean()) / num_bits**2)
    return sign_codes(torch.from_numpy(codes)).numpy().astype(np.int8), \
        history


def training_labels(cfg: Config) -> Tuple[List[str], np.ndarray]:
    """Image paths and (n, C) multi-hot labels of the config's training
    set, in its sample order (``sample_idx``)."""
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import DATASETS

    import hashnet_mm  # noqa: F401  (registers HashListDataset)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if not all('img_path' in info and 'gt_label' in info for info in infos):
        raise TypeError('the training set must give each sample an img_path '
                        'and gt_label (e.g. HashListDataset), got '
                        f'{type(dataset).__name__}')
    labels = np.zeros((len(infos), len(dataset.metainfo['classes'])),
                      dtype=np.int64)
    for row, info in zip(labels, infos):
        row[info['gt_label']] = 1
    return [info['img_path'] for info in infos], labels


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='CNNH stage 1: target codes for a config\'s training set')
    parser.add_argument('config', help='a CNNH config (TargetCodeHashHead)')
    parser.add_argument(
        '--bits',
        type=int,
        help='code length (default: the config\'s num_bits)')
    parser.add_argument(
        '--out',
        help='output .npz (default: the config\'s '
        'model.head.targets_file)')
    parser.add_argument(
        '--sweeps',
        type=int,
        default=10,
        help='coordinate-descent sweeps over all entries')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    num_bits = args.bits or cfg.model.head.num_bits
    out = args.out or cfg.model.head.get('targets_file')
    if not out:
        raise ValueError(f'{args.config} has no model.head.targets_file; '
                         'give --out')
    out = out.format(num_bits=num_bits)
    paths, labels = training_labels(cfg)
    codes, history = learn_target_codes(
        similarity_matrix(labels), num_bits, args.sweeps, args.seed)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    save_target_codes(out, codes, paths)
    print(f'{num_bits}-bit CNNH targets for {len(paths)} training images '
          f'written to {out}; || S - H H^T / K ||^2 / n^2 by sweep: ' +
          ' '.join(f'{v:.4f}' for v in history) +
          f'; binarised: {objective(similarity_matrix(labels), codes):.4f}')
    return out


if __name__ == '__main__':
    main()
