"""hashnet_mm as a plugin: the configs ship with the package, and a user's
config outside the clone inherits them by one line and trains, with this
project's tools/train.py and with mmpretrain's own."""
import glob
import importlib.util
import json
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
    assert osp.isfile(path) and osp.isfile(
        osp.join(osp.dirname(path), '_base_', 'default_runtime.py'))
    with pytest.raises(FileNotFoundError, match="no config 'nope.py'"):
        hashnet_mm.config_file('nope.py')


def test_config_dir_prefers_the_shipped_copy(tmp_path, monkeypatch):
    """``.mim/configs`` first (an installed package), the source tree's
    ``configs`` next; a link (an editable install) is followed to the
    source tree's folder; neither is an error naming both."""
    from hashnet_mm import config_files
    shipped, source = tmp_path / 'pkg' / '.mim' / 'configs', tmp_path / 'cfg'
    (source / '_base_').mkdir(parents=True)
    monkeypatch.setattr(config_files, 'CONFIG_DIRS',
                        (str(shipped), str(source)))
    assert config_files.config_dir() == str(source)
    shipped.parent.mkdir(parents=True)
    shipped.symlink_to(source)
    assert config_files.config_dir() == osp.realpath(source)
    shipped.unlink()
    (shipped / '_base_').mkdir(parents=True)
    assert config_files.config_dir() == str(shipped)
    monkeypatch.setattr(config_files, 'CONFIG_DIRS',
                        (str(tmp_path / 'a'), str(tmp_path / 'b')))
    with pytest.raises(FileNotFoundError, match='no configs found in .*a or'):
        config_files.config_dir()


def test_console_commands_run_the_tools(capsys):
    """The console scripts (hashnet-train, ...: the functions of
    hashnet_mm.entry_points) run their tool's main(argv); the installed
    commands themselves: test_the_installed_wheel_works_without_the_clone."""
    from hashnet_mm import entry_points
    for name in ('train', 'test', 'encode', 'build_index', 'search', 'serve'):
        with pytest.raises(SystemExit) as exited:
            getattr(entry_points, name)(['--help'])
        assert exited.value.code == 0
        assert 'usage:' in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="no tool 'nope.py'"):
        entry_points.tool_file('nope.py')


def test_every_tool_has_a_main_taking_argv():
    """A tool's main(argv=None) runs from a command, mim or a test alike."""
    import ast
    for path in glob.glob(
            osp.join(REPO, 'tools', '**', '*.py'), recursive=True):
        with open(path) as f:
            tree = ast.parse(f.read())
        imported = any(
            isinstance(node, ast.ImportFrom) and any(alias.name == 'main'
                                                     for alias in node.names)
            for node in tree.body)
        defined = [
            node for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == 'main'
        ]
        assert imported or (defined and [a.arg for a in defined[0].args.args]
                            == ['argv'] and defined[0].args.defaults), path


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """The package's wheel, built from the clone."""
    folder = tmp_path_factory.mktemp('wheel')
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
        '--no-build-isolation', REPO, '-w',
        str(folder)
    ],
                   check=True,
                   capture_output=True,
                   cwd=folder)
    (path, ) = glob.glob(str(folder / '*.whl'))
    return path


def test_the_wheel_ships_the_configs(wheel, tmp_path):
    """Configs, tools and model index as ``hashnet_mm/.mim/`` (where mim
    looks), one copy of each, no byte code."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ('configs', 'tools'):
        for path in glob.glob(
                osp.join(REPO, folder, '**', '*.*'), recursive=True):
            relative = osp.relpath(path, REPO)
            if '__pycache__' not in relative:
                assert f'hashnet_mm/.mim/{relative}' in names, relative
    assert 'hashnet_mm/.mim/model-index.yml' in names
    assert not [
        name for name in names if name.startswith('hashnet_mm/configs/')
    ]
    assert not [name for name in names if name.endswith('.pyc')]
    # Installed from the wheel, config_file finds the shipped copy.
    target = tmp_path / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
        str(target), wheel
    ],
                   check=True,
                   capture_output=True)
    found = subprocess.run([
        sys.executable, '-W', 'ignore', '-c', 'import hashnet_mm; print('
        "hashnet_mm.config_file('hashnet_resnet50_coco_64bit.py'))"
    ],
                           env=dict(os.environ, PYTHONPATH=str(target)),
                           cwd=tmp_path,
                           capture_output=True,
                           text=True,
                           check=True).stdout.split()[-1]
    assert found == str(target / 'hashnet_mm' / '.mim' / 'configs' /
                        'hashnet_resnet50_coco_64bit.py')


def fresh_venv(folder, wheel):
    """A venv holding only the wheel (``--no-deps``); its site-packages
    sees this interpreter's packages through a .pth file, not the clone's
    hashnet_mm (an editable install's finder is not carried over)."""
    subprocess.run(
        [sys.executable, '-m', 'venv', '--without-pip',
         str(folder)],
        check=True,
        capture_output=True)
    python = str(folder / 'bin' / 'python')
    (site_packages, ) = glob.glob(
        str(folder / 'lib' / 'python*' / 'site-packages'))
    seen = [
        path for path in sys.path
        if osp.isdir(path) and 'site-packages' in path
        and not osp.isdir(osp.join(path, 'hashnet_mm'))
    ]
    with open(osp.join(site_packages, 'zz_parent_packages.pth'), 'w') as f:
        f.write('\n'.join(seen) + '\n')
    subprocess.run([
        sys.executable, '-m', 'pip', '--python', python, 'install', '-q',
        '--no-deps', wheel
    ],
                   check=True,
                   capture_output=True)
    return folder / 'bin'


def test_the_installed_wheel_works_without_the_clone(wheel, tmp_path,
                                                     user_setup):
    """From a folder outside the clone, the console commands of the
    installed wheel train, test, encode, index and search; mim (when
    installed) lists the zoo and trains and tests through the shipped
    tools."""
    bin_dir = fresh_venv(tmp_path / 'venv', wheel)
    user, data, env = user_setup
    env['PATH'] = str(bin_dir) + os.pathsep + env.get('PATH', '')

    def command(name, *args):
        return run([str(bin_dir / name), *args], user, env).stdout

    where = run([
        str(bin_dir / 'python'), '-W', 'ignore', '-c',
        'import hashnet_mm; print(hashnet_mm.__file__)'
    ], user, env).stdout.split()[-1]
    assert where.startswith(str(tmp_path / 'venv')), where
    assert '--work-dir' in command('hashnet-train', '--help')
    command('hashnet-train', 'my_hashnet.py', '--work-dir', 'work',
            '--data-root', data)
    checkpoint = str(user / 'work' / 'iter_2.pth')
    assert osp.isfile(checkpoint)
    assert 'retrieval/mAP' in command('hashnet-test', 'my_hashnet.py',
                                      checkpoint, '--work-dir', 'work',
                                      '--data-root', data)
    command('hashnet-encode', 'my_hashnet.py', checkpoint, '--list',
            osp.join(data, 'database.txt'), '--out', 'codes.npz', '--work-dir',
            'work')
    command('hashnet-build-index', 'codes.npz', '--out', 'gallery.index')
    command('hashnet-search', 'my_hashnet.py',
            checkpoint, 'gallery.index', '--query',
            osp.join(data, 'images', '00000.png'), '--topk', '3', '--out',
            'hits.json', '--device', 'cpu')
    with open(user / 'hits.json') as f:
        found = json.load(f)
    assert len(found) == 1 and len(found[0]['neighbours']) == 3
    assert '--port' in command('hashnet-serve', '--help')

    if importlib.util.find_spec('mim') is None:  # openmim not installed
        return
    mim = [str(bin_dir / 'python'), '-W', 'ignore', '-m', 'mim']
    listed = run(mim + ['search', 'hashnet_mm'], user, env).stdout
    assert 'hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit' in listed
    run(
        mim + [
            'train', 'hashnet_mm', 'my_hashnet.py', '--work-dir', 'work_mim',
            '--data-root', data
        ], user, env)
    assert (user / 'work_mim' / 'iter_2.pth').exists()
    tested = run(
        mim + [
            'test', 'hashnet_mm', 'my_hashnet.py', '--checkpoint',
            'work_mim/iter_2.pth', '--work-dir', 'work_mim', '--data-root',
            data
        ], user, env).stdout
    assert 'retrieval/mAP' in tested


@pytest.fixture
def user_setup(tmp_path):
    """A scratch folder outside the clone: made images with COCO's 80
    labels, and the user's 5-line config."""
    rng = np.random.default_rng(0)
    labels = {
        split: np.eye(80, dtype=np.int64)[rng.integers(6, size=n)]
        for split, n in (('train', 8), ('query', 4), ('database', 8))
    }
    data = write_tiny_dataset(str(tmp_path / 'data'), labels)
    user = tmp_path / 'user'
    user.mkdir()
    (user / 'my_hashnet.py').write_text(USER_CONFIG)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    return user, data, env


def run(command, cwd, env):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + \
        result.stderr[-3000:]
    return result


def test_user_config_trains_with_this_projects_train_tool(user_setup):
    user, data, env = user_setup
    run([
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), 'my_hashnet.py', '--work-dir',
        'work', '--data-root', data
    ], user, env)
    assert (user / 'work' / 'iter_2.pth').exists()


def test_user_config_trains_with_mmpretrains_train_tool(user_setup):
    """mmpretrain's tools/train.py (shipped in its wheel) reads the same
    config: it has no --data-root, so the dataset roots are given one by
    one."""
    import mmpretrain
    tool = osp.join(
        osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'train.py')
    user, data, env = user_setup
    roots = [
        f'{loader}.dataset.{split}data_root={data}'
        for loader, split in (('train_dataloader', ''), ('val_dataloader',
                                                         'query.'),
                              ('val_dataloader',
                               'database.'), ('test_dataloader', 'query.'),
                              ('test_dataloader', 'database.'))
    ]
    run([
        sys.executable, tool, 'my_hashnet.py', '--work-dir', 'work',
        '--cfg-options', *roots
    ], user, env)
    assert (user / 'work' / 'iter_2.pth').exists()
