"""The JSON record every benchmark writes: its figures with the command,
the date and the machine that gave them.

A record is one JSON object::

    {"benchmark": "eval_speed",
     "command": "python -m benchmarks eval_speed --repeats 3",
     "date": "2026-12-05T14:30:00+00:00",
     "system": {"cpu": "...", "cores": 2, "gpu": null, "torch": "2.9.0",
                "python": "3.11.9", "platform": "Linux-..."},
     ...the benchmark's own figures...}

``system`` describes the machine; a figure of the benchmark's own may not
use the four names above.
"""
import datetime
import json
import os
import os.path as osp
import platform
import shlex
import sys
from typing import Optional, Sequence

#: where the records go unless ``--out`` says otherwise
RESULTS_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'results')
RECORD_KEYS = ('benchmark', 'command', 'date', 'system')


def default_out(name: str, suffix: str = '.json') -> str:
    """``benchmarks/results/{name}.json``."""
    return osp.join(RESULTS_DIR, name + suffix)


def add_out_argument(parser,
                     name: str,
                     *aliases: str,
                     what: str = 'the JSON record of the figures') -> None:
    """``--out`` (and ``aliases``) defaulting to
    ``benchmarks/results/{name}.json``."""
    parser.add_argument(
        '--out',
        *aliases,
        default=default_out(name),
        help=f'{what} (default: benchmarks/results/'
        f'{name}.json)')


def json_out(parser, path: str, instead: str) -> str:
    """``path`` if it names a ``.json`` file, else a parser error saying
    where ``instead`` (what ``--out`` was before) goes now."""
    if not path.endswith('.json'):
        parser.error(f'--out is the JSON record (a .json path), got '
                     f'{path!r}; {instead}')
    return path


def command_line(name: str, argv: Optional[Sequence[str]] = None) -> str:
    """``python -m benchmarks NAME ARGS`` as typed (``argv``: the
    arguments, default this process's)."""
    args = sys.argv[1:] if argv is None else list(argv)
    return ' '.join(['python -m benchmarks', name] +
                    [shlex.quote(str(a)) for a in args])


def system() -> dict:
    """The machine: CPU model and cores, the GPU (None without CUDA), the
    torch and Python versions."""
    from hashnet_mm.experiments.report import cpu_model
    info = dict(
        cpu=cpu_model(),
        cores=os.cpu_count(),
        gpu=None,
        torch=None,
        python=platform.python_version(),
        platform=platform.platform())
    try:
        import torch
    except ImportError:
        return info
    info['torch'] = torch.__version__
    if torch.cuda.is_available():
        info['gpu'] = torch.cuda.get_device_name()
        info['gpus'] = torch.cuda.device_count()
        info['cuda'] = torch.version.cuda
    return info


def make_record(name: str,
                figures: dict,
                argv: Optional[Sequence[str]] = None) -> dict:
    """The record of one run of benchmark ``name``: ``figures`` with the
    command, the date (UTC) and :func:`system`."""
    clash = [key for key in RECORD_KEYS if key in figures]
    if clash:
        raise ValueError(f'{name}: its figures may not be named {clash} '
                         '(the record\'s own fields)')
    return dict(
        benchmark=name,
        command=command_line(name, argv),
        date=datetime.datetime.now(
            datetime.timezone.utc).isoformat(timespec='seconds'),
        system=system(),
        **figures)


def write_record(path: str,
                 name: str,
                 figures: dict,
                 argv: Optional[Sequence[str]] = None) -> dict:
    """Write :func:`make_record` to ``path`` (its folder made; replaced in one
    step, so a reader never sees half a file); returns the record."""
    rec = make_record(name, figures, argv)
    save_json(path, rec)
    print(f'record: {path}')
    return rec


def save_json(path: str, data) -> None:
    """``data`` as indented JSON at ``path``, written to a temporary file
    first and moved into place."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(path + '.tmp', path)
