"""Features of a fixed pretrained network for every split of a dataset,
extracted once and cached as feature files
(:mod:`hashnet_mm.shallow.feature_files`).

An extraction config names the network (``model``, the weights in its
backbone's ``init_cfg.checkpoint``), the image datasets (its train and test
loaders, read with the test pipeline) and ``feature_dir``, where the files
go. Each split's files are followed by ``{split}_source.json``, written
last: the digest of what produced them (the model and dataset configs, the
weights file's size and modification time, the layer) and the row count.
A split is skipped when that record matches and the files load
(:func:`load_features`) with the dataset's ids in order; anything else (a
missing record after an interrupted run, other settings, damaged files) is
extracted again. A split whose images all lie in a split already done
(the mosaics' training images are database images) is copied from it; the
largest split goes first.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.registry import DATASETS, MODELS

from ..apis.feature_extraction import (LayerOutput, extract, multi_hot,
                                       split_dataset_cfg)
from ..shallow.feature_files import (SPLITS, feature_paths, load_features,
                                     save_features)

#: the layer whose output is the feature (global average pooling)
LAYER = 'neck'


def source_path(folder: str, split: str) -> str:
    return osp.join(folder, f'{split}_source.json')


def weights_file(cfg: Config) -> str:
    """The backbone's pretrained checkpoint named by the config."""
    init = (cfg.model.backbone.get('init_cfg') or {})
    path = init.get('checkpoint')
    if not path:
        raise ValueError('the extraction config needs '
                         'model.backbone.init_cfg.checkpoint (the weights)')
    return path


def source_record(cfg: Config, split: str) -> dict:
    """What produces a split's features: a digest of the model, the split's
    dataset config and the weights file's identity (size, mtime)."""
    weights = weights_file(cfg)
    if not osp.isfile(weights):
        raise FileNotFoundError(f'{weights}: the pretrained weights are '
                                'missing')
    stat = os.stat(weights)
    text = json.dumps(
        dict(
            model=cfg.model.to_dict(),
            preprocessor=cfg.data_preprocessor.to_dict(),
            dataset=split_dataset_cfg(cfg, split).to_dict(),
            layer=LAYER,
            weights=[osp.abspath(weights), stat.st_size,
                     int(stat.st_mtime)]),
        sort_keys=True,
        default=str)
    return dict(
        digest=hashlib.sha256(text.encode()).hexdigest(),
        weights=weights,
        layer=LAYER)


def dataset_ids(dataset) -> list:
    """Image paths relative to the dataset's image folder, in order."""
    return [
        osp.relpath(dataset.get_data_info(i)['img_path'], dataset.img_prefix)
        for i in range(len(dataset))
    ]


def cached(folder: str, split: str, record: dict, ids: Sequence[str]) -> bool:
    """Whether the split's files are complete, valid and of ``record``."""
    path = source_path(folder, split)
    if not osp.isfile(path):
        return False
    with open(path) as f:
        saved = json.load(f)
    if saved.get('digest') != record['digest'] or \
            saved.get('rows') != len(ids):
        return False
    try:
        files = load_features(folder, split)
    except (ValueError, OSError):
        return False
    return files['ids'] == list(ids)


def build_model(cfg: Config, device: str) -> torch.nn.Module:
    """The config's model with the backbone weights loaded: every backbone
    parameter must come from the checkpoint."""
    model_cfg = cfg.model.copy()
    model_cfg.backbone = {
        k: v
        for k, v in model_cfg.backbone.items() if k != 'init_cfg'
    }
    model_cfg.data_preprocessor = dict(
        type='ClsDataPreprocessor', **cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    state = _load_checkpoint(weights_file(cfg), map_location='cpu')
    state = state.get('state_dict', state)
    unknown = [k for k in state if k not in model.state_dict()]
    try:
        if unknown:
            raise RuntimeError(f'keys the model does not have: {unknown[:5]}')
        # Only the backbone makes features; it must be loaded whole.
        model.backbone.load_state_dict(
            {
                k[len('backbone.'):]: v
                for k, v in state.items() if k.startswith('backbone.')
            },
            strict=True)
    except RuntimeError as error:
        raise ValueError(f'{weights_file(cfg)} does not fit the backbone: '
                         f'{error}') from error
    return model.to(device).eval()


def ensure_features(config: str,
                    splits: Sequence[str] = SPLITS,
                    feature_dir: Optional[str] = None,
                    batch_size: int = 64,
                    device: str = 'cpu',
                    logger=print) -> Dict[str, str]:
    """Extract (or keep) the features of ``splits`` of ``config``'s
    datasets into ``feature_dir`` (default: the config's). Returns, per
    split, ``'cached'``, ``'copied'`` (from another split) or
    ``'extracted'``."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    folder = feature_dir or cfg.get('feature_dir')
    if not folder:
        raise ValueError(f'{config}: set feature_dir (or pass one)')
    os.makedirs(folder, exist_ok=True)
    built = {
        split: DATASETS.build(split_dataset_cfg(cfg, split))
        for split in splits
    }
    datasets, status, model = {}, {}, None
    # The largest first, so that a split inside another is copied from it.
    for split in sorted(splits, key=lambda s: -len(built[s])):
        dataset = built[split]
        record, ids = source_record(cfg, split), dataset_ids(dataset)
        if cached(folder, split, record, ids):
            status[split] = 'cached'
            logger(f'{split}: {folder} holds its features, nothing to do')
            datasets[split] = (dataset, ids)
            continue
        osp.isfile(source_path(folder, split)) and os.remove(
            source_path(folder, split))
        labels = multi_hot(dataset)
        features = copy_from_done(folder, status, datasets, ids, labels)
        if features is not None:
            status[split] = 'copied'
        else:
            if model is None:
                model = build_model(cfg, device)
                layer = LayerOutput(model, LAYER)
            logger(f'{split}: extracting {len(ids)} images into {folder}')
            features = extract(model, dataset, layer, batch_size, 0)
            status[split] = 'extracted'
        save_features(folder, split, features, ids, labels)
        with open(source_path(folder, split), 'w') as f:
            json.dump(dict(record, rows=len(ids)), f, indent=1)
        logger(f'{split}: {features.shape[0]} x {features.shape[1]} '
               f'features {status[split]} -> '
               f'{feature_paths(folder, split)["features"]}')
        datasets[split] = (dataset, ids)
    return {split: status[split] for split in splits}


def copy_from_done(folder, status, datasets, ids, labels):
    """The rows of an already written split when every id of this one is
    among its ids with the same labels (same pipeline: the test one), else
    None."""
    for split in status:
        done = load_features(folder, split)
        index = {i: row for row, i in enumerate(done['ids'])}
        if all(i in index for i in ids):
            rows = np.array([index[i] for i in ids], dtype=np.int64)
            if np.array_equal(done['labels'][rows], labels):
                return done['features'][rows]
    return None
