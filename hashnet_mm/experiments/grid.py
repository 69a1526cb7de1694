"""Methods x bit lengths x seeds on one dataset, each run trained and
tested by the project's tools; validated beside the test, a markdown table.

Each config is one method (a row); ``bits`` sets ``model.head.num_bits`` of
every run, whatever length the file has, so one config a method x dataset
serves every length (``configs/dhn/dhn_resnet50_1xb64_coco_64bit.py``; for
HashNet any of its ``_{K}bit`` files, e.g.
``configs/hashnet_resnet50_coco_64bit.py``). A run (:func:`run_one`) is
``tools/train.py`` then, on the last checkpoint (the run's selected
checkpoint), ``tools/test.py`` twice, in subprocesses: on the config's
validation queries (``val_dataloader`` / ``val_evaluator``, held out of the
training list in the shipped configs) and on its test queries. The run
lives in ``{work_dir}/{config name without _{K}bit}/{K}bit_seed{s}``: its
exact config as ``config.py`` (the validation one as ``val_config.py``),
the wall times of training (CNNH: both stages) and testing, the validation
and test metrics in ``grid_result.json``. mAP@R, the tie-aware mAP@R and
P@H<=2 are read from the tests' saved results (``{run}/test/{timestamp}/
{timestamp}.json`` and ``{run}/val/...``, written by mmengine's
LoggerHook).

Every run's config is checked by
:func:`hashnet_mm.utils.selection.check_selection_data` as a sweep's (the
grid's table, and a sweep's choice of the best variant, rank runs by their
validation scores): a config that validates on its test queries is warned
about, or, with ``strict`` (a sweep that chooses), refused, unless it sets
``allow_test_selection = True``.

A run with a ``grid_result.json`` is not run again, so an interrupted grid
resumes; the config the run was asked for is kept as ``grid_config.py``,
and a folder whose run had other settings (another ``max_iters``,
``cfg_options``, ``data_root``, an edited config) is an error, never read
back as this run's result. A CNNH config whose target codes are missing
gets them from ``tools/cnnh_targets.py`` first.

``data_root`` points every dataset of every config (train, validation,
query, database) at another copy of the data, e.g. a smaller build of the
same benchmark; CNNH target files under the training set's root move with
it.

``max_iters`` shortens every schedule to that many iterations the same way
(:func:`compress_schedule`): the learning-rate schedulers (iteration-based
``begin``/``end``/``step_size``/``milestones``/``T_max``) and the
``ContinuationHook`` (``'power'``: ``step`` and ``gamma``; ``'stages'``: the
stage starts) are compressed by the same factor, so beta still rises from 1
to its final value by the end; a ``'budget'`` continuation fits itself to
any ``max_iters``. J(g) and L(h) (fig. 6) are logged at the logger's
interval in every run (``tools/analysis/plot_losses.py RUN``).

The command line is ``tools/analysis/run_grid.py``; the HashNet sweep
(``python -m benchmarks hashnet_sweep``) runs its variants through
:func:`run_one` too.
"""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from ..engine.hooks import ContinuationHook
from ..utils.cli import override_config
from ..utils.resume import find_resume_checkpoint
from ..utils.selection import check_selection_data
from .report import mean_std as format_values

#: the source tree's tools/ (train.py, test.py, cnnh_targets.py)
TOOLS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools')
# Row names of the configs' method prefixes (the file name up to '_').
METHOD_NAMES = {
    'hashnet': 'HashNet',
    'hashnet-w': 'HashNet-W',
    'hashnet-c': 'HashNet-C',
    'dhn': 'DHN',
    'dpsh': 'DPSH',
    'dnnh': 'DNNH',
    'cnnh': 'CNNH',
    'csq': 'CSQ',
    'dpn': 'DPN',
    'orthohash': 'OrthoHash',
    'greedyhash': 'GreedyHash',
    'dsh': 'DSH'
}
# Table column: pattern of the metric key in the saved results.
METRIC_COLUMNS = OrderedDict([
    ('mAP', r'^retrieval/mAP@'),
    ('tie-aware mAP', r'^retrieval/tie_aware_mAP@'),
    ('P@H<=2', r'^retrieval/P@H<=2$'),
])
#: the validation metric a table shows and a choice is made on
VALIDATION_COLUMN = r'^retrieval/mAP@'
RESULT_FILE = 'grid_result.json'
# The config a run was asked for (config.py is rewritten by the Runner).
REQUEST_FILE = 'grid_config.py'
VALIDATION_CONFIG = 'val_config.py'


def method_name(config: str) -> str:
    """'HashNet-W' for hashnet_w/hashnet-w_resnet50_1xb64_coco_64bit.py,
    'DHN' for dhn/dhn_..., 'HashNet' for hashnet/hashnet_..._64bit.py."""
    prefix = run_name(config).split('_')[0]
    return METHOD_NAMES.get(prefix, prefix)


def run_name(config: str) -> str:
    """The config's file name without a ``_{K}bit`` suffix, if it has one
    ('hashnet_resnet50_1xb64_coco' for hashnet_resnet50_1xb64_coco_64bit.py,
    'dhn_resnet50_1xb64_coco' for dhn_resnet50_1xb64_coco_64bit.py): one
    folder a method."""
    return re.sub(r'_\d+bit$', '', osp.splitext(osp.basename(config))[0])


def compress_schedule(cfg: Config, max_iters: int) -> Config:
    """``cfg`` with its iteration schedule squeezed into ``max_iters``."""
    if max_iters < 1:
        raise ValueError(f'max_iters must be >= 1, got {max_iters}')
    original = cfg.train_cfg.max_iters
    factor = max_iters / original
    cfg.train_cfg.max_iters = max_iters
    schedulers = cfg.get('param_scheduler') or []
    for scheduler in (schedulers
                      if isinstance(schedulers, list) else [schedulers]):
        if scheduler.get('by_epoch', True):
            raise ValueError('only iteration-based param_scheduler entries '
                             f'can be compressed, got {scheduler}')
        if 'begin' in scheduler:
            scheduler['begin'] = round(scheduler['begin'] * factor)
        for key in ('end', 'step_size', 'T_max'):
            if key in scheduler:
                scheduler[key] = max(1, round(scheduler[key] * factor))
        if 'milestones' in scheduler:
            scheduler['milestones'] = [
                round(m * factor) for m in scheduler['milestones']
            ]
    for hook in cfg.get('custom_hooks') or []:
        if hook['type'] != 'ContinuationHook':
            continue
        settings = ContinuationHook(**{
            key: value
            for key, value in hook.items() if key != 'type'
        })
        if settings.schedule == 'stages':
            hook['stages'] = [(round(start * factor), beta)
                              for start, beta in settings.stages]
        elif settings.schedule == 'power':
            # beta'(t') = beta(t' / factor): gamma' t' = gamma t' / factor.
            hook['gamma'] = settings.gamma * original / max_iters
            hook['step'] = max(1, round(settings.step * factor))
        # 'budget' fits itself to train_cfg.max_iters: nothing to change.
    return cfg


def asked_config(config: str,
                 bits: int,
                 seed: int,
                 max_iters: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 data_root: Optional[str] = None) -> Config:
    """``config`` with the grid's settings: its options and data root, K
    bits, the seed, the schedule compressed; validation as the file has
    it."""
    cfg = override_config(Config.fromfile(config), cfg_options, data_root)
    cfg.model.head.num_bits = bits
    cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
    if max_iters:
        compress_schedule(cfg, max_iters)
    return cfg


def build_run_config(config: str,
                     bits: int,
                     seed: int,
                     run_dir: str,
                     max_iters: Optional[int] = None,
                     cfg_options: Optional[dict] = None,
                     objective_interval: Optional[int] = None,
                     data_root: Optional[str] = None) -> Config:
    """The run's training config: ``config`` with the grid's settings
    applied."""
    cfg = asked_config(config, bits, seed, max_iters, cfg_options, data_root)
    iterations = cfg.train_cfg.max_iters
    # Validated and tested once each, by tools/test.py, after training: no
    # validation loop.
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.update(
        interval=iterations, max_keep_ckpts=1, by_epoch=False)
    cfg.model.head.objective_interval = \
        objective_interval or cfg.default_hooks.logger.interval
    cfg.work_dir = run_dir
    return cfg


def validation_config(asked: Config, run_cfg: Config) -> Optional[Config]:
    """The run's config testing on ``asked``'s validation loader and
    evaluator (None when it has none)."""
    if not asked.get('val_dataloader') or not asked.get('val_evaluator'):
        return None
    cfg = Config(run_cfg.to_dict())
    cfg.test_dataloader = asked.val_dataloader
    cfg.test_evaluator = asked.val_evaluator
    return cfg


def selection_warnings(cfg: Config,
                       config: str,
                       strict: bool = False) -> List[str]:
    """:func:`check_selection_data` of a run's asked config as a sweep's
    (its warnings are logged); ``strict``: a warning is a ValueError naming
    ``config``."""
    warnings = check_selection_data(cfg, sweep=True)
    if warnings and strict:
        raise ValueError(f'{config}: ' + ' '.join(warnings))
    return warnings


def check_same_request(cfg: Config, run_dir: str) -> None:
    """Refuse a run folder that was filled for another config, so that a
    finished (or resumed) run is never reported for settings it did not
    have. Folders from before ``REQUEST_FILE`` existed are checked by their
    result's ``max_iters``."""
    request_path = osp.join(run_dir, REQUEST_FILE)
    if osp.isfile(request_path):
        with open(request_path) as f:
            same = f.read() == cfg.pretty_text
        reason = f'its {REQUEST_FILE} differs from this run\'s config'
    elif osp.isfile(osp.join(run_dir, RESULT_FILE)):
        with open(osp.join(run_dir, RESULT_FILE)) as f:
            done = json.load(f)['max_iters']
        same = done == cfg.train_cfg.max_iters
        reason = f'it ran {done} iterations, not {cfg.train_cfg.max_iters}'
    else:
        return
    if not same:
        raise ValueError(
            f'{run_dir} holds a run of other settings ({reason}: another '
            '--max-iters, --cfg-options, --data-root or an edited config '
            'file); delete that folder or choose another --work-dir')


def run_config(config: str, bits: int, seed: int, run_dir: str,
               **options) -> str:
    """Write the run's config to ``{run_dir}/config.py`` (and, as asked,
    to ``REQUEST_FILE``; the validation one to ``VALIDATION_CONFIG`` when
    the config validates); return its path. ``options`` are
    :func:`build_run_config`'s."""
    cfg = build_run_config(config, bits, seed, run_dir, **options)
    check_same_request(cfg, run_dir)
    os.makedirs(run_dir, exist_ok=True)
    with open(osp.join(run_dir, REQUEST_FILE), 'w') as f:
        f.write(cfg.pretty_text)
    path = osp.join(run_dir, 'config.py')
    cfg.dump(path)
    options.pop('objective_interval', None)
    val_cfg = validation_config(
        asked_config(config, bits, seed, **options), cfg)
    if val_cfg is not None:
        val_cfg.dump(osp.join(run_dir, VALIDATION_CONFIG))
    return path


def saved_test_metrics(test_dir: str) -> dict:
    """The metrics of the latest test in ``test_dir``, from mmengine's
    ``{timestamp}/{timestamp}.json``."""
    files = sorted(
        path for path in glob.glob(osp.join(test_dir, '*', '*.json'))
        if osp.basename(path) == osp.basename(osp.dirname(path)) + '.json')
    if not files:
        raise FileNotFoundError(f'no saved test results under {test_dir}')
    with open(files[-1]) as f:
        return json.load(f)


def run_tool(args: Sequence[str], log_path: str) -> float:
    """Run ``python tools/<args>``; its output goes to ``log_path``.
    Returns the wall time in seconds; a failure raises naming the log."""
    if not osp.isdir(TOOLS):
        raise FileNotFoundError(
            f'the grid runs the tools of a source checkout; no {TOOLS}')
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        result = subprocess.run(
            [sys.executable,
             osp.join(TOOLS, args[0]), *args[1:]],
            stdout=log,
            stderr=subprocess.STDOUT)
    if result.returncode:
        raise RuntimeError(f'{" ".join(args)} failed ({result.returncode}); '
                           f'see {log_path}')
    return time.perf_counter() - start


def ensure_cnnh_targets(config_path: str, run_dir: str) -> float:
    """Stage 1 of CNNH for the run's config if its target file is absent;
    its wall time in seconds (0 when nothing was run)."""
    head = Config.fromfile(config_path).model.head
    if head.type != 'TargetCodeHashHead' or osp.isfile(
            head.targets_file.format(num_bits=head.num_bits)):
        return 0.0
    return run_tool(['cnnh_targets.py', config_path],
                    osp.join(run_dir, 'cnnh_targets.log'))


def tested(config_path: str, checkpoint: str, run_dir: str,
           part: str) -> tuple:
    """``tools/test.py`` of ``checkpoint`` with ``config_path`` into
    ``{run_dir}/{part}``: (wall seconds, numeric metrics)."""
    folder = osp.join(run_dir, part)
    seconds = run_tool(
        ['test.py', config_path, checkpoint, '--work-dir', folder],
        osp.join(run_dir, f'{part}.log'))
    return seconds, {
        k: v
        for k, v in saved_test_metrics(folder).items()
        if isinstance(v, (int, float))
    }


def run_one(config: str,
            bits: int,
            seed: int,
            work_dir: str,
            strict: bool = False,
            **options) -> dict:
    """Train, validate and test one (config, bits, seed); its result,
    saved (or read back when the run was done before). ``options`` are
    :func:`build_run_config`'s; ``strict``: refuse a config that selects
    on test data (:func:`selection_warnings`)."""
    run_dir = osp.join(work_dir, run_name(config), f'{bits}bit_seed{seed}')
    result_path = osp.join(run_dir, RESULT_FILE)
    asked = {k: v for k, v in options.items() if k != 'objective_interval'}
    warnings = selection_warnings(
        asked_config(config, bits, seed, **asked), config, strict)
    if osp.isfile(result_path):
        check_same_request(
            build_run_config(config, bits, seed, run_dir, **options), run_dir)
        with open(result_path) as f:
            return json.load(f)
    config_path = run_config(config, bits, seed, run_dir, **options)
    targets_seconds = ensure_cnnh_targets(config_path, run_dir)
    train_seconds = run_tool(
        # --resume: a run interrupted after a checkpoint continues from it.
        ['train.py', config_path, '--work-dir', run_dir, '--resume'],
        osp.join(run_dir, 'train.log'))
    # The newest checkpoint (also when a resumed run had nothing left).
    checkpoint = find_resume_checkpoint(run_dir)
    validation, val_seconds = None, None
    val_path = osp.join(run_dir, VALIDATION_CONFIG)
    if osp.isfile(val_path):
        val_seconds, validation = tested(val_path, checkpoint, run_dir, 'val')
    test_seconds, metrics = tested(config_path, checkpoint, run_dir, 'test')
    result = dict(
        config=config,
        method=method_name(config),
        bits=bits,
        seed=seed,
        max_iters=Config.fromfile(config_path).train_cfg.max_iters,
        train_seconds=round(train_seconds + targets_seconds, 1),
        test_seconds=round(test_seconds, 1),
        val_seconds=None if val_seconds is None else round(val_seconds, 1),
        selected=dict(
            checkpoint=osp.basename(checkpoint), rule='the last checkpoint'),
        validation=validation,
        selection_warnings=warnings,
        metrics=metrics)
    with open(result_path, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def column_key(metrics: Optional[dict], pattern: str) -> Optional[str]:
    """The one metric key matching ``pattern``, or None."""
    keys = [k for k in metrics or {} if re.search(pattern, k)]
    if len(keys) > 1:
        raise ValueError(f'several metrics match {pattern}: {keys}')
    return keys[0] if keys else None


def values(results: Sequence[dict],
           row_key: str,
           row: str,
           bits: int,
           pattern: str,
           part: str = 'metrics') -> List[float]:
    """The ``part`` (``'metrics'``: test, ``'validation'``) values matching
    ``pattern`` of the runs of one row (``result[row_key] == row``) at
    ``bits`` bits, over seeds."""
    found = []
    for r in results:
        key = column_key(r.get(part), pattern)
        if r[row_key] == row and r['bits'] == bits and key:
            found.append(r[part][key])
    return found


def column_label(results: Sequence[dict],
                 title: str,
                 pattern: str,
                 part: str = 'metrics') -> str:
    """The metric's name without ``retrieval/`` when every run has the
    same key (``mAP@all``), else ``title``."""
    keys = {column_key(r.get(part), pattern) for r in results} - {None}
    return re.sub(r'^retrieval/', '', keys.pop()) if len(keys) == 1 \
        else title


def best_on_validation(results: Sequence[dict], row_key: str,
                       bits: int) -> Optional[str]:
    """The row with the highest mean validation score (over seeds) at
    ``bits`` bits (the first among equals), or None without validation
    scores. The test scores are not read."""
    means = OrderedDict()
    for r in results:
        if r['bits'] == bits and r[row_key] not in means:
            found = values(results, row_key, r[row_key], bits,
                           VALIDATION_COLUMN, 'validation')
            if found:
                means[r[row_key]] = float(np.mean(found))
    return max(means, key=means.get) if means else None


def markdown_table(results: Sequence[dict],
                   row_key: str = 'method',
                   columns: Optional[Dict[str, str]] = None,
                   rows: Optional[Sequence[str]] = None) -> str:
    """Rows: ``rows`` (default: the values of ``row_key`` in first-seen
    order); columns: the validation mAP, then ``columns`` (default
    :data:`METRIC_COLUMNS`, test) x bits; cells: the value (mean ± std
    over seeds)."""
    columns = METRIC_COLUMNS if columns is None else columns
    rows = list(rows or OrderedDict.fromkeys(r[row_key] for r in results))
    bits = sorted({r['bits'] for r in results})
    parts = [('validation', 'val ' +
              column_label(results, 'mAP', VALIDATION_COLUMN, 'validation'),
              VALIDATION_COLUMN)]
    parts += [('metrics', column_label(results, title, pattern), pattern)
              for title, pattern in columns.items()]
    headers = [row_key] + [
        f'{label} {k} bits' for _, label, _ in parts for k in bits
    ]
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '---|' * len(headers)]
    for row in rows:
        cells = [row] + [
            format_values(values(results, row_key, row, k, pattern, part))
            for part, _, pattern in parts for k in bits
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def best_lines(results: Sequence[dict], row_key: str = 'method') -> str:
    """A line a code length: the row of the best validation mAP (the
    choice) and its test mAP."""
    lines = []
    for k in sorted({r['bits'] for r in results}):
        best = best_on_validation(results, row_key, k)
        if best is None:
            lines.append(f'- {k} bits: no validation scores, no choice')
            continue
        val = values(results, row_key, best, k, VALIDATION_COLUMN,
                     'validation')
        test = values(results, row_key, best, k, METRIC_COLUMNS['mAP'])
        lines.append(f'- {k} bits: {best} (validation '
                     f'{format_values(val)}, test {format_values(test)})')
    return ('Best on validation mAP (chosen on validation, its test score '
            'reported):\n\n' + '\n'.join(lines) + '\n')


def write_results(results: Sequence[dict],
                  table: str,
                  json_path: str,
                  table_path: Optional[str] = None) -> None:
    """Save the runs' results as JSON and the table as markdown (when
    ``table_path`` is given); print the table."""
    os.makedirs(osp.dirname(osp.abspath(json_path)), exist_ok=True)
    with open(json_path, 'w') as f:
        json.dump(list(results), f, indent=1)
    if table_path:
        with open(table_path, 'w') as f:
            f.write(table)
    print(table)


def run_summary(result: dict, name: str) -> str:
    """One line of a finished run: validation and test metrics, time."""
    parts = []
    for part, patterns, prefix in (('validation', [VALIDATION_COLUMN], 'val '),
                                   ('metrics', METRIC_COLUMNS.values(), '')):
        for pattern in patterns:
            key = column_key(result.get(part), pattern)
            if key:
                parts.append(f'{prefix}{key} {result[part][key]:.4f}')
    return (f'{name} {result["bits"]} bits seed {result["seed"]}: ' +
            ', '.join(parts) + f' (train {result["train_seconds"]} s)')


def run_grid(configs: Sequence[str],
             bits: Sequence[int],
             seeds: Sequence[int],
             work_dir: str,
             table_path: Optional[str] = None,
             **options) -> str:
    """Every (config, bits, seed) by :func:`run_one`, a line each as it
    ends; ``{work_dir}/grid.json`` and the table (also to ``table_path``)
    written; the table returned."""
    results = []
    for config in configs:
        for k in bits:
            for seed in seeds:
                result = run_one(config, k, seed, work_dir, **options)
                print(run_summary(result, result['method']), flush=True)
                results.append(result)
    table = markdown_table(results)
    write_results(results, table, osp.join(work_dir, 'grid.json'), table_path)
    return table
