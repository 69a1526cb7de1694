"""HashInferencer: config (path or object) + checkpoint -> codes of image
paths or arrays, checked against the model's own test step."""
import glob
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmpretrain.apis import get_model
from mmpretrain.registry import TRANSFORMS

from hashnet_mm.apis import HashInferencer, inference_pipeline_config
from hashnet_mm.utils.checkpoint import CheckpointError, load_model_weights


def reference_logits(config, checkpoint, paths):
    """z of each image, one at a time through the test pipeline."""
    cfg = Config.fromfile(config)
    model = get_model(cfg)
    load_model_weights(model, checkpoint)
    pipeline = Compose(
        [TRANSFORMS.build(t) for t in inference_pipeline_config(cfg)])
    with torch.no_grad():
        return torch.stack([
            model.test_step(pseudo_collate([pipeline(dict(img_path=p))
                                            ]))[0].hash_logits for p in paths
        ]).numpy()


def images_of(root):
    return sorted(glob.glob(osp.join(root, 'images', '*.png')))[:11]


def test_codes_logits_and_packing(model_files):  # noqa: F811
    config, checkpoint, root = model_files
    paths = images_of(root)
    z = reference_logits(config, checkpoint, paths)
    inferencer = HashInferencer(config, checkpoint, device='cpu')
    assert inferencer.num_bits == 16
    out = inferencer(paths, batch_size=4, with_logits=True)
    assert out['codes'].dtype == np.int8 and out['codes'].shape == (11, 16)
    np.testing.assert_array_equal(out['codes'], np.where(z >= 0, 1, -1))
    np.testing.assert_allclose(out['logits'], z, rtol=1e-5, atol=1e-6)
    packed = inferencer(paths, batch_size=3, packed=True)['codes']
    assert packed.shape == (11, 2) and packed.dtype == np.uint8
    bits = np.unpackbits(packed, axis=1, bitorder='little')[:, :16]
    np.testing.assert_array_equal(bits.astype(int) * 2 - 1, out['codes'])


def test_arrays_paths_folders_and_config_objects_agree(
        model_files):  # noqa: F811,E501
    config, checkpoint, root = model_files
    paths = images_of(root)[:3]
    from_path = HashInferencer(config, checkpoint, device='cpu')(paths)
    from_cfg = HashInferencer(Config.fromfile(config), checkpoint, 'cpu')
    arrays = [mmcv.imread(p) for p in paths]
    np.testing.assert_array_equal(
        from_cfg(arrays)['codes'], from_path['codes'])
    single = from_cfg(paths[0])['codes']
    np.testing.assert_array_equal(single, from_path['codes'][:1])
    folder = from_cfg(osp.join(root, 'images'), batch_size=16)['codes']
    assert len(folder) == len(glob.glob(osp.join(root, 'images', '*.png')))
    samples = from_cfg(paths, return_datasamples=True)
    assert [s.hash_code.shape for s in samples] == [(16, )] * 3


def test_loading_is_strict(tmp_path, model_files):  # noqa: F811
    config, checkpoint, _ = model_files
    wider = Config.fromfile(config)
    wider.merge_from_dict({'model.head.num_bits': 32})
    with pytest.raises(
            CheckpointError,
            match='head.fch.bias: checkpoint '
            r'\(16,\), model \(32,\)'):
        HashInferencer(wider, checkpoint, 'cpu')
    partial = HashInferencer(wider, checkpoint, 'cpu', strict=False)
    assert partial.num_bits == 32


def test_unreadable_image_is_named(tmp_path, model_files):  # noqa: F811
    config, checkpoint, _ = model_files
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    with pytest.raises(
            RuntimeError,
            match=r'HashInferencer: cannot load '
            r'image .*empty.jpg: the file is empty \(0 bytes\)'):
        HashInferencer(config, checkpoint, 'cpu')([str(empty)])
