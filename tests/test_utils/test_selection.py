"""check_selection_data: a warning when a run selects on its test queries
or trains on its validation queries; allow_test_selection silences it."""
import copy
import logging

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger

from hashnet_mm.utils.selection import (check_selection_data, content_key,
                                        selection_settings)
from ..test_configs import load_config

DEMO = 'hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py'


@pytest.fixture
def logged():
    """Messages logged at WARNING and INFO, as (level, text)."""
    records = []

    class Keep(logging.Handler):

        def emit(self, record):
            records.append((record.levelno, record.getMessage()))

    logger = MMLogger.get_instance('test_selection')
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    yield logger, records
    logger.removeHandler(handler)


def on_test_data(cfg):
    cfg.val_dataloader = copy.deepcopy(cfg.test_dataloader)
    return cfg


def test_shipped_demo_is_silent(logged):
    logger, records = logged
    assert check_selection_data(load_config(DEMO), logger) == []
    assert records == []


def test_save_best_on_test_queries_warns_naming_the_setting(logged):
    logger, records = logged
    cfg = on_test_data(load_config(DEMO))
    (message, ) = check_selection_data(cfg, logger)
    assert message.startswith(
        "Selection on the test set: default_hooks.checkpoint.save_best="
        "'auto' choose by val_dataloader, whose queries are test queries "
        "(data/fashion_mnist_demo/query.txt)")
    assert 'allow_test_selection = True' in message
    assert records == [(logging.WARNING, message)]


def test_early_stopping_and_sweeps_are_selection_too(logged):
    logger, _ = logged
    cfg = on_test_data(load_config(DEMO))
    cfg.default_hooks.checkpoint.save_best = None
    assert selection_settings(cfg) == []
    assert check_selection_data(cfg, logger) == []  # val results only shown
    (message, ) = check_selection_data(cfg, logger, sweep=True)
    assert 'the sweep' in message
    cfg.custom_hooks.append(
        dict(type='EarlyStoppingHook', monitor='retrieval/mAP@all'))
    (message, ) = check_selection_data(cfg, logger)
    assert 'custom_hooks EarlyStoppingHook choose by val_dataloader' in \
        message


def test_allow_test_selection_logs_one_line(logged):
    logger, records = logged
    cfg = on_test_data(load_config(DEMO))
    cfg.allow_test_selection = True
    assert check_selection_data(cfg, logger) == []
    assert len(records) == 1 and records[0][0] == logging.INFO
    assert records[0][1].startswith(
        "allow_test_selection = True: default_hooks.checkpoint.save_best="
        "'auto' select on the test queries")


def test_same_list_spelled_differently_is_the_same(logged):
    logger, _ = logged
    cfg = on_test_data(load_config(DEMO))
    query = cfg.val_dataloader.dataset.query
    query.update(
        data_root='data/',
        ann_file='fashion_mnist_demo/query.txt',
        num_classes=10,
        subset='train',
        val_queries=0)
    assert len(check_selection_data(cfg, logger)) == 1
    # A part of the test queries is still the test set.
    query.update(subset='val_query', val_queries=5)
    (message, held_out_of_test) = check_selection_data(cfg, logger)
    assert 'data/fashion_mnist_demo/query.txt' in message
    assert held_out_of_test.startswith(
        'Validation queries held out of another list than the training '
        "list: val_dataloader's queries are data/fashion_mnist_demo/"
        "query.txt (subset='val_query')")
    assert content_key(None) is None


def test_test_loader_as_validation_over_a_validating_base(logged):
    """``val_dataloader = test_dataloader`` in a child config merges into
    the base's validation loader: its subset settings reach the test
    lists, which the check reports."""
    logger, _ = logged
    cfg = load_config(DEMO)
    for part in ('query', 'database'):
        cfg.val_dataloader.dataset[part].ann_file = \
            cfg.test_dataloader.dataset[part].ann_file
    messages = check_selection_data(cfg, logger)
    assert [m.split(':')[0] for m in messages] == [
        'Selection on the test set',
        'Validation queries held out of another list than the training '
        'list'
    ]


def test_validation_queries_trained_on_warn(logged):
    logger, records = logged
    cfg = load_config(DEMO)
    cfg.train_dataloader.dataset.subset = 'all'
    (message, ) = check_selection_data(cfg, logger)
    assert message.startswith(
        "Training on validation images: val_dataloader's queries are "
        "data/fashion_mnist_demo/train.txt (subset='val_query') with "
        "val_queries='auto', val_seed=0, val_database=0")
    cfg.train_dataloader.dataset.update(subset='train', val_seed=1)
    assert len(check_selection_data(cfg, logger)) == 1
    cfg.train_dataloader.dataset.val_seed = 0
    assert check_selection_data(cfg, logger) == []


def test_held_out_validation_database_must_be_held_out_of_training(logged):
    """With ``val_database`` the training set must exclude that database
    too; the validation database subset is then its own part."""
    logger, _ = logged
    cfg = load_config(DEMO)
    for dataset in (cfg.val_dataloader.dataset.query,
                    cfg.val_dataloader.dataset.database):
        dataset.val_database = 1500
    (message, ) = check_selection_data(cfg, logger)
    assert message.startswith('Training on validation images') and \
        'val_database=1500' in message and 'val_database=0' in message
    cfg.train_dataloader.dataset.val_database = 1500
    assert check_selection_data(cfg, logger) == []
    assert content_key(cfg.val_dataloader.dataset.database) != content_key(
        cfg.train_dataloader.dataset)
    for dataset in (cfg.train_dataloader.dataset,
                    cfg.val_dataloader.dataset.database):
        dataset.val_database = 0  # the validation database is the rest
    assert content_key(cfg.val_dataloader.dataset.database) == content_key(
        cfg.train_dataloader.dataset)


def test_hold_out_validation_database_edits_the_three_datasets(logged):
    from hashnet_mm.utils.selection import hold_out_validation_database
    logger, _ = logged
    cfg = load_config(DEMO)
    hold_out_validation_database(cfg, 1500)
    val = cfg.val_dataloader.dataset
    assert (cfg.train_dataloader.dataset.val_database, val.query.val_database,
            val.database.val_database, val.database.subset) == \
        (1500, 1500, 1500, 'val_database')
    assert check_selection_data(cfg, logger) == []
    cfg.val_dataloader = cfg.test_dataloader  # no validation split
    with pytest.raises(
            ValueError,
            match='val_database needs a config that '
            'validates on queries held out of its training list'):
        hold_out_validation_database(cfg, 1500)


def test_no_validation_nothing_to_check(logged):
    logger, _ = logged
    cfg = Config(
        dict(
            val_dataloader=None,
            default_hooks=dict(checkpoint=dict(save_best='auto'))))
    assert check_selection_data(cfg, logger) == []


def test_train_tool_calls_it(tmp_path, tiny_single_label, monkeypatch):
    from ..test_tools.test_train_test import write_config
    from ..tool_modules import load_tool
    train = load_tool('train.py')
    found = []

    def recording(cfg, *args, **kwargs):
        found.append(check_selection_data(cfg, *args, **kwargs))
        return found[-1]

    monkeypatch.setattr(train, 'check_selection_data', recording)
    config = write_config(str(tmp_path / 'cfg.py'), tiny_single_label, 2)
    train.training_config(
        train.parse_args([config, '--work-dir',
                          str(tmp_path / 'w')]))
    (message, ) = found.pop()
    assert message.startswith('Selection on the test set: '
                              'default_hooks.checkpoint.save_best')
    train.training_config(
        train.parse_args([
            config, '--work-dir',
            str(tmp_path / 'w2'), '--cfg-options', 'allow_test_selection=True'
        ]))
    assert found.pop() == []
