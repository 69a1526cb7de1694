"""Which checkpoint ``--resume`` continues, and whether the run it
continues had the same settings.

mmengine resumes from the file named in ``{work_dir}/last_checkpoint`` and,
when that file is missing, silently starts again at iteration 0 and
overwrites the checkpoints already there. Here:

- :func:`find_resume_checkpoint` takes ``last_checkpoint`` when it names a
  checkpoint that loads, else the newest ``iter_*.pth`` / ``epoch_*.pth``
  that loads (saying why the others were passed over);
- :func:`check_fresh_work_dir` stops a fresh start in a work dir that holds
  checkpoints, which it would overwrite;
- :func:`check_resume_checkpoint` refuses a checkpoint that cannot
  continue the run as it was: one without the optimiser or lr-schedule
  state (a ``save_best`` checkpoint holds only weights; mmengine would
  restart both silently), weights with NaN / inf, or settings that define
  the run (model, data preprocessor, schedule, optimiser, hooks) other than
  the saved ones (:func:`changed_settings`).
"""
import glob
import logging
import os.path as osp
import re
from typing import Any, Dict, List, Optional

from mmengine.config import Config
from mmengine.logging import print_log

from .checkpoint import CheckpointError, check_finite_weights, read_checkpoint

CHECKPOINT_NAME = re.compile(r'^(iter|epoch)_(\d+)\.pth$')

# Config sections that define what a resumed run computes. Data paths,
# work dir, logging and the launcher may change between the two halves.
RUN_SETTINGS = ('model', 'data_preprocessor', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'custom_hooks',
                'train_dataloader.batch_size')
# Hooks that tools/train.py adds itself, and initialisation that a resumed
# run does not use (its weights come from the checkpoint).
IGNORED_HOOKS = ('FiniteLossHook', )
IGNORED_KEY = re.compile(r'(^|\.)init_cfg(\.|$)|(^|\.)pretrained$')


class ResumeError(RuntimeError):
    """``--resume`` cannot continue the run in this work dir as asked."""


def saved_checkpoints(work_dir: str) -> List[str]:
    """``iter_*.pth`` and ``epoch_*.pth`` of ``work_dir``, newest first."""
    found = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = CHECKPOINT_NAME.match(osp.basename(path))
        if match:
            found.append((int(match.group(2)), path))
    return [path for _, path in sorted(found, reverse=True)]


def loading_problem(path: str) -> Optional[str]:
    """Why the checkpoint at ``path`` cannot be resumed from, or None."""
    try:
        checkpoint = read_checkpoint(path)
    except (OSError, ValueError) as error:
        return str(error)
    if 'state_dict' not in checkpoint or 'meta' not in checkpoint:
        return f'{path}: holds no training state (state_dict and meta)'
    return None


def find_resume_checkpoint(work_dir: str, logger=None) -> Optional[str]:
    """The checkpoint that ``--resume`` (without a path) continues.

    ``last_checkpoint``'s file when it loads, else the newest saved
    checkpoint that loads; None when the work dir holds no checkpoint (a
    fresh start). Raises :class:`ResumeError` when checkpoints exist but
    none of them loads.
    """
    passed_over = []
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        problem = loading_problem(named) if named else None
        if not named:
            passed_over.append(f'{pointer} is empty (interrupted while it '
                               'was written?)')
        elif problem is None:
            return named
        else:
            passed_over.append(f'{pointer} names {named}: {problem}')
    candidates = saved_checkpoints(work_dir)
    for path in candidates:
        problem = loading_problem(path)
        if problem is None:
            if passed_over:
                print_log(
                    '--resume: ' + '; '.join(passed_over) +
                    f'. Resuming from {path}, the newest checkpoint '
                    'that loads.',
                    logger=logger or 'current',
                    level=logging.WARNING)
            return path
        passed_over.append(problem)
    if candidates or passed_over:
        raise ResumeError(
            f'--resume: no checkpoint in {work_dir} can be resumed from:\n  ' +
            '\n  '.join(passed_over) + '\nPass one with --resume PATH, or '
            'start afresh in another --work-dir.')
    return None


def check_fresh_work_dir(work_dir: str) -> None:
    """A :class:`ResumeError` if a fresh run would overwrite checkpoints."""
    existing = saved_checkpoints(work_dir)
    if existing:
        names = ', '.join(osp.basename(p) for p in existing[:5])
        raise ResumeError(
            f'{work_dir} already holds checkpoints ({names}); a fresh run '
            'would overwrite them. Continue that run with --resume, or '
            'train in another --work-dir.')


def flat_settings(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """The :data:`RUN_SETTINGS` of a config as ``{dotted.key: value}``."""
    flat = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f'{prefix}.{key}', item)
        elif not IGNORED_KEY.search(prefix):
            flat[prefix] = value

    for section in RUN_SETTINGS:
        value = cfg
        for part in section.split('.'):
            value = value.get(part) if isinstance(value, dict) else None
        if section == 'custom_hooks':
            value = [
                dict(h) for h in value or []
                if dict(h).get('type') not in IGNORED_HOOKS
            ]
            for i, hook in enumerate(value):
                walk(f'custom_hooks[{hook.get("type", i)}]', hook)
        else:
            walk(section, value)
    return flat


def changed_settings(saved_cfg_text: str, cfg: Config) -> List[str]:
    """``'key: saved -> now'`` for every run setting that differs."""
    saved = flat_settings(
        Config.fromstring(saved_cfg_text, file_format='.py').to_dict())
    now = flat_settings(cfg.to_dict())
    return [
        f'{key}: {saved.get(key, "(unset)")!r} in the checkpoint\'s run, '
        f'{now.get(key, "(unset)")!r} now'
        for key in sorted(set(saved) | set(now))
        if saved.get(key) != now.get(key)
    ]


def missing_training_state(checkpoint: dict, cfg: Config) -> List[str]:
    """What a resumed run of ``cfg`` needs and ``checkpoint`` lacks: the
    optimiser state, and the lr-schedule state when ``cfg`` has a
    ``param_scheduler``."""
    needed = [('optimizer', 'optimiser')]
    if cfg.get('param_scheduler'):
        needed.append(('param_schedulers', 'lr schedule'))
    return [what for key, what in needed if key not in checkpoint]


def check_resume_checkpoint(checkpoint_path: str, cfg: Config) -> None:
    """A :class:`ResumeError` unless ``checkpoint_path`` continues the run of
    ``cfg`` as it was.

    Refused: a checkpoint without the optimiser or lr-schedule state (the
    best checkpoint of ``save_best`` keeps only the weights; resumed,
    Adam's moments and the schedule would start again at the saved
    iteration), weights with NaN / inf, and a run setting other than the
    saved one (:func:`check_resumed_settings`). For a new run from the
    weights, the message names ``load_from``.
    """
    checkpoint = read_checkpoint(checkpoint_path)
    new_run = ('To train on from these weights, start a new run in another '
               f'work dir: --cfg-options load_from={checkpoint_path}')
    missing = missing_training_state(checkpoint, cfg)
    if missing:
        raise ResumeError(
            f'--resume {checkpoint_path}: the checkpoint holds no '
            f'{" or ".join(missing)} state (a best checkpoint of save_best '
            'keeps only the weights): resumed, the '
            f'{" and the ".join(missing)} would start again from scratch at '
            'its iteration. Resume from an iter_*.pth / epoch_*.pth '
            'checkpoint of the run. ' + new_run)
    try:
        check_finite_weights(checkpoint, checkpoint_path)
    except CheckpointError as error:
        raise ResumeError(f'--resume: {error}. Resume from an earlier '
                          'checkpoint of the run') from None
    check_resumed_settings(checkpoint_path, cfg, checkpoint.get('meta'))


def check_resumed_settings(checkpoint_path: str,
                           cfg: Config,
                           meta: Optional[dict] = None) -> None:
    """A :class:`ResumeError` naming every run setting of ``cfg`` that
    differs from the run saved in ``checkpoint_path`` (whose ``meta`` may be
    given, read from the file otherwise).

    Changing them on resume gives a run that is neither: a longer
    ``train_cfg.max_iters`` leaves the learning rate at its last value
    while beta follows the new schedule; another ``model.head.num_bits``
    cannot load the weights at all.
    """
    if meta is None:
        meta = read_checkpoint(checkpoint_path).get('meta')
    meta = meta or {}
    if 'cfg' not in meta:
        print_log(
            f'--resume: {checkpoint_path} saved no config; its '
            'settings are not compared with this one',
            'current',
            level=logging.WARNING)
        return
    changes = changed_settings(meta['cfg'], cfg)
    if changes:
        raise ResumeError(
            f'--resume {checkpoint_path}: these settings differ from the run '
            'being resumed:\n  ' + '\n  '.join(changes) + '\nA resumed run '
            'continues the run it was started as. To train on with new '
            'settings, start a new run from these weights in another work '
            f'dir: --cfg-options load_from={checkpoint_path}')
