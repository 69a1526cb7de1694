"""The project's benchmarks, one module each, run as::

    python -m benchmarks list              # every benchmark, its kind
    python -m benchmarks NAME [options]    # run one (NAME --help: options)

A benchmark is a module of this folder whose name does not start with
``_`` (those are helpers); it has a docstring (its first sentence is the
listed description), ``KIND`` (one of :data:`KINDS`) and ``main(argv)``, and
writes its figures as a JSON record (``--out``, default
``benchmarks/results/NAME.json``; :mod:`benchmarks._record`).
"""
import ast
import importlib
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

HERE = osp.dirname(osp.abspath(__file__))
#: speed: time or memory of a part; accuracy: what a method or setting
#: scores (trains models); device: a check of a machine with a GPU
KINDS = ('speed', 'accuracy', 'device')


def names() -> List[str]:
    """The benchmarks' names, sorted."""
    return sorted(
        osp.splitext(name)[0] for name in os.listdir(HERE)
        if name.endswith('.py') and not name.startswith('_'))


def describe(name: str) -> Dict[str, str]:
    """``{'name', 'kind', 'description'}`` of a benchmark, read from its
    source (nothing is imported)."""
    path = osp.join(HERE, name + '.py')
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    docstring = ast.get_docstring(tree) or ''
    kind = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == 'KIND'
                for t in node.targets):
            kind = ast.literal_eval(node.value)
    if kind not in KINDS:
        raise ValueError(f'{path}: KIND must be one of {KINDS}, got {kind!r}')
    if not docstring:
        raise ValueError(f'{path}: no docstring to describe it')
    return dict(name=name, kind=kind, description=first_sentence(docstring))


def first_sentence(docstring: str) -> str:
    """The docstring's first paragraph up to its first full stop, on one
    line (a trailing ':' dropped)."""
    paragraph = ' '.join(docstring.strip().split('\n\n')[0].split())
    sentence = re.split(r'(?<=[^.\s][.?])\s', paragraph, maxsplit=1)[0]
    return sentence.rstrip(':').rstrip()


def listing() -> str:
    """A table of every benchmark: name, kind, description."""
    rows = [describe(name) for name in names()]
    width = max(len(r['name']) for r in rows)
    return '\n'.join(f"{r['name']:<{width}}  {r['kind']:<8}  "
                     f"{r['description']}" for r in rows)


def run(name: str, argv: Optional[Sequence[str]] = None):
    """Run benchmark ``name`` with the arguments ``argv``; what its
    ``main`` returns."""
    if name not in names():
        raise ValueError(f'no benchmark {name!r}; the benchmarks: '
                         f'{", ".join(names())}')
    module = importlib.import_module(f'benchmarks.{name}')
    return module.main(list(argv or []))
