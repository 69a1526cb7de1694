"""Train and test methods x bit lengths on one dataset; a markdown table.

    python tools/analysis/run_grid.py \
        configs/hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py \
        configs/dhn/dhn_resnet18cifar_1xb64_fashionmnist-demo_32bit.py \
        --bits 16 32 --max-iters 400 --work-dir work_dirs/grid --out grid.md

Each config is one method (a row); ``--bits`` sets ``model.head.num_bits``
of every run, whatever length the file has, so one config a method x
dataset serves every length (``configs/dhn/dhn_resnet50_1xb64_coco_64bit.py``; for
HashNet any of its ``_{K}bit`` files, e.g.
``configs/hashnet_resnet50_coco_64bit.py``). A run is ``tools/train.py``
then ``tools/test.py`` on the last checkpoint, in subprocesses, in
``{work-dir}/{config name without _{K}bit}/{K}bit_seed{s}``; the run's exact
config is saved there as ``config.py`` and the wall times of training
(CNNH: both stages) and testing in ``grid_result.json``. mAP@R, the
tie-aware mAP@R and P@H<=2 are read from the test's saved results
(``{run}/test/{timestamp}/{timestamp}.json``, written by mmengine's
LoggerHook). A run with a ``grid_result.json`` is not run again, so an
interrupted grid resumes; the config the run was asked for is kept as
``grid_config.py``, and a folder whose run had other settings (another
``--max-iters``, ``--cfg-options``, ``--data-root``, an edited config) is an
error, never read back as this run's result. A CNNH config whose target
codes are missing gets them from ``tools/cnnh_targets.py`` first.

``--data-root DIR`` points every dataset of every config (train, query,
database) at another copy of the data, e.g. a smaller build of the same
benchmark; CNNH target files under the training set's root move with it.

``--max-iters N`` shortens every schedule to N iterations the same way:
the learning-rate schedulers (iteration-based ``begin``/``end``/
``step_size``/``milestones``/``T_max``) and the ``ContinuationHook``
(``'power'``: ``step`` and ``gamma``; ``'stages'``: the stage starts) are
compressed by the same factor, so beta still rises from 1 to its final value
by the end; a ``'budget'`` continuation fits itself to any ``max_iters``.
J(g) and L(h) (fig. 6) are logged at the logger's interval in every run
(``tools/analysis/plot_losses.py RUN``).
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from collections import OrderedDict
from typing import Optional, Sequence

from mmengine.config import Config, DictAction

from hashnet_mm.engine.hooks import ContinuationHook
from hashnet_mm.experiments.report import mean_std as format_values
from hashnet_mm.utils.cli import override_config
from hashnet_mm.utils.resume import find_resume_checkpoint

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Row names of the configs' method prefixes (the file name up to '_').
METHOD_NAMES = {
    'hashnet': 'HashNet', 'hashnet-w': 'HashNet-W', 'hashnet-c': 'HashNet-C',
    'dhn': 'DHN', 'dpsh': 'DPSH', 'dnnh': 'DNNH', 'cnnh': 'CNNH',
    'csq': 'CSQ', 'dpn': 'DPN', 'orthohash': 'OrthoHash',
    'greedyhash': 'GreedyHash', 'dsh': 'DSH'
}
# Table column: pattern of the metric key in the saved results.
METRIC_COLUMNS = OrderedDict([
    ('mAP', r'^retrieval/mAP@'),
    ('tie-aware mAP', r'^retrieval/tie_aware_mAP@'),
    ('P@H<=2', r'^retrieval/P@H<=2$'),
])
RESULT_FILE = 'grid_result.json'
# The config a run was asked for (config.py is rewritten by the Runner).
REQUEST_FILE = 'grid_config.py'


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
    for scheduler in (schedulers if isinstance(schedulers, list)
                      else [schedulers]):
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
                round(m * factor) for m in scheduler['milestones']]
    for hook in cfg.get('custom_hooks') or []:
        if hook['type'] != 'ContinuationHook':
            continue
        settings = ContinuationHook(
            **{key: value for key, value in hook.items() if key != 'type'})
        if settings.schedule == 'stages':
            hook['stages'] = [(round(start * factor), beta)
                              for start, beta in settings.stages]
        elif settings.schedule == 'power':
            # beta'(t') = beta(t' / factor): gamma' t' = gamma t' / factor.
            hook['gamma'] = settings.gamma * original / max_iters
            hook['step'] = max(1, round(settings.step * factor))
        # 'budget' fits itself to train_cfg.max_iters: nothing to change.
    return cfg


def build_run_config(config: str, bits: int, seed: int, run_dir: str,
                     max_iters: Optional[int] = None,
                     cfg_options: Optional[dict] = None,
                     objective_interval: Optional[int] = None,
                     data_root: Optional[str] = None) -> Config:
    """The run's config: ``config`` with the grid's settings applied."""
    cfg = override_config(Config.fromfile(config), cfg_options, data_root)
    cfg.model.head.num_bits = bits
    cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
    if max_iters:
        compress_schedule(cfg, max_iters)
    iterations = cfg.train_cfg.max_iters
    # Test once, by tools/test.py, after training: no validation loop.
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.update(
        interval=iterations, max_keep_ckpts=1, by_epoch=False)
    cfg.model.head.objective_interval = \
        objective_interval or cfg.default_hooks.logger.interval
    cfg.work_dir = run_dir
    return cfg


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
    to ``REQUEST_FILE``); return its path. ``options`` are
    :func:`build_run_config`'s."""
    cfg = build_run_config(config, bits, seed, run_dir, **options)
    check_same_request(cfg, run_dir)
    os.makedirs(run_dir, exist_ok=True)
    with open(osp.join(run_dir, REQUEST_FILE), 'w') as f:
        f.write(cfg.pretty_text)
    path = osp.join(run_dir, 'config.py')
    cfg.dump(path)
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
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        result = subprocess.run([sys.executable, osp.join(TOOLS, args[0]),
                                 *args[1:]], stdout=log,
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


def run_one(config: str, bits: int, seed: int, work_dir: str,
            **options) -> dict:
    """Train and test one (config, bits, seed); its result, saved (or
    read back when the run was done before). ``options`` are
    :func:`build_run_config`'s."""
    run_dir = osp.join(work_dir, run_name(config), f'{bits}bit_seed{seed}')
    result_path = osp.join(run_dir, RESULT_FILE)
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
    test_dir = osp.join(run_dir, 'test')
    test_seconds = run_tool(
        ['test.py', config_path, checkpoint, '--work-dir', test_dir],
        osp.join(run_dir, 'test.log'))
    result = dict(
        config=config, method=method_name(config), bits=bits, seed=seed,
        max_iters=Config.fromfile(config_path).train_cfg.max_iters,
        train_seconds=round(train_seconds + targets_seconds, 1),
        test_seconds=round(test_seconds, 1),
        metrics={k: v for k, v in saved_test_metrics(test_dir).items()
                 if isinstance(v, (int, float))})
    with open(result_path, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def column_key(metrics: dict, pattern: str) -> Optional[str]:
    """The one metric key matching ``pattern``, or None."""
    keys = [k for k in metrics if re.search(pattern, k)]
    if len(keys) > 1:
        raise ValueError(f'several metrics match {pattern}: {keys}')
    return keys[0] if keys else None


def markdown_table(results: Sequence[dict]) -> str:
    """Rows: methods in first-seen order; columns: metric x bits; cells:
    the value (mean ± std over seeds)."""
    methods = list(OrderedDict.fromkeys(r['method'] for r in results))
    bits = sorted({r['bits'] for r in results})
    headers, columns = ['method'], []
    for title, pattern in METRIC_COLUMNS.items():
        keys = {column_key(r['metrics'], pattern) for r in results} - {None}
        label = re.sub(r'^retrieval/', '', keys.pop()) \
            if len(keys) == 1 else title
        for k in bits:
            headers.append(f'{label} {k} bits')
            columns.append((pattern, k))
    lines = ['| ' + ' | '.join(headers) + ' |',
             '|' + '---|' * len(headers)]
    for method in methods:
        cells = [method]
        for pattern, k in columns:
            values = []
            for r in results:
                key = column_key(r['metrics'], pattern)
                if r['method'] == method and r['bits'] == k and key:
                    values.append(r['metrics'][key])
            cells.append(format_values(values))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def write_results(results: Sequence[dict], table: str, json_path: str,
                  table_path: Optional[str] = None) -> None:
    """Save the runs' results as JSON and the table as markdown (when
    ``table_path`` is given); print the table."""
    with open(json_path, 'w') as f:
        json.dump(list(results), f, indent=1)
    if table_path:
        with open(table_path, 'w') as f:
            f.write(table)
    print(table)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train and test methods x bit lengths; markdown table')
    parser.add_argument('configs', nargs='+', help='one config per method')
    parser.add_argument('--bits', type=int, nargs='+', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--max-iters', type=int,
                        help='compress every schedule to this many iters')
    parser.add_argument('--objective-interval', type=int,
                        help='log J(g), L(h) every this many iterations '
                        "(default: the config's logger interval)")
    parser.add_argument('--data-root',
                        help='read every dataset from this folder instead')
    parser.add_argument('--work-dir', default='work_dirs/grid')
    parser.add_argument('--out', help='also write the table to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override entries of every config')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    results = []
    for config in args.configs:
        for bits in args.bits:
            for seed in args.seeds:
                result = run_one(
                    config, bits, seed, args.work_dir,
                    max_iters=args.max_iters, cfg_options=args.cfg_options,
                    objective_interval=args.objective_interval,
                    data_root=args.data_root)
                metrics = result['metrics']
                keys = [column_key(metrics, pattern)
                        for pattern in METRIC_COLUMNS.values()]
                print(f'{result["method"]} {bits} bits seed {seed}: ' +
                      ', '.join(f'{k} {metrics[k]:.4f}' for k in keys if k) +
                      f' (train {result["train_seconds"]} s)', flush=True)
                results.append(result)
    table = markdown_table(results)
    write_results(results, table, osp.join(args.work_dir, 'grid.json'),
                  args.out)
    return table


if __name__ == '__main__':
    main()
