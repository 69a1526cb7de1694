"""Where the project's configs are, so a config anywhere can inherit them.

The configs are ``configs/`` of the source tree; an installed package ships
them as ``hashnet_mm/.mim/configs/``, where OpenMMLab's ``mim`` looks for
them (a wheel holds a copy; an editable install links the source tree's
folder there). A user's config inherits one with mmengine's
``_base_``, which mmengine evaluates as a Python expression::

    _base_ = [__import__('hashnet_mm').config_file('hashnet_resnet50_coco_64bit.py')]

That works with any tool that reads mmengine configs (this project's and
mmpretrain's ``tools/train.py``), unlike ``hashnet_mm::...``, which mmengine
0.10 resolves only for the OpenMMLab packages of its own table.
"""  # noqa: E501
import os.path as osp

PACKAGE_DIR = osp.dirname(osp.abspath(__file__))


def shipped_dirs(name: str) -> tuple:
    """Where the shipped folder ``name`` (``'configs'``, ``'tools'``) may
    be, in order: ``hashnet_mm/.mim/<name>`` (an installed package, or a
    link to the source tree in an editable install), then the source
    tree's ``<name>``."""
    return (osp.join(PACKAGE_DIR, '.mim',
                     name), osp.join(osp.dirname(PACKAGE_DIR), name))


CONFIG_DIRS = shipped_dirs('configs')


def config_dir() -> str:
    """The folder holding the configs (``_base_/``, one file per run); the
    source tree's own folder where ``.mim/configs`` links to it."""
    for folder in CONFIG_DIRS:
        if osp.isdir(osp.join(folder, '_base_')):
            return osp.realpath(folder) if osp.islink(folder) else folder
    raise FileNotFoundError(
        f'hashnet_mm: no configs found in {" or ".join(CONFIG_DIRS)}')


def config_file(name: str) -> str:
    """The absolute path of the config ``name`` (e.g.
    ``'hashnet_resnet50_coco_64bit.py'`` or
    ``'dhn/dhn_resnet50_1xb64_coco_64bit.py'``)."""
    path = osp.join(config_dir(), name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'hashnet_mm has no config {name!r} (configs are in '
            f'{config_dir()})')
    return path
