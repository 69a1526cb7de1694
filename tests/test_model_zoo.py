"""The model zoo's index: model-index.yml imports a metafile.yml a method
folder, every config of the zoo is one model of one metafile, and each
method folder documents its configs in a README."""
import glob
import os
import os.path as osp
import re

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs')
# Not method folders: inherited parts and the precomputed-feature configs.
NOT_METHODS = ('_base_', 'feature_track')
METHOD_FOLDERS = sorted(
    name for name in os.listdir(CONFIGS)
    if osp.isdir(osp.join(CONFIGS, name)) and name not in NOT_METHODS)
ZOO_NAME = re.compile(r'^[a-z0-9-]+_[a-z0-9-]+_(?P<gpus>\d+)xb(?P<batch>\d+)'
                      r'_[a-z0-9-]+_(?P<bits>\d+)bit$')


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def zoo_configs():
    """Every config of a method folder (the root alias, _base_/ and
    feature_track/ are not models of the zoo)."""
    return sorted(
        path for folder in METHOD_FOLDERS
        for path in glob.glob(osp.join(CONFIGS, folder, '*.py')))


def metafiles():
    index = load_yaml(osp.join(REPO, 'model-index.yml'))
    return index['Import']


def all_models():
    return [(path, model) for path in metafiles()
            for model in load_yaml(osp.join(REPO, path))['Models']]


def test_method_folders():
    assert METHOD_FOLDERS == [
        'cnnh', 'csq', 'dhn', 'dnnh', 'dpn', 'dpsh', 'dsh', 'greedyhash',
        'hashnet', 'hashnet_c', 'hashnet_w', 'orthohash'
    ]
    for folder in METHOD_FOLDERS:
        for name in ('README.md', 'metafile.yml'):
            assert osp.isfile(osp.join(CONFIGS, folder, name)), (folder, name)


def test_model_index_imports_every_metafile():
    imported = metafiles()
    assert len(imported) == len(set(imported))
    assert sorted(imported) == [
        f'configs/{folder}/metafile.yml' for folder in METHOD_FOLDERS
    ]


def test_every_zoo_config_is_one_model():
    models = all_models()
    configs = [model['Config'] for _, model in models]
    assert len(configs) == len(set(configs)), 'a config in two models'
    expected = [osp.relpath(path, REPO) for path in zoo_configs()]
    assert sorted(configs) == expected
    names = [model['Name'] for _, model in models]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    'metafile',
    [f'configs/{folder}/metafile.yml' for folder in METHOD_FOLDERS])
def test_metafile(metafile):
    content = load_yaml(osp.join(REPO, metafile))
    folder = osp.dirname(metafile)
    (collection, ) = content['Collections']
    for key in ('Training Data', 'Architecture'):
        assert collection['Metadata'][key], (metafile, key)
    assert collection['Paper']['URL'].startswith('https://')
    assert collection['Paper']['Title']
    assert collection['README'] == f'{folder}/README.md'
    assert osp.isfile(osp.join(REPO, collection['Code']['URL']))
    for model in content['Models']:
        config = model['Config']
        assert osp.dirname(config) == folder, config
        assert osp.isfile(osp.join(REPO, config)), config
        assert model['Name'] == osp.splitext(osp.basename(config))[0]
        assert model['In Collection'] == collection['Name']
        assert 'Weights' not in model  # none are shipped
        name = ZOO_NAME.match(model['Name'])
        assert name, model['Name']
        metadata = model['Metadata']
        assert metadata['Code Length'] == int(name['bits'])
        assert metadata['Batch Size'] == int(name['batch'])
        assert metadata['Training Data'] in \
            collection['Metadata']['Training Data']
        results = model['Results']
        if results is not None:
            for result in results:
                assert result['Task'] == 'Image Retrieval'
                assert result['Dataset'] == metadata['Training Data']
                assert set(result['Metrics']) == {'mAP'}
                assert 0 < result['Metrics']['mAP'] <= 1


def test_measured_results():
    """A result only where a measurement of that config on its own
    schedule exists (docs/en/benchmarks/demo.md)."""
    measured = {
        model['Name']: model['Results'][0]['Metrics']['mAP']
        for _, model in all_models() if model['Results']
    }
    assert measured == {
        'hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit': 0.7534
    }


CONFIG_NAME = re.compile(r'[\w./-]*?[\w-]+_\d+xb\d+_[\w-]+_\d+bit\.py')


@pytest.mark.parametrize('folder', METHOD_FOLDERS)
def test_readme_names_existing_configs(folder):
    with open(osp.join(CONFIGS, folder, 'README.md')) as f:
        readme = f.read()
    named = set(CONFIG_NAME.findall(readme))
    assert named, f'configs/{folder}/README.md names no config'
    for name in named:
        candidates = [
            osp.join(REPO, name),
            osp.join(CONFIGS, name),
            osp.join(CONFIGS, folder, name)
        ]
        assert any(osp.isfile(path) for path in candidates), (folder, name)


def test_model_zoo_page_lists_every_model():
    with open(osp.join(REPO, 'docs', 'en', 'model_zoo.md')) as f:
        page = f.read()
    missing = [
        model['Name'] for _, model in all_models()
        if f"`{model['Name']}.py`" not in page
    ]
    assert not missing
