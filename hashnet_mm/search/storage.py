"""Files of arrays that are written atomically and read back with checks.

A file is an ``.npz`` archive (no pickles) of named arrays plus ``meta``, a
JSON header naming the format and carrying a SHA-256 of everything else.
Writing goes to a temporary file in the target folder, then renames it over
the target, so an interrupted write never leaves a half-written file. Reading
raises ValueError naming the file for a truncated or corrupt archive, a wrong
format or a checksum mismatch, before any of its content is used.
"""
import contextlib
import hashlib
import json
import os
import os.path as osp
import uuid
from typing import BinaryIO, Dict, Iterator, List, Sequence, Tuple

import numpy as np

META = 'meta'


@contextlib.contextmanager
def atomic_write(path: str) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only once the block succeeds."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # In the target's folder, so that the rename cannot cross file systems;
    # opened as a plain new file, so its permissions follow the umask.
    tmp_path = osp.join(
        folder, f'.{osp.basename(path)}.{os.getpid()}.{uuid.uuid4().hex}.tmp')
    try:
        with open(tmp_path, 'xb') as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp_path)
        raise


def _digest(meta: dict, arrays: Dict[str, np.ndarray]) -> str:
    sha = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        sha.update(f'{name}:{array.dtype.str}:{array.shape}'.encode())
        sha.update(array.reshape(-1).view(np.uint8))
    return sha.hexdigest()


def save_arrays(path: str, file_format: str, meta: dict,
                arrays: Dict[str, np.ndarray]) -> str:
    """Write ``arrays`` and the JSON-able ``meta`` to ``path`` atomically;
    returns the checksum (SHA-256, hex) stored in its header (a
    ``sha256`` in ``meta``, as :func:`load_arrays` returns it, is replaced).
    """
    meta = {key: value for key, value in meta.items() if key != 'sha256'}
    meta = dict(meta, format=file_format)
    header = dict(meta, sha256=_digest(meta, arrays))
    with atomic_write(path) as f:
        np.savez(f, **{META: np.array(json.dumps(header))}, **arrays)
    return header['sha256']


def load_arrays(path: str, file_format: str,
                required: Sequence[str]) -> Tuple[dict, Dict[str, np.ndarray]]:
    """``(meta, arrays)`` of a file written by :func:`save_arrays`; the
    checksum, verified, is ``meta['sha256']``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not such a file, truncated, corrupt, or missing one of
            the ``required`` arrays.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {name: archive[name] for name in archive.files}
        header = json.loads(str(contents.pop(META)))
    except FileNotFoundError:
        raise
    except Exception as error:  # zipfile, numpy and json fail in many ways
        raise ValueError(
            f'{path}: not a readable {file_format} file (truncated or '
            f'corrupt?): {error}') from error
    if not isinstance(header, dict) or header.get('format') != file_format:
        found = header.get('format') if isinstance(header, dict) else None
        raise ValueError(f'{path}: expected a {file_format} file, found '
                         f'format {found!r}')
    checksum = header.pop('sha256', None)
    if checksum != _digest(header, contents):
        raise ValueError(f'{path}: checksum mismatch, the file is corrupt')
    header['sha256'] = checksum
    missing = [name for name in required if name not in contents]
    if missing:
        raise ValueError(f'{path}: {file_format} file lacks {missing}')
    return header, contents


def strings_to_array(strings: Sequence[str]) -> np.ndarray:
    """UTF-8 bytes of newline-separated ``strings`` (compact for paths)."""
    for text in strings:
        if '\n' in text:
            raise ValueError(f'cannot store {text!r}: it contains a newline')
    return np.frombuffer('\n'.join(strings).encode('utf-8'), dtype=np.uint8)


def array_to_strings(array: np.ndarray, count: int) -> List[str]:
    """The ``count`` strings :func:`strings_to_array` stored."""
    if count == 0:
        return []
    strings = array.tobytes().decode('utf-8').split('\n')
    if len(strings) != count:
        raise ValueError(f'expected {count} strings, found {len(strings)}')
    return strings
