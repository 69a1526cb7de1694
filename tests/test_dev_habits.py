"""The development set-up: the ``slow`` marker that splits the suite into a
fast set and the rest, and the one-way imports of the retrieval math
(``statistics`` uses ``measures``, never the other way round)."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

from .test_plugin import REPO

TESTS = osp.join(REPO, 'tests')
FUNCTIONAL = osp.join(REPO, 'hashnet_mm', 'evaluation', 'functional')
PACKAGE = 'hashnet_mm.evaluation.functional'


def imported_modules(path: str, package: str) -> set:
    """Absolute names of every module ``path`` imports, at the top or in a
    block (``if TYPE_CHECKING:`` included); ``from . import x`` gives both
    the package and ``package.x``."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split('.')
            if node.level:
                base = base[:len(base) - node.level + 1]
                if node.module:
                    base.append(node.module)
                module = '.'.join(base)
            else:
                module = node.module
            names.add(module)
            names.update(f'{module}.{alias.name}' for alias in node.names)
    return names


def test_measures_does_not_import_statistics():
    imports = imported_modules(osp.join(FUNCTIONAL, 'measures.py'), PACKAGE)
    assert f'{PACKAGE}.statistics' not in imports
    assert f'{PACKAGE}.measures' in imported_modules(
        osp.join(FUNCTIONAL, 'statistics.py'), PACKAGE)
    counts = imported_modules(
        osp.join(FUNCTIONAL, 'ranking_counts.py'), PACKAGE)
    assert not {f'{PACKAGE}.measures', f'{PACKAGE}.statistics'} & counts


def test_each_module_imports_alone():
    """Each module imports with neither package ``__init__`` run first
    (they import every module), and ``measures`` loads no ``statistics``;
    the names stay importable where they were."""
    code = f"""
import importlib, os.path as osp, sys, types
import hashnet_mm

def fresh(name):
    for key in [k for k in sys.modules
                if k.startswith('hashnet_mm.evaluation')]:
        del sys.modules[key]
    for pkg in ('hashnet_mm.evaluation', '{PACKAGE}'):
        stub = types.ModuleType(pkg)
        stub.__path__ = [osp.join(r'{REPO}', *pkg.split('.'))]
        sys.modules[pkg] = stub
    return importlib.import_module('{PACKAGE}.' + name)

for name in ('ranking_counts', 'measures', 'statistics'):
    module = fresh(name)
    loaded = sorted(k.rsplit('.', 1)[1] for k in sys.modules
                    if k.startswith('{PACKAGE}.'))
    print(name, ' '.join(loaded))
measures = fresh('measures')
assert 'ranking_statistics' not in vars(measures)
statistics = fresh('statistics')
assert statistics.RankingStatistics is sys.modules[
    '{PACKAGE}.ranking_counts'].RankingStatistics
"""
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                            cwd=REPO,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = dict(
        line.split(' ', 1) for line in result.stdout.strip().splitlines())
    assert 'measures' not in loaded['ranking_counts'].split()
    assert 'statistics' not in loaded['ranking_counts'].split()
    assert 'statistics' not in loaded['measures'].split()
    assert 'measures' in loaded['statistics'].split()

    from hashnet_mm.evaluation.functional import RankingStatistics
    from hashnet_mm.evaluation.functional.measures import \
        ranked_average_precision
    from hashnet_mm.evaluation.functional.statistics import \
        RankingStatistics as from_statistics
    assert from_statistics is RankingStatistics
    assert callable(ranked_average_precision)


def test_slow_marker_is_registered(pytestconfig):
    lines = pytestconfig.getini('markers')
    assert 'slow' in [line.split(':', 1)[0].strip() for line in lines]


def slow_marked(path: str) -> str:
    """'module' where the module sets ``pytestmark`` to include
    ``pytest.mark.slow``, 'tests' where only some tests carry it, ''
    where none does."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)

    def is_slow(node):
        return any(
            isinstance(n, ast.Attribute) and n.attr == 'slow'
            and isinstance(n.value, ast.Attribute) and n.value.attr == 'mark'
            for n in ast.walk(node))

    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'pytestmark'
                for t in node.targets) and is_slow(node.value):
            return 'module'
    return 'tests' if is_slow(tree) else ''


def test_fast_set_is_not_empty():
    """Some modules are slow as a whole, and most are not (the fast set
    ``pytest -m "not slow"`` runs)."""
    marks = {}
    for root, _, files in os.walk(TESTS):
        for name in files:
            if name.startswith('test_') and name.endswith('.py'):
                path = osp.join(root, name)
                marks[osp.relpath(path, TESTS)] = slow_marked(path)
    whole = [path for path, mark in marks.items() if mark == 'module']
    assert whole, 'no test module is marked slow'
    assert len(whole) < len(marks) / 2, whole
    assert marks['test_dev_habits.py'] == 'tests'


@pytest.mark.slow
def test_not_slow_selects_a_part_of_the_suite():
    command = [
        sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p',
        'no:cacheprovider', '-m', 'not slow', TESTS
    ]
    result = subprocess.run(
        command,
        cwd=REPO,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    # e.g. "812/1210 tests collected (398 deselected) in 20.15s"
    selected, total = summary.split()[0].split('/')
    assert 0 < int(selected) < int(total), summary
