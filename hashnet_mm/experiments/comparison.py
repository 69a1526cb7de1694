"""Methods x code lengths x seeds on feature datasets: selected on
validation, reported on test, summarised as a table and a figure.

A *dataset* is a feature-track HashNet config (``configs/feature_track/
hashnet_mlp_*.py``):
its loaders give the training features less the validation queries
(training), the validation queries against the rest (validation) and the
query against the database (test).

Deep methods are that config (``'hashnet'``) and the config combined with
each ``configs/_base_/methods/<name>.py`` as ``configs/dhn/*.py`` combine
them (``model.head`` = its ``method_head``, ``custom_hooks`` = its
``method_hooks``, where it defines them): a new method file joins the
comparison without code changes. A deep run trains through mmengine's
Runner, validating every ``train_cfg.val_interval`` iterations and saving
that iteration's checkpoint; the checkpoint of the best validation mAP
(:func:`select_best`: ties to the earlier) is then tested. Shallow methods
(:data:`hashnet_mm.shallow.methods.METHODS`) are fitted on the same
training features; each option set of :data:`SHALLOW_CANDIDATES` is scored
on the validation queries and the best one's codes are tested. The test
scores are never read by a selection.

Runs live in ``{work_dir}/{dataset}/{method}/{K}bit_seed{s}/`` with
``request.json`` (what the run was asked: the full config of a deep run,
the method and options of a shallow one) and ``result.json``. A finished run
with the same request is read back; a folder holding another request is
refused (ValueError naming it) before anything runs; an unfinished folder
of the same request is emptied and run again. Runs go to ``jobs`` worker
processes, each running many runs (the imports and registries once a
worker, not once a run).
"""
import functools
import json
import os
import os.path as osp
import re
import shutil
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from ..utils.selection import hold_out_validation_database

#: the deep method that is the dataset config itself
BASE_METHOD = 'hashnet'
#: the metric a selection maximises and the table reports (test), without
#: the evaluator's ``retrieval/`` prefix
SELECT_KEY = 'mAP@all'
#: option sets of a shallow method tried on validation (one: nothing to
#: choose): the features L2-normalised or not (FeatureMLP's input_norm
#: has the same choice); the methods' own settings are their defaults.
SHALLOW_CANDIDATES = {
    method: [dict(l2_normalize=False),
             dict(l2_normalize=True)]
    for method in ('lsh', 'sh', 'itq', 'itq-cca', 'ksh', 'bre')
}
#: the shallow methods of the comparison, in table order
SHALLOW_METHODS = tuple(SHALLOW_CANDIDATES)
#: heads that cannot train on the feature track, and why
UNSUPPORTED_HEADS = {
    'TargetCodeHashHead':
    'its stage-1 target codes (tools/cnnh_targets.py) are keyed by image '
    'path and learned by a pure-Python coordinate descent over n x K '
    'entries (minutes a run on a 2-core CPU): not on the feature track',
}
REQUEST_FILE = 'request.json'
RESULT_FILE = 'result.json'
HISTORY_FILE = 'validation_history.json'


# --------------------------------------------------------------- methods
def methods_dir() -> str:
    """``configs/_base_/methods`` of the package's configs."""
    from ..config_files import config_file
    return osp.dirname(config_file('_base_/methods/dhn.py'))


def method_files(folder: Optional[str] = None) -> Dict[str, str]:
    """Every method file: ``{name: path}`` with the name the file's stem
    with ``-`` for ``_`` (``hashnet-w`` for ``hashnet_w.py``), sorted."""
    folder = folder or methods_dir()
    return {
        osp.splitext(name)[0].replace('_', '-'): osp.join(folder, name)
        for name in sorted(os.listdir(folder))
        if name.endswith('.py') and not name.startswith('_')
    }


def method_label(name: str, path: Optional[str] = None) -> str:
    """A method's row label: the first word of its file's first comment
    line (``DHN`` for ``# DHN (Zhu et al., ...``, ``HashNet-W`` for
    ``# HashNet-W (paper ...``), else the name; a shallow method's
    :data:`METHODS` label; ``HashNet`` for the base config."""
    from ..shallow.methods import METHODS
    if name == BASE_METHOD:
        return 'HashNet'
    if name in METHODS:
        return METHODS[name][1]
    path = path or method_files().get(name)
    if path and osp.isfile(path):
        with open(path) as f:
            for line in f:
                match = re.match(r'#\s*([A-Za-z][\w-]*)', line)
                if match:
                    return match.group(1)
                if line.strip():
                    break
    return name


def loss_parameters(head: dict) -> set:
    """The constructor arguments of a head config's loss class."""
    import inspect

    from mmpretrain.registry import MODELS

    import hashnet_mm  # noqa: F401  (registers the losses)
    loss = (head.get('loss') or {}).get('type')
    cls = MODELS.get(loss) if loss else None
    if cls is None:
        return set()
    return set(inspect.signature(cls.__init__).parameters)


@functools.lru_cache(maxsize=None)
def is_multi_label(dataset_config: str) -> bool:
    """Whether a training image of the config has several labels, from the
    training dataset's annotations (``gt_label`` class indices; feature
    files and image lists alike). Read once a config per process."""
    import numpy as np
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS

    import hashnet_mm  # noqa: F401  (registers the datasets)
    cfg = Config.fromfile(dataset_config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return any(
        np.size(dataset.get_data_info(i)['gt_label']) > 1
        for i in range(len(dataset)))


def combined_config_text(dataset_config: str, method_file: str) -> str:
    """The config of a method file on a dataset config, as the
    ``configs/<method>/*.py`` files write it: ``model.head`` is the file's
    ``method_head``, ``custom_hooks`` its ``method_hooks`` and
    ``optim_wrapper.paramwise_cfg`` its ``method_paramwise_cfg`` where it
    defines them; a loss that takes ``num_classes`` gets the data
    preprocessor's, one that takes ``multi_label`` whether the training
    labels are multi-label (what the method files leave to dataset
    configs)."""
    defined = Config.fromfile(method_file)
    lines = [
        f'_base_ = [{osp.abspath(dataset_config)!r}, '
        f'{osp.abspath(method_file)!r}]'
    ]
    if 'method_head' in defined:
        lines.append('model = dict(head=_base_.method_head)')
        parameters = loss_parameters(defined.method_head)
        if 'num_classes' in parameters:
            lines.append("model['head']['loss']['num_classes'] = "
                         '_base_.data_preprocessor.num_classes')
        if 'multi_label' in parameters:
            lines.append("model['head']['loss']['multi_label'] = "
                         f'{is_multi_label(dataset_config)}')
    if 'method_hooks' in defined:
        lines.append('custom_hooks = _base_.method_hooks')
    if 'method_paramwise_cfg' in defined:
        lines.append('optim_wrapper = dict('
                     'paramwise_cfg=_base_.method_paramwise_cfg)')
    return '\n'.join(lines) + '\n'


def method_config(dataset_config: str, method: str,
                  methods: Dict[str, str]) -> Config:
    """The config of ``method`` on ``dataset_config``."""
    if method == BASE_METHOD:
        return Config.fromfile(dataset_config)
    if method not in methods:
        raise ValueError(f'unknown deep method {method!r}; method files: '
                         f'{sorted(methods)}')
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, f'{method.replace("-", "_")}_features.py')
        with open(path, 'w') as f:
            f.write(combined_config_text(dataset_config, methods[method]))
        return Config.fromfile(path)


def unsupported_reason(cfg: Config) -> Optional[str]:
    """Why a method's config cannot run on the feature track, or None."""
    return UNSUPPORTED_HEADS.get(cfg.model.head.get('type'))


def default_methods(dataset_config: str, methods_folder: Optional[str] = None):
    """``(methods, skipped)``: HashNet, every method file that runs on
    ``dataset_config`` and the shallow methods; ``{name: reason}`` for the
    method files that cannot."""
    files = method_files(methods_folder)
    deep, skipped = [BASE_METHOD], {}
    for name in files:
        reason = unsupported_reason(method_config(dataset_config, name, files))
        if reason:
            skipped[name] = reason
        else:
            deep.append(name)
    return deep + list(SHALLOW_METHODS), skipped


# ------------------------------------------------------------------ runs
@dataclass(frozen=True)
class Run:
    """One cell of the grid."""
    dataset: str
    method: str
    bits: int
    seed: int

    def folder(self, work_dir: str) -> str:
        return osp.join(work_dir, self.dataset, self.method,
                        f'{self.bits}bit_seed{self.seed}')


def deep_run_config(cfg: Config,
                    bits: int,
                    seed: int,
                    run_dir: str,
                    max_iters: Optional[int] = None,
                    cfg_options: Optional[dict] = None) -> Config:
    """The config a deep run trains: K bits, the seed, a checkpoint at
    every validation (the selection's candidates), the validation history
    recorded (:class:`ValidationHistoryHook`), quiet logs."""
    cfg = Config(cfg.to_dict())  # a copy
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.head.num_bits = bits
    cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
    if max_iters:
        val_every = cfg.train_cfg.get('val_interval') or max_iters
        cfg.train_cfg.val_interval = max(1, min(val_every, max_iters))
        cfg.train_cfg.max_iters = max_iters
    if not cfg.get('val_dataloader') or not cfg.get('val_evaluator'):
        raise ValueError('the dataset config needs a val_dataloader and '
                         'val_evaluator (validation queries against the '
                         'training features)')
    interval = cfg.train_cfg.get('val_interval') or cfg.train_cfg.max_iters
    cfg.train_cfg.val_interval = interval
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=interval,
        max_keep_ckpts=-1,
        save_last=True,
        save_optimizer=False)
    cfg.default_hooks.logger = dict(
        type='RetrievalLoggerHook',
        interval=max(
            1,
            min(
                cfg.default_hooks.logger.get('interval', 50),
                cfg.train_cfg.max_iters)))
    hooks = [
        h for h in (cfg.get('custom_hooks') or [])
        if h.get('type') != 'ValidationHistoryHook'
    ]
    cfg.custom_hooks = hooks + [
        dict(type='ValidationHistoryHook', filename=HISTORY_FILE)
    ]
    cfg.work_dir = run_dir
    cfg.log_level = 'WARNING'
    return cfg


def select_best(history: Sequence[dict], key: str = SELECT_KEY) -> dict:
    """The entry of a validation history with the highest ``key`` (the
    earliest among equals). ``history`` is a list of ``{'iter': t, key:
    score, ...}``; keys may carry the evaluator's ``retrieval/`` prefix."""
    if not history:
        raise ValueError('no validation scores to select on')
    scores = [metric_value(entry, key) for entry in history]
    return history[int(np.argmax(scores))]


def metric_value(metrics: dict, key: str = SELECT_KEY) -> float:
    """``metrics[key]`` with or without the ``retrieval/`` prefix."""
    for name in (key, f'retrieval/{key}'):
        if name in metrics:
            return float(metrics[name])
    raise KeyError(f'no {key} among the metrics {sorted(metrics)}')


def plain_metrics(metrics: dict) -> dict:
    """Numeric metrics with the ``retrieval/`` prefix removed (a history
    entry's ``iter`` left out)."""
    return {
        re.sub(r'^retrieval/', '', k): float(v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and k != 'iter'
    }


class UnformattedConfig(Config):
    """A Config whose text is one ``name = repr(value)`` line a top-level
    key: what the Runner writes (the config dump, every checkpoint's meta)
    without yapf's formatting, which costs more than a small feature-track
    run trains."""

    @property
    def pretty_text(self) -> str:
        return ''.join(f'{key} = {value!r}\n'
                       for key, value in self.to_dict().items())


def train_and_test_deep(cfg: Config) -> dict:
    """Train ``cfg`` through the Runner, test the checkpoint of the best
    validation mAP; the run's selection and scores."""
    import gc

    from mmengine.runner import Runner
    cfg = UnformattedConfig(cfg.to_dict())
    cfg.experiment_name = f'run_{uuid.uuid4().hex[:12]}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    with open(osp.join(cfg.work_dir, HISTORY_FILE)) as f:
        history = json.load(f)
    chosen = select_best(history)
    checkpoint = osp.join(cfg.work_dir, f'iter_{chosen["iter"]}.pth')
    runner.load_checkpoint(checkpoint)
    test = runner.test()
    for name in os.listdir(cfg.work_dir):  # keep the selected weights only
        if re.fullmatch(r'iter_\d+\.pth', name) and \
                name != osp.basename(checkpoint):
            os.remove(osp.join(cfg.work_dir, name))
    del runner
    gc.collect()
    return dict(
        selected=dict(
            iter=chosen['iter'],
            validation=plain_metrics(chosen),
            checkpoint=osp.basename(checkpoint)),
        validation_history=[
            dict(iter=h['iter'], **plain_metrics(h)) for h in history
        ],
        test=plain_metrics(test))


def shallow_split(feature_dir: str, val_split: dict) -> dict:
    """The feature track's parts for a shallow method, from the same files
    and validation split as the deep runs: ``train`` (fitted on),
    ``val_query``, ``val_database`` (``train`` itself unless the split
    holds one out), ``query``, ``database``; each (features, labels)."""
    from ..datasets.validation_split import subset_indices
    from ..shallow.feature_files import load_features
    train = load_features(feature_dir, 'train')
    parts = {}
    for subset in ('train', 'val_query', 'val_database'):
        rows = subset_indices(train['labels'], subset, **val_split)
        parts[subset] = (train['features'][rows], train['labels'][rows])
    for split in ('query', 'database'):
        files = load_features(feature_dir, split)
        parts[split] = (files['features'], files['labels'])
    return parts


def fit_and_test_shallow(method: str, bits: int, seed: int, parts: dict,
                         candidates: Sequence[dict], evaluator: dict) -> dict:
    """Fit each option set on ``parts['train']``, score it on the
    validation queries, test the best one's codes."""
    import torch

    from ..shallow.methods import build_method
    score = scorer(evaluator)

    def prepare(features, options):
        features = torch.from_numpy(features).double()
        if options.get('l2_normalize'):
            features = torch.nn.functional.normalize(features, dim=1)
        return features

    history, fitted = [], []
    for options in candidates:
        hasher_options = {
            k: v
            for k, v in options.items() if k != 'l2_normalize'
        }
        hasher = build_method(method, bits, seed, hasher_options)
        train_x = prepare(parts['train'][0], options)
        hasher.fit(train_x, torch.from_numpy(parts['train'][1]))
        metrics = score(
            hasher.encode(prepare(parts['val_query'][0],
                                  options)), parts['val_query'][1],
            hasher.encode(prepare(parts['val_database'][0], options)),
            parts['val_database'][1])
        history.append(dict(options=dict(options), **metrics))
        fitted.append(hasher)
    best = max(
        range(len(history)), key=lambda i: (metric_value(history[i]), -i))
    options, hasher = candidates[best], fitted[best]
    test = score(
        hasher.encode(prepare(parts['query'][0], options)), parts['query'][1],
        hasher.encode(prepare(parts['database'][0], options)),
        parts['database'][1])
    return dict(
        selected=dict(
            options=dict(options),
            validation=plain_metrics({
                k: v
                for k, v in history[best].items() if k != 'options'
            })),
        validation_history=history,
        test=test)


def scorer(evaluator: dict) -> Callable:
    """``score(query codes, query labels, database codes, database labels)
    -> metrics``: the config's evaluator (HammingRetrievalMetric) on codes,
    as its test scores a network."""
    import torch
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import METRICS
    init_default_scope('mmpretrain')
    import hashnet_mm  # noqa: F401  (registers the metric)
    metric = METRICS.build(evaluator)

    def score(query_codes, query_labels, database_codes, database_labels):
        tensors = [
            torch.as_tensor(t).cpu() for t in (query_codes, query_labels,
                                               database_codes, database_labels)
        ]
        return plain_metrics(metric.score(*tensors))

    return score


# ----------------------------------------------------------- the grid
class Comparison:
    """The grid of one command: datasets x methods x bits x seeds.

    Args:
        datasets (dict): ``{name: feature-track HashNet config}``.
        methods (sequence[str]): deep (``'hashnet'``, the method files'
            names) and shallow (:data:`SHALLOW_METHODS`) method names.
        bits, seeds (sequence[int]): code lengths and seeds.
        work_dir (str): where the runs live.
        max_iters (int, optional): every deep run's iterations (validation
            every ``min(val_interval, max_iters)``).
        cfg_options (dict, optional): merged into every deep config.
        methods_folder (str, optional): the method files (default: the
            package's ``configs/_base_/methods``).
        val_database (int): training images held out as the validation
            database of every run, deep and shallow
            (:func:`~hashnet_mm.utils.selection.hold_out_validation_database`);
            0 (default): the configs' validation database, the trained-on
            rest in the shipped ones.
    """

    def __init__(self,
                 datasets: Dict[str, str],
                 methods: Sequence[str],
                 bits: Sequence[int],
                 seeds: Sequence[int],
                 work_dir: str,
                 max_iters: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 methods_folder: Optional[str] = None,
                 val_database: int = 0):
        self.datasets = dict(datasets)
        self.method_files = method_files(methods_folder)
        self.methods = list(methods)
        self.bits, self.seeds = list(bits), list(seeds)
        self.work_dir = work_dir
        self.max_iters, self.cfg_options = max_iters, cfg_options
        self.val_database = val_database
        deep = {BASE_METHOD, *self.method_files}
        unknown = [
            m for m in self.methods
            if m not in deep and m not in SHALLOW_CANDIDATES
        ]
        if unknown:
            raise ValueError(
                f'unknown methods {unknown}; deep: {sorted(deep)}, shallow: '
                f'{list(SHALLOW_METHODS)}')
        self.configs = {}
        for dataset, config in self.datasets.items():
            for method in self.methods:
                if method in SHALLOW_CANDIDATES:
                    continue
                cfg = self.with_validation(
                    method_config(config, method, self.method_files))
                reason = unsupported_reason(cfg)
                if reason:
                    raise ValueError(f'{method}: {reason}')
                self.configs[dataset, method] = cfg

    def with_validation(self, cfg: Config) -> Config:
        """``cfg`` with this grid's validation database (see
        ``val_database``)."""
        if self.val_database:
            hold_out_validation_database(cfg, self.val_database)
        return cfg

    def runs(self) -> List[Run]:
        return [
            Run(d, m, k, s) for d in self.datasets for m in self.methods
            for k in self.bits for s in self.seeds
        ]

    def request(self, run: Run) -> dict:
        """Everything a run's result depends on."""
        if run.method in SHALLOW_CANDIDATES:
            cfg = self.with_validation(
                Config.fromfile(self.datasets[run.dataset]))
            return dict(
                kind='shallow',
                **asdict(run),
                feature_dir=osp.abspath(shallow_feature_dir(cfg)),
                val_split=shallow_val_split(cfg),
                candidates=SHALLOW_CANDIDATES[run.method],
                evaluator=cfg.test_evaluator.to_dict())
        cfg = deep_run_config(self.configs[run.dataset,
                                           run.method], run.bits, run.seed,
                              run.folder(self.work_dir), self.max_iters,
                              self.cfg_options)
        return dict(kind='deep', **asdict(run), config=cfg.pretty_text)

    def check(self) -> Dict[Run, Optional[dict]]:
        """Each run's finished result (None if it must run); a folder of
        another request is an error, raised before anything runs."""
        state = {}
        for run in self.runs():
            folder = run.folder(self.work_dir)
            path = osp.join(folder, REQUEST_FILE)
            if not osp.isfile(path):
                state[run] = None
                continue
            with open(path) as f:
                saved = json.load(f)
            if saved != json.loads(json.dumps(self.request(run))):
                raise ValueError(
                    f'{folder} holds a run of other settings (its '
                    f'{REQUEST_FILE} differs: another --max-iters, '
                    '--cfg-options, feature files, method file or config); '
                    'delete that folder or choose another --work-dir')
            result = osp.join(folder, RESULT_FILE)
            if osp.isfile(result):
                with open(result) as f:
                    state[run] = json.load(f)
            else:
                state[run] = None
        return state

    def run(self, jobs: int = 1, logger: Callable = print) -> List[dict]:
        """Run what is not finished (``jobs`` worker processes; 1: here);
        every run's result, in grid order. Failed runs are reported
        together at the end (RuntimeError naming them and their folders)."""
        state = self.check()
        todo = [run for run, result in state.items() if result is None]
        done = len(state) - len(todo)
        logger(f'{len(state)} runs: {done} finished before, {len(todo)} to '
               f'run with {jobs} job(s)')
        # A seed at a time (a grid cut short still has every cell), the
        # longer runs first within it.
        todo.sort(
            key=lambda r: (r.seed, r.method in SHALLOW_CANDIDATES, -r.bits))
        tasks = [(run, self.request(run), self.work_dir) for run in todo]
        failures = []

        def finished(run, result, error):
            if error:
                failures.append(f'{run.folder(self.work_dir)}: {error}')
                logger(f'FAILED {run}: {error}')
                return
            state[run] = result
            logger(f'{run.dataset} {run.method} {run.bits} bits seed '
                   f'{run.seed}: test {SELECT_KEY} '
                   f'{result["test"][SELECT_KEY]:.4f} '
                   f'({result["seconds"]:.1f} s)')

        if jobs <= 1:
            for task in tasks:
                finished(task[0], *execute(*task))
        else:
            with ProcessPoolExecutor(
                    jobs, mp_context=get_context('spawn'),
                    initializer=worker_init) as pool:
                futures = {
                    pool.submit(execute, *task): task[0]
                    for task in tasks
                }
                for future in as_completed(futures):
                    finished(futures[future], *future.result())
        if failures:
            raise RuntimeError(f'{len(failures)} of {len(todo)} runs '
                               'failed (rerun the command to retry only '
                               'them):\n' + '\n'.join(failures))
        return [state[run] for run in self.runs()]


def shallow_feature_dir(cfg: Config) -> str:
    """The feature folder of a feature-track config's training set."""
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') != 'FeatureDataset':
        raise ValueError('shallow methods need a feature-track config '
                         '(train_dataloader.dataset FeatureDataset), got '
                         f'{dataset.get("type")}')
    return osp.join(
        dataset.get('data_root', ''), dataset.get('feature_dir', ''))


def shallow_val_split(cfg: Config) -> dict:
    """The training set's validation split settings."""
    dataset = cfg.train_dataloader.dataset
    return dict(
        val_queries=dataset.get('val_queries', 0),
        val_seed=dataset.get('val_seed', 0),
        val_database=dataset.get('val_database', 0))


def worker_init() -> None:
    """A worker process: one thread (the jobs share the cores)."""
    import torch
    torch.set_num_threads(1)


def execute(run: Run, request: dict, work_dir: str):
    """Run one cell in this process: ``(result, None)`` or ``(None, error
    text)``. The folder is emptied first (a partial run is redone), the
    request written, then the result."""
    folder = run.folder(work_dir)
    try:
        if osp.isdir(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        with open(osp.join(folder, REQUEST_FILE), 'w') as f:
            json.dump(request, f, indent=1)
        import hashnet_mm  # noqa: F401  (registers the plugin's classes)
        start = time.perf_counter()
        if request['kind'] == 'deep':
            cfg = Config.fromstring(request['config'], '.py')
            outcome = train_and_test_deep(cfg)
        else:
            parts = shallow_split(request['feature_dir'], request['val_split'])
            outcome = fit_and_test_shallow(run.method, run.bits, run.seed,
                                           parts, request['candidates'],
                                           request['evaluator'])
        result = dict(
            asdict(run),
            kind=request['kind'],
            **outcome,
            seconds=round(time.perf_counter() - start, 2))
        with open(osp.join(folder, RESULT_FILE), 'w') as f:
            json.dump(result, f, indent=1)
        return result, None
    except Exception as e:  # reported with the others at the end
        return None, f'{type(e).__name__}: {e}'
