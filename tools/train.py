"""Train a hashing model from a config (arguments as mmpretrain's train.py)."""
import argparse

from mmengine.runner import Runner

from hashnet_mm.utils.cli import add_runner_args, load_runner_config, use_amp
from hashnet_mm.utils.resume import (check_fresh_work_dir,
                                     check_resumed_settings,
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
    add_runner_args(parser)
    return parser.parse_args(argv)


def add_finite_loss_hook(cfg) -> None:
    """Stop at the first NaN / inf loss (:class:`FiniteLossHook`)."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == 'FiniteLossHook' for h in hooks):
        hooks.append(dict(type='FiniteLossHook'))
    cfg.custom_hooks = hooks


def main(argv=None):
    args = parse_args(argv)
    cfg = load_runner_config(args)
    if args.amp:
        use_amp(cfg)
    add_finite_loss_hook(cfg)
    resume = args.resume
    if resume is None and cfg.get('resume'):  # resume = True in the config
        resume = cfg.get('load_from') or 'auto'
    resume_from = find_resume_checkpoint(cfg.work_dir) \
        if resume == 'auto' else resume
    if resume_from:
        check_resumed_settings(resume_from, cfg)
        cfg.resume = True
        cfg.load_from = resume_from
    else:
        cfg.resume = False
        check_fresh_work_dir(cfg.work_dir)
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
