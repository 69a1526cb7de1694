"""tools/extract_features.py and tools/shallow_hash.py end to end."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from hashnet_mm.shallow import ITQCCA
from hashnet_mm.shallow.evaluate import retrieval_map
from hashnet_mm.shallow.feature_files import load_features, save_features
from ..test_tools.test_train_test import REPO, run_tool, write_config
from .data import separable_split


def load_tool(name):
    """A tool script as a module, to call its parts in this process."""
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def checkpoint(tmp_path, tiny_single_label):
    """A tiny config and a checkpoint of its (untrained) model."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint
    from mmpretrain.registry import MODELS
    config = write_config(str(tmp_path / 'cfg.py'), tiny_single_label, 1)
    init_default_scope('mmpretrain')
    model = MODELS.build(Config.fromfile(config).model)
    model.init_weights()
    path = str(tmp_path / 'model.pth')
    save_checkpoint(model.state_dict(), path)
    return config, path, model


def extract(config, checkpoint, out, *extra):
    run_tool('tools/extract_features.py', config, checkpoint, '--split',
             'query', '--out', out, '--device', 'cpu', '--num-workers', '0',
             '--batch-size', '3', *extra)
    return load_features(out, 'query')


@pytest.mark.slow
def test_features_ids_and_labels_of_a_split(tmp_path, checkpoint,
                                            tiny_single_label):
    config, path, model = checkpoint
    neck = extract(config, path, str(tmp_path / 'neck'))
    with open(osp.join(tiny_single_label, 'query.txt')) as f:
        lines = [line.split() for line in f.read().splitlines()]
    assert neck['ids'] == [line[0] for line in lines]
    assert neck['labels'].tolist() == [[int(v) for v in line[1:]]
                                       for line in lines]
    assert neck['features'].shape == (8, 128)
    # The first image by hand: BGR as mmcv loads it, config normalisation.
    image = np.asarray(
        Image.open(osp.join(tiny_single_label, lines[0][0])),
        dtype=np.float32)[..., ::-1]
    inputs = torch.from_numpy((image - 128) / 64).permute(2, 0, 1)[None]
    model.eval()
    with torch.no_grad():
        expected = model.extract_feat(inputs.contiguous())[-1][0].numpy()
    assert np.allclose(neck['features'][0], expected, atol=1e-4)
    # Averaging the backbone's last feature map in the hook = the neck.
    backbone = extract(config, path, str(tmp_path / 'backbone'), '--layer',
                       'backbone')
    assert np.allclose(backbone['features'], neck['features'], atol=1e-5)


def test_unknown_layer_is_named(checkpoint):
    _, _, model = checkpoint
    tool = load_tool('extract_features')
    with pytest.raises(ValueError, match="no layer 'backbone.nope'"):
        tool.LayerOutput(model, 'backbone.nope')
    layer = tool.LayerOutput(model, 'head')  # not run by extract_feat
    model.extract_feat(torch.zeros(1, 3, 32, 32))
    with pytest.raises(RuntimeError, match="layer 'head' was not called"):
        layer.pop()


@pytest.fixture
def feature_dir(tmp_path):
    splits = (('train', 300), ('query', 40), ('database', 200))
    for seed, (split, n) in enumerate(splits):
        x, labels = separable_split(n, seed=seed)
        save_features(
            str(tmp_path), split, x, [f'{split}{i}' for i in range(n)], labels)
    return str(tmp_path)


@pytest.mark.slow
def test_shallow_hash_prints_a_table_row_per_method(tmp_path, feature_dir):
    out = str(tmp_path / 'result.json')
    stdout = run_tool('tools/shallow_hash.py', feature_dir, '--methods', 'lsh',
                      'itq-cca', '--bits', '4', '8', '--json', out,
                      '--options', 'itq-cca.num_iters=10')
    assert '| method | 4 bits | 8 bits |' in stdout
    with open(out) as f:
        rows = {row['method']: row['map'] for row in json.load(f)['rows']}
    assert f'| ITQ-CCA | {rows["ITQ-CCA"]["4"]:.4f} |' in stdout
    # The same number as fitting and scoring directly.
    data = {
        s: load_features(feature_dir, s)
        for s in ('train', 'query', 'database')
    }
    model = ITQCCA(
        8, num_iters=10).fit(data['train']['features'],
                             data['train']['labels'])
    assert rows['ITQ-CCA']['8'] == pytest.approx(
        retrieval_map(
            model.encode(data['query']['features']), data['query']['labels'],
            model.encode(data['database']['features']),
            data['database']['labels']))
    assert rows['ITQ-CCA']['8'] > rows['LSH']['8']


def test_shallow_hash_builds_each_method_by_its_name():
    tool = load_tool('shallow_hash')
    assert sorted(tool.METHODS) == [
        'bre', 'itq', 'itq-cca', 'ksh', 'lsh', 'sh', 'vdsh', 'vdsh-backprop'
    ]
    for name, (type_name, _) in tool.METHODS.items():
        hasher = tool.build_method(name, 8, seed=3)
        assert type(hasher).__name__ == type_name
        assert (hasher.num_bits, hasher.seed) == (8, 3)
    assert tool.build_method(
        'ksh', 8, options=dict(num_anchors=7)).kernel.num_anchors == 7
    with pytest.raises(SystemExit, match='ksh: bad --options'):
        tool.build_method('ksh', 8, options=dict(num_anchor=7))
    with pytest.raises(
            ValueError,
            match=r"unknown method 'ITQ'; choose "
            r"from \['bre', 'itq', "):
        tool.build_method('ITQ', 8)


def test_shallow_hash_rejects_bad_features(feature_dir, monkeypatch):
    features = np.load(osp.join(feature_dir, 'query.npy'))
    features[3, 1] = np.nan
    np.save(osp.join(feature_dir, 'query.npy'), features)
    tool = load_tool('shallow_hash')
    monkeypatch.setattr('sys.argv', ['shallow_hash.py', feature_dir])
    with pytest.raises(ValueError, match='query.npy: row 3 has a NaN'):
        tool.main()
    monkeypatch.setattr(
        'sys.argv',
        ['shallow_hash.py', feature_dir, '--options', 'kshh.num_anchors=3'])
    with pytest.raises(SystemExit, match="'kshh' is not a method"):
        tool.main()
