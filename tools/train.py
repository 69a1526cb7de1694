"""Train a hashing model from a config (arguments as mmpretrain's train.py)."""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner

from hashnet_mm.utils.checkpoint import read_finite_checkpoint
from hashnet_mm.utils.cli import (add_loader_args, add_runner_args,
                                  load_runner_config, use_amp)
from hashnet_mm.utils.resume import (check_fresh_work_dir,
                                     check_resume_checkpoint,
                                     find_resume_checkpoint)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a hashing model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a path, from the '
        'latest checkpoint in the work dir that loads')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision training (bfloat16 autocast, GPU only)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='whether not to evaluate the checkpoint during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='whether to auto scale the learning rate according to the '
        'actual batch size and the original batch size '
        '(auto_scale_lr.base_batch_size of the config).')
    add_loader_args(parser)
    add_runner_args(parser)
    return parser.parse_args(argv)


def add_finite_loss_hook(cfg) -> None:
    """Stop at the first NaN / inf loss (:class:`FiniteLossHook`)."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == 'FiniteLossHook' for h in hooks):
        hooks.append(dict(type='FiniteLossHook'))
    cfg.custom_hooks = hooks


def training_config(args) -> Config:
    """The config to train with: the config file, the arguments, and where
    to resume from (checked: see :mod:`hashnet_mm.utils.resume`)."""
    cfg = load_runner_config(args)
    if args.amp:
        use_amp(cfg)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise ValueError(
                f'--auto-scale-lr: {args.config} sets no '
                'auto_scale_lr.base_batch_size (the total batch size its lr '
                'is for)')
        cfg.auto_scale_lr.enable = True
    add_finite_loss_hook(cfg)
    resume = args.resume
    if resume is None and cfg.get('resume'):  # resume = True in the config
        resume = cfg.get('load_from') or 'auto'
    resume_from = find_resume_checkpoint(cfg.work_dir) \
        if resume == 'auto' else resume
    if resume_from:
        check_resume_checkpoint(resume_from, cfg)
        cfg.resume = True
        cfg.load_from = resume_from
    else:
        cfg.resume = False
        check_fresh_work_dir(cfg.work_dir)
        if cfg.get('load_from'):
            read_finite_checkpoint(cfg.load_from)
    return cfg


def main(argv=None):
    Runner.from_cfg(training_config(parse_args(argv))).train()


if __name__ == '__main__':
    main()
