"""What a run selects its model on: validation data, not the test queries.

``save_best`` (the best checkpoint), an ``EarlyStoppingHook`` and a sweep
choose by the ``val_dataloader``'s results. The shipped dataset configs
validate on queries held out of the training list (``HashListDataset``
``subset='val_query'``), ranked against the rest of it; the test queries and
database are only reported. :func:`check_selection_data` warns, naming the
settings, when a config selects on its test queries, or trains on its own
validation queries. ``allow_test_selection = True`` in the config turns the
first warning into one logged line, to reproduce a protocol that selected
on the test set.
"""
import logging
import os.path as osp
from typing import List, Optional

from mmengine.logging import print_log

#: The config key that allows selecting on the test queries.
ALLOW_TEST_SELECTION = 'allow_test_selection'
# Dataset settings that do not change which images a dataset holds.
_NOT_CONTENT = ('pipeline', 'lazy_init', 'serialize_data', 'test_mode',
                'max_refetch', 'num_classes', 'classes', 'metainfo')


def selection_settings(cfg, sweep: bool = False) -> List[str]:
    """The settings of ``cfg`` that choose by validation results:
    ``default_hooks.checkpoint.save_best``, an ``EarlyStoppingHook`` in
    ``custom_hooks``, and (``sweep=True``) the sweep itself."""
    settings = []
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    if checkpoint.get('save_best'):
        settings.append('default_hooks.checkpoint.save_best='
                        f'{checkpoint["save_best"]!r}')
    if any(
            isinstance(hook, dict) and hook.get('type') == 'EarlyStoppingHook'
            for hook in cfg.get('custom_hooks') or ()):
        settings.append('custom_hooks EarlyStoppingHook')
    if sweep:
        settings.append('the sweep (it ranks runs by their validation '
                        'results)')
    return settings


def query_dataset(loader) -> Optional[dict]:
    """The query set of a dataloader config: ``QueryDatabaseDataset``'s
    ``query`` (through dataset wrappers), else the dataset itself."""
    dataset = (loader or {}).get('dataset')
    while isinstance(dataset, dict):
        if isinstance(dataset.get('query'), dict):
            return dataset['query']
        if not isinstance(dataset.get('dataset'), dict):
            return dataset
        dataset = dataset['dataset']
    return None


def content_key(dataset: Optional[dict],
                whole_list: bool = False) -> Optional[tuple]:
    """What decides which images a dataset config holds: its list file
    (joined to ``data_root``), its subset of the list (not with
    ``whole_list``), and its other settings except pipelines and class
    names."""
    if not isinstance(dataset, dict):
        return None
    items = {k: v for k, v in dataset.items() if k not in _NOT_CONTENT}
    root = items.pop('data_root', '') or ''
    ann_file = items.pop('ann_file', None)
    if ann_file is not None:
        items['list'] = osp.normpath(osp.join(root, ann_file))
    elif root:
        items['data_root'] = osp.normpath(root)
    subset = items.pop('subset', 'all')
    queries = items.pop('val_queries', 0)
    seed = items.pop('val_seed', 0)
    database = items.pop('val_database', 0)
    if whole_list:
        pass
    elif subset == 'all' or (subset == 'train' and not queries
                             and not database):
        items['subset'] = 'all'
    else:
        if subset == 'val_database' and not database:
            subset = 'train'  # no database held out: the trained-on rest
        items.update(
            subset=subset,
            val_queries=queries,
            val_seed=seed,
            val_database=database)
    return tuple(sorted((k, repr(v)) for k, v in items.items()))


def same_list(a: Optional[dict], b: Optional[dict]) -> bool:
    """Whether two dataset configs read the same list (any subsets)."""
    key = content_key(a, whole_list=True)
    return key is not None and key == content_key(b, whole_list=True)


def described(dataset: dict) -> str:
    """``data_root + ann_file`` of a dataset config, and its subset."""
    where = osp.join(
        dataset.get('data_root') or '',
        str(dataset.get('ann_file', dataset.get('type'))))
    subset = dataset.get('subset', 'all')
    return where if subset == 'all' else f'{where} (subset={subset!r})'


def split_settings(dataset: dict) -> str:
    """``val_queries=..., val_seed=..., val_database=...`` of a dataset
    config (defaults filled in)."""
    return (f'val_queries={dataset.get("val_queries", 0)!r}, '
            f'val_seed={dataset.get("val_seed", 0)!r}, '
            f'val_database={dataset.get("val_database", 0)!r}')


def hold_out_validation_database(cfg, num_images: int) -> None:
    """Make ``cfg`` rank its validation queries against ``num_images``
    training images held out of training (``val_database``), not against
    the trained-on rest: the training set and the validation queries get
    ``val_database=num_images``, the validation database becomes
    ``subset='val_database'``. In place; ``cfg`` must validate on queries
    held out of its training list, as the shipped dataset configs do."""
    train = query_dataset(cfg.get('train_dataloader'))
    val = (cfg.get('val_dataloader') or {}).get('dataset') or {}
    query, database = val.get('query'), val.get('database')
    if not (isinstance(query, dict) and isinstance(database, dict)
            and query.get('subset') == 'val_query' and same_list(query, train)
            and same_list(database, train)):
        raise ValueError(
            'val_database needs a config that validates on queries held out '
            "of its training list (val_dataloader's QueryDatabaseDataset "
            "with query subset='val_query' and its database read from "
            "train_dataloader's list, as the shipped dataset configs)")
    for dataset in (train, query):
        dataset['val_database'] = num_images
    database.update(subset='val_database', val_database=num_images)


def check_selection_data(cfg, logger=None, sweep: bool = False) -> List[str]:
    """Warn when ``cfg`` selects its model on test data, or trains on its
    validation queries; return the warnings (empty: nothing to say).

    Selecting on test data: a setting of :func:`selection_settings` is in
    use and ``val_dataloader``'s queries come from ``test_dataloader``'s
    query list (all of it or a part). The warning names the settings and
    the list; ``allow_test_selection = True`` in the config logs one line
    instead. Training on validation queries: the validation queries are
    ``subset='val_query'`` of the training list, but the training set is
    not ``subset='train'`` with the same ``val_queries``, ``val_seed`` and
    ``val_database``;
    or they are held out of another list than the training list (e.g.
    ``val_dataloader = test_dataloader`` in a config whose base validates
    on ``train.txt``: the base's subset settings then apply to the test
    lists).

    Args:
        cfg (Config | dict): a training config.
        logger (str | Logger, optional): where to log (mmengine's
            ``print_log``); default the current MMLogger.
        sweep (bool): the config is run by a sweep that compares runs by
            their validation results (selection even without save_best).
    """
    logger = logger or 'current'
    warnings = []
    val_query = query_dataset(cfg.get('val_dataloader'))
    if val_query is None:
        return warnings
    settings = selection_settings(cfg, sweep)
    test_query = query_dataset(cfg.get('test_dataloader'))
    if settings and same_list(val_query, test_query):
        uses = ' and '.join(settings)
        if cfg.get(ALLOW_TEST_SELECTION):
            print_log(
                f'{ALLOW_TEST_SELECTION} = True: {uses} select on the '
                f'test queries ({described(val_query)}), as the '
                'reproduced protocol did; their test results are '
                'optimistic.',
                logger=logger,
                level=logging.INFO)
        else:
            warnings.append(
                f'Selection on the test set: {uses} choose by '
                'val_dataloader, whose queries are test queries '
                f'({described(val_query)}), so the test results of what is '
                'chosen are optimistic. Validate on queries held out of the '
                "training list (HashListDataset subset='val_query' / "
                "'train' with val_queries, as the shipped dataset configs), "
                f'or set {ALLOW_TEST_SELECTION} = True in the config to '
                'reproduce a protocol that selected on the test set.')
    train = query_dataset(cfg.get('train_dataloader'))
    if val_query.get('subset') != 'val_query' or train is None:
        pass
    elif not same_list(val_query, train):
        warnings.append(
            "Validation queries held out of another list than the "
            f"training list: val_dataloader's queries are "
            f'{described(val_query)}, train_dataloader\'s dataset is '
            f'{described(train)}. Hold them out of the training list (its '
            "data_root and ann_file, subset='val_query'); a config that "
            'sets val_dataloader = test_dataloader over a base that '
            "validates on train.txt gives the test lists the base's subset "
            "settings: set subset='all' in them.")
    elif content_key(train) != content_key(dict(val_query, subset='train')):
        warnings.append(
            'Training on validation images: val_dataloader\'s queries are '
            f'{described(val_query)} with {split_settings(val_query)}, but '
            f'train_dataloader\'s dataset is {described(train)} with '
            f'{split_settings(train)}: give it subset=\'train\' and the '
            'same val_queries, val_seed and val_database.')
    for message in warnings:
        print_log(message, logger=logger, level=logging.WARNING)
    return warnings
