"""hashnet_mm as a plugin: the configs ship with the package, and a user's
config outside the clone inherits them by one line and trains, with this
project's tools/train.py and with mmpretrain's own."""
import glob
import os
import os.path as osp
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import hashnet_mm

from .tiny_data import write_tiny_dataset

pytestmark = pytest.mark.slow

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
INHERIT_LINE = ("_base_ = [__import__('hashnet_mm').config_file("
                "'hashnet_resnet50_coco_64bit.py')]")
USER_CONFIG = INHERIT_LINE + """
model = dict(backbone=dict(_delete_=True, type='ResNet', depth=18),
             head=dict(in_channels=512))
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False)
train_cfg = dict(max_iters=2, val_interval=100)
"""


def test_readme_shows_the_inherit_line():
    with open(osp.join(REPO, 'README.md')) as f:
        readme = f.read()
    block = readme.split('<!-- inherit line -->', 1)[1].split('```')[1]
    assert block.strip().splitlines()[-1] == INHERIT_LINE


def test_config_file_finds_the_shipped_configs():
    path = hashnet_mm.config_file('hashnet_resnet50_coco_64bit.py')
    assert osp.isfile(path) and osp.isfile(osp.join(
        osp.dirname(path), '_base_', 'default_runtime.py'))
    with pytest.raises(FileNotFoundError, match="no config 'nope.py'"):
        hashnet_mm.config_file('nope.py')


def test_the_wheel_ships_the_configs(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
                    '--no-build-isolation', REPO, '-w', str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel, ) = glob.glob(str(tmp_path / '*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    for config in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                            recursive=True):
        relative = osp.relpath(config, osp.join(REPO, 'configs'))
        assert f'hashnet_mm/configs/{relative}' in names, relative
    # Installed from the wheel, config_file finds the shipped copy.
    target = tmp_path / 'site'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q',
                    '--no-deps', '--target', str(target), wheel],
                   check=True, capture_output=True)
    found = subprocess.run(
        [sys.executable, '-W', 'ignore', '-c', 'import hashnet_mm; print('
         "hashnet_mm.config_file('hashnet_resnet50_coco_64bit.py'))"],
        env=dict(os.environ, PYTHONPATH=str(target)), cwd=tmp_path,
        capture_output=True, text=True, check=True).stdout.split()[-1]
    assert found == str(target / 'hashnet_mm' / 'configs' /
                        'hashnet_resnet50_coco_64bit.py')


@pytest.fixture
def user_setup(tmp_path):
    """A scratch folder outside the clone: made images with COCO's 80
    labels, and the user's 5-line config."""
    rng = np.random.default_rng(0)
    labels = {split: np.eye(80, dtype=np.int64)[rng.integers(6, size=n)]
              for split, n in (('train', 8), ('query', 4), ('database', 8))}
    data = write_tiny_dataset(str(tmp_path / 'data'), labels)
    user = tmp_path / 'user'
    user.mkdir()
    (user / 'my_hashnet.py').write_text(USER_CONFIG)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return user, data, env


def run(command, cwd, env):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + \
        result.stderr[-3000:]
    return result


def test_user_config_trains_with_this_projects_train_tool(user_setup):
    user, data, env = user_setup
    run([sys.executable, osp.join(REPO, 'tools', 'train.py'), 'my_hashnet.py',
         '--work-dir', 'work', '--data-root', data], user, env)
    assert (user / 'work' / 'iter_2.pth').exists()


def test_user_config_trains_with_mmpretrains_train_tool(user_setup):
    """mmpretrain's tools/train.py (shipped in its wheel) reads the same
    config: it has no --data-root, so the dataset roots are given one by
    one."""
    import mmpretrain
    tool = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                    'train.py')
    user, data, env = user_setup
    roots = [f'{loader}.dataset.{split}data_root={data}'
             for loader, split in (('train_dataloader', ''),
                                   ('val_dataloader', 'query.'),
                                   ('val_dataloader', 'database.'),
                                   ('test_dataloader', 'query.'),
                                   ('test_dataloader', 'database.'))]
    run([sys.executable, tool, 'my_hashnet.py', '--work-dir', 'work',
         '--cfg-options', *roots], user, env)
    assert (user / 'work' / 'iter_2.pth').exists()
