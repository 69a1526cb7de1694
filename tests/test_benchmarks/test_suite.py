"""``python -m benchmarks``: the list names every benchmark, each one's
--help runs, and the JSON record every benchmark writes."""
import glob
import json
import os.path as osp
import subprocess
import sys

import pytest

import benchmarks
from benchmarks import _record
from benchmarks.__main__ import main as suite_main
from ..tool_modules import REPO

MODULES = sorted(
    osp.splitext(osp.basename(path))[0]
    for path in glob.glob(osp.join(REPO, 'benchmarks', '*.py'))
    if not osp.basename(path).startswith('_'))


def test_list_names_every_benchmark_with_its_kind():
    """As typed, in a fresh interpreter from the repository root."""
    result = subprocess.run([sys.executable, '-m', 'benchmarks', 'list'],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [line.split(None, 2) for line in result.stdout.splitlines()]
    assert [row[0] for row in rows] == MODULES
    assert len(MODULES) >= 13 and 'gpu_check' in MODULES
    kinds = {row[0]: row[1] for row in rows}
    assert set(kinds.values()) == set(benchmarks.KINDS)
    assert kinds['gpu_check'] == 'device'
    assert kinds['hashnet_sweep'] == kinds['vdsh_vs_backprop'] == 'accuracy'
    assert kinds['eval_speed'] == kinds['serve_load'] == 'speed'
    for row in rows:  # a one-line description each
        assert len(row) == 3 and len(row[2]) > 20, row


@pytest.mark.parametrize('name', MODULES)
def test_help_of_every_benchmark(name, capsys):
    """``python -m benchmarks NAME --help`` (dispatched in this process):
    its options, ``--out`` among them, and nothing run."""
    with pytest.raises(SystemExit) as stop:
        suite_main([name, '--help'])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f'usage: python -m benchmarks {name}')
    assert '--out' in out


def test_an_unknown_name_lists_the_benchmarks(capsys):
    assert suite_main(['no_such_benchmark']) == 2
    err = capsys.readouterr().err
    assert "no benchmark 'no_such_benchmark'" in err and 'eval_speed' in err
    with pytest.raises(ValueError, match='no benchmark'):
        benchmarks.run('no_such_benchmark')


def test_no_benchmark_edits_sys_path():
    for path in glob.glob(osp.join(REPO, 'benchmarks', '*.py')):
        with open(path) as f:
            assert 'sys.path' not in f.read(), path


def test_the_record_names_the_command_date_and_machine(tmp_path):
    path = str(tmp_path / 'sub' / 'x.json')
    record = _record.write_record(path, 'eval_speed', dict(seconds=1.5),
                                  ['--repeats', '2', '--note', 'a b'])
    assert json.loads(open(path).read()) == record
    assert record['benchmark'] == 'eval_speed' and record['seconds'] == 1.5
    assert record['command'] == \
        "python -m benchmarks eval_speed --repeats 2 --note 'a b'"
    assert record['date'][:2] == '20' and record['date'].endswith('+00:00')
    system = record['system']
    assert system['cpu'] and system['cores'] >= 1 and system['torch']
    assert 'gpu' in system
    with pytest.raises(ValueError, match='may not be named'):
        _record.make_record('eval_speed', dict(system='mine'))


def test_out_defaults_to_the_results_folder():
    import argparse
    parser = argparse.ArgumentParser()
    _record.add_out_argument(parser, 'eval_speed', '--json')
    assert parser.parse_args([]).out == osp.join(REPO, 'benchmarks', 'results',
                                                 'eval_speed.json')
    assert parser.parse_args(['--json', 'a.json']).out == 'a.json'
    with pytest.raises(SystemExit):
        _record.json_out(parser, 'a.md', 'the table is --table')
