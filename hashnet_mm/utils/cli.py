"""Arguments and config handling shared by the command-line tools."""
import argparse
import atexit
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options`` and ``--launcher``, as mmpretrain."""
    parser.add_argument('--work-dir', help='where to save logs and results')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. model.head.num_bits=32')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_checkpoint_args(parser: argparse.ArgumentParser) -> None:
    """``checkpoint`` and ``--partial-load`` (strict loading otherwise)."""
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load only the checkpoint weights that match the model and '
        'keep the rest as initialised (default: any missing, unexpected or '
        'mis-shaped key is an error)')


def load_runner_config(args: argparse.Namespace) -> Config:
    """The config of ``args.config`` with the runner arguments applied.

    The work dir is ``--work-dir``, else the config's, else
    ``./work_dirs/<config name>``. Every ``HashListDataset`` gets the data
    preprocessor's ``num_classes`` (:func:`share_num_classes`). On several processes a plain
    ``LoggerHook`` becomes :class:`MainProcessLoggerHook` (one writer of the
    test results JSON).
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.launcher != 'none':
        logger = cfg.get('default_hooks', {}).get('logger')
        if logger is not None and logger.get('type') == 'LoggerHook':
            logger.type = 'MainProcessLoggerHook'
    share_num_classes(cfg)
    if args.launcher == 'pytorch' and not torch.cuda.is_available():
        start_cpu_processes(cfg)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def share_num_classes(cfg: Config) -> None:
    """Give every ``HashListDataset`` of the dataloaders the data
    preprocessor's ``num_classes``, unless it states classes itself.

    Class indices are then checked against it when the dataset is built
    (not after an iteration, in the one-hot encoding), and a class-index
    query and database agree on their classes even where one of them lacks
    the highest class.
    """
    preprocessor = cfg.get('data_preprocessor') or \
        cfg.get('model', {}).get('data_preprocessor') or {}
    num_classes = preprocessor.get('num_classes')
    if num_classes is None:
        return

    def visit(dataset):
        if not isinstance(dataset, dict):
            return
        if dataset.get('type') == 'HashListDataset' and not (
                'num_classes' in dataset or 'classes' in dataset
                or (dataset.get('metainfo') or {}).get('classes')):
            dataset['num_classes'] = num_classes
        for key in ('dataset', 'query', 'database'):
            visit(dataset.get(key))
        for child in dataset.get('datasets') or ():
            visit(child)

    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        visit((cfg.get(loader) or {}).get('dataset'))


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
    """Wait for every rank, then close the process group."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


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
