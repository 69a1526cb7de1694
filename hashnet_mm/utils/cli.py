"""Arguments and config handling shared by the command-line tools."""
import argparse
import atexit
import gc
import math
import os
import os.path as osp
from typing import Iterator, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# (default_hooks key, mmengine hook, the project's subclass used instead).
PROJECT_HOOKS = (('logger', 'LoggerHook', 'RetrievalLoggerHook'),
                 ('checkpoint', 'CheckpointHook', 'ResumableCheckpointHook'))


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options``, ``--data-root`` and
    ``--launcher``, as mmpretrain (``--data-root`` is this project's)."""
    parser.add_argument('--work-dir', help='where to save logs and results')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. model.head.num_bits=32')
    parser.add_argument(
        '--data-root',
        help="the data root of every dataset of the config (train, val and "
        "test; query and database), instead of the config's")
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_loader_args(parser: argparse.ArgumentParser) -> None:
    """``--no-pin-memory`` and ``--no-persistent-workers``, as mmpretrain."""
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='whether to disable the persistent_workers option in '
        'dataloaders.')


def add_checkpoint_args(parser: argparse.ArgumentParser) -> None:
    """``checkpoint`` and ``--partial-load`` (strict loading otherwise)."""
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load only the checkpoint weights that match the model and '
        'keep the rest as initialised (default: any missing, unexpected or '
        'mis-shaped key is an error)')


def add_max_pixels_arg(parser: argparse.ArgumentParser,
                       what: str = 'an image') -> None:
    """``--max-pixels N``: the most pixels (width x height) ``what`` may
    declare, checked before decoding (``hashnet_mm.images``); 0 lifts the
    limit. Read it back with :func:`max_pixels_setting`."""
    from ..images import DEFAULT_MAX_PIXELS
    parser.add_argument(
        '--max-pixels',
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help=f'most pixels (width x height) {what} may declare, checked '
        'before decoding (default %(default)d; 0: no limit)')


def max_pixels_setting(parser: argparse.ArgumentParser,
                       args: argparse.Namespace) -> Optional[int]:
    """The pixel limit of ``--max-pixels`` (None: no limit)."""
    if args.max_pixels < 0:
        parser.error('--max-pixels must be >= 0 (0: no limit)')
    return args.max_pixels or None


def load_runner_config(args: argparse.Namespace) -> Config:
    """The config of ``args.config`` with the runner arguments applied.

    ``--cfg-options`` first, then ``--data-root`` for every dataset and the
    loader flags (where the tool has them). The work dir is
    ``--work-dir``, else the config's, else ``./work_dirs/<config name>``.
    Every ``HashListDataset`` gets the data preprocessor's ``num_classes``
    (:func:`share_num_classes`), a plain ``LoggerHook`` becomes
    :class:`RetrievalLoggerHook` (one writer of the test results, curves
    only in the JSON) and a plain ``CheckpointHook``
    :class:`ResumableCheckpointHook` (a kill loses no validation and no best
    checkpoint).
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = override_config(
        Config.fromfile(args.config), args.cfg_options,
        getattr(args, 'data_root', None))
    cfg.launcher = args.launcher
    default_hooks = cfg.get('default_hooks') or {}
    for name, plain, replacement in PROJECT_HOOKS:
        hook = default_hooks.get(name)
        if hook is not None and hook.get('type') == plain:
            hook.type = replacement
    for loader in LOADERS:
        if cfg.get(loader) is None:
            continue
        if getattr(args, 'no_pin_memory', False):
            cfg[loader]['pin_memory'] = False
        if getattr(args, 'no_persistent_workers', False):
            cfg[loader]['persistent_workers'] = False
    share_num_classes(cfg)
    if args.launcher == 'pytorch' and not torch.cuda.is_available():
        start_cpu_processes(cfg)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def override_config(cfg: Config,
                    cfg_options: Optional[dict] = None,
                    data_root: Optional[str] = None) -> Config:
    """``cfg`` with ``--cfg-options`` merged, then every dataset under
    ``--data-root`` (a head's ``targets_file`` under the old training root
    moves along); the data preprocessor is then checked
    (:func:`check_data_preprocessor`).

    An option for one preprocessor key, spelt ``data_preprocessor.KEY`` or
    ``model.data_preprocessor.KEY``, changes that key of the preprocessor
    the model is built with (:func:`preprocessor_options`).
    """
    if cfg_options:
        cfg.merge_from_dict(preprocessor_options(cfg, cfg_options))
    if data_root:
        old_root = (cfg.get('train_dataloader') or {}).get('dataset',
                                                           {}).get('data_root')
        for dataset in dataset_configs(cfg):
            dataset['data_root'] = data_root
        head = cfg.get('model', {}).get('head', {})
        targets = head.get('targets_file')
        if old_root and targets and targets.startswith(old_root):
            head['targets_file'] = osp.join(data_root, targets[len(old_root):])
    check_data_preprocessor(cfg)
    return cfg


MODEL_PREPROCESSOR = 'model.data_preprocessor'
TOP_PREPROCESSOR = 'data_preprocessor'


def preprocessor_key(cfg: Config) -> str:
    """Where the config keeps the data preprocessor the model is built with:
    ``model.data_preprocessor`` when the model config has one (mmengine's
    Runner and mmpretrain's ``init_model`` then ignore the top-level one),
    else the top-level ``data_preprocessor`` (the Runner's default for a
    model without one), as mmpretrain's configs write it."""
    model = cfg.get('model') or {}
    return MODEL_PREPROCESSOR if model.get('data_preprocessor') is not None \
        or cfg.get('data_preprocessor') is None else TOP_PREPROCESSOR


def preprocessor_options(cfg: Config, cfg_options: dict) -> dict:
    """``cfg_options`` with every preprocessor key under
    :func:`preprocessor_key`.

    Merged as given, ``model.data_preprocessor.std=...`` on a config with a
    top-level ``data_preprocessor`` creates a model preprocessor holding
    only ``std``, and the Runner drops the whole top-level one (its
    normalisation, ``num_classes``, ``to_onehot``); the reverse spelling on
    a config with a model preprocessor would be ignored.
    """
    target = preprocessor_key(cfg)
    renamed = {}
    for key, value in cfg_options.items():
        for spelling in (MODEL_PREPROCESSOR, TOP_PREPROCESSOR):
            if key == spelling or key.startswith(spelling + '.'):
                key = target + key[len(spelling):]
                break
        renamed[key] = value
    return renamed


def data_preprocessor_config(cfg: Config) -> dict:
    """The data preprocessor config the model is built with (empty if
    none): see :func:`preprocessor_key`."""
    value = cfg
    for part in preprocessor_key(cfg).split('.'):
        value = value.get(part) or {}
    return value


def check_data_preprocessor(cfg: Config) -> None:
    """Raise ValueError naming the setting when the preprocessor's ``std``
    holds a value that is not a positive number, or its ``mean`` one that
    is not finite: every normalised pixel would be inf or NaN, and the
    first loss NaN."""
    preprocessor = data_preprocessor_config(cfg)
    for name, rule, good in (('std', 'a positive number',
                              lambda v: math.isfinite(v) and v > 0),
                             ('mean', 'a finite number', math.isfinite)):
        values = preprocessor.get(name)
        if values is None:
            continue
        listed = list(values) if isinstance(values, (list, tuple)) \
            else [values]
        if not all(
                isinstance(v, (int,
                               float)) and not isinstance(v, bool) and good(v)
                for v in listed):
            raise ValueError(
                f'{preprocessor_key(cfg)}.{name}={listed}: every {name} must '
                f'be {rule} (pixels are normalised as (x - mean) / std, and '
                'this makes them inf or NaN); give one per image channel, '
                'those of the data')


def dataset_configs(cfg: Config) -> Iterator[dict]:
    """Every image dataset of the dataloaders: the wrappers' members
    (``QueryDatabaseDataset``'s query and database, ``ConcatDataset``'s
    datasets, ``RepeatDataset``'s dataset) rather than the wrappers."""
    seen = set()

    def visit(dataset):
        if not isinstance(dataset, dict) or id(dataset) in seen:
            return
        seen.add(id(dataset))
        members = [
            dataset.get(key) for key in ('dataset', 'query', 'database')
        ]
        members += list(dataset.get('datasets') or ())
        members = [m for m in members if isinstance(m, dict)]
        if not members:
            yield dataset
        for member in members:
            yield from visit(member)

    for loader in LOADERS:
        yield from visit((cfg.get(loader) or {}).get('dataset'))


def share_num_classes(cfg: Config) -> None:
    """Give every ``HashListDataset`` of the dataloaders the data
    preprocessor's ``num_classes``, unless it states classes itself.

    Class indices are then checked against it when the dataset is built
    (not after an iteration, in the one-hot encoding), and a class-index
    query and database agree on their classes even where one of them lacks
    the highest class.
    """
    num_classes = data_preprocessor_config(cfg).get('num_classes')
    if num_classes is None:
        return
    for dataset in dataset_configs(cfg):
        metainfo = dataset.get('metainfo') or {}
        has_classes = ('num_classes' in dataset or 'classes' in dataset
                       or metainfo.get('classes'))
        if dataset.get('type') == 'HashListDataset' and not has_classes:
            dataset['num_classes'] = num_classes


def start_cpu_processes(cfg: Config) -> None:
    """Run a torchrun job (``--launcher pytorch``) on CPU-only machines.

    mmengine assumes one GPU per process: its launcher calls
    ``torch.cuda.set_device`` and its DDP wrapper pins ``device_ids``. With
    no CUDA device the process group is started here with gloo (the Runner
    then uses it as it is) and DDP wraps the CPU model without device ids.
    The group is closed at exit, after all ranks are done (a rank leaving
    with gloo's threads still running aborts).
    """
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
        atexit.register(close_processes)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper


def close_processes() -> None:
    """Wait for every rank, then close the process group.

    The Runner, its DDP wrapper and their hooks hold each other in reference
    cycles, and through them the gloo process group; until the garbage
    collector runs, ``destroy_process_group`` only unregisters the group,
    which is then freed at interpreter shutdown, where gloo's threads are
    torn down without a live interpreter ("terminate called without an
    active exception", about 1 exit in 10). Collecting first frees it here.
    """
    if dist.is_initialized():
        dist.barrier()
        gc.collect()
        dist.destroy_process_group()
        gc.collect()


def use_amp(cfg: Config) -> None:
    """Mixed precision, as ``--amp``: mmengine's AmpOptimWrapper in bfloat16.

    bfloat16 has float32's exponent range, so no gradient underflows; the
    dynamic loss scale (mmengine's default) then stays a harmless no-op.
    An ``optim_wrapper.dtype`` given in the config or by ``--cfg-options``
    (e.g. ``float16`` on GPUs without bf16) is kept. mmengine allows AMP
    only on a GPU (or NPU, MLU, MUSA).
    """
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
