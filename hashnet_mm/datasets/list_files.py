"""Reading annotation text files and writing HashNet list files (one
``relative/path l_1 ... l_C`` per line).

Every converter under ``tools/dataset_converters/`` writes through here, so
every list file has been checked the same way: relative paths without
white space, no path twice, one 0/1 label row of the same width per image.
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from PIL import Image


def numbered_lines(
        path: str,
        unique: Optional[Callable[[str],
                                  str]] = None) -> List[Tuple[int, str]]:
    """``(line number, stripped text)`` of each non-blank line of a text
    annotation file (list files, class lists, image lists, label columns).

    With ``unique``, a function of the line (e.g. its path), a ValueError
    names the file and both lines when two lines give the same value."""
    with open(path) as f:
        lines = [(no, line.strip()) for no, line in enumerate(f, 1)
                 if line.strip()]
    if unique is not None:
        first = {}
        for no, line in lines:
            key = unique(line)
            if key in first:
                raise ValueError(f'{path}:{no}: {key} is already listed on '
                                 f'line {first[key]}')
            first[key] = no
    return lines


def check_multi_hot(labels, where: str) -> np.ndarray:
    """``labels`` as an (N, C) int64 array of 0/1, or a ValueError naming
    ``where`` and the first bad row."""
    array = np.asarray(labels)
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError(f'{where}: labels must be an (N, C) multi-hot array, '
                         f'got shape {array.shape}')
    bad = np.flatnonzero(((array != 0) & (array != 1)).any(axis=1))
    if len(bad):
        raise ValueError(f'{where}: row {bad[0]} has labels other than 0/1: '
                         f'{array[bad[0]].tolist()}')
    return array.astype(np.int64)


def check_rel_paths(rel_paths: Sequence[str], where: str) -> None:
    """Relative, white-space free, unique paths, or a ValueError naming
    ``where`` and the offending entry."""
    seen = {}
    for i, path in enumerate(rel_paths):
        if not path or path != ''.join(path.split()):
            raise ValueError(f'{where}: entry {i}: path {path!r} is empty or '
                             'contains white space')
        if osp.isabs(path):
            raise ValueError(f'{where}: entry {i}: path {path!r} must be '
                             'relative to the data root')
        if path in seen:
            raise ValueError(f'{where}: entries {seen[path]} and {i}: '
                             f'duplicate path {path!r}')
        seen[path] = i


def missing_images(data_root: str, rel_paths: Sequence[str]) -> List[int]:
    """Indices of the paths with no file under ``data_root``."""
    return [
        i for i, rel in enumerate(rel_paths)
        if not osp.isfile(osp.join(data_root, rel))
    ]


def check_images_exist(data_root: str, rel_paths: Sequence[str],
                       sources: Sequence[str]) -> None:
    """A FileNotFoundError naming the missing images (and ``sources[i]``,
    where image i was listed), if any of ``data_root/rel_paths`` is absent."""
    missing = missing_images(data_root, rel_paths)
    if missing:
        shown = '; '.join(f'{osp.join(data_root, rel_paths[i])} (listed in '
                          f'{sources[i]})' for i in missing[:5])
        raise FileNotFoundError(f'{len(missing)} listed images not found '
                                f'under {data_root}: {shown}')


def write_list_file(path: str, rel_paths: Sequence[str], labels) -> str:
    """Write one list file atomically (a crash never leaves half a file)."""
    labels = check_multi_hot(labels, path)
    if len(rel_paths) != len(labels):
        raise ValueError(f'{path}: {len(rel_paths)} paths but {len(labels)} '
                         'label rows')
    check_rel_paths(rel_paths, path)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        f.writelines(f'{rel} {" ".join(map(str, row))}\n'
                     for rel, row in zip(rel_paths, labels.tolist()))
    os.replace(tmp, path)
    return path


def write_splits(out_dir: str, rel_paths: Sequence[str], labels,
                 splits: Mapping[str, Sequence[int]]) -> Dict[str, str]:
    """Write ``{out_dir}/{name}.txt`` for each split (indices into
    ``rel_paths`` / ``labels``); return ``{name: list-file path}``."""
    labels = check_multi_hot(labels, out_dir)
    return {
        name:
        write_list_file(
            osp.join(out_dir, f'{name}.txt'), [rel_paths[i] for i in indices],
            labels[np.asarray(indices, dtype=np.int64)])
        for name, indices in splits.items()
    }


def write_image_arrays(out_dir: str, images: np.ndarray, labels,
                       splits: Mapping[str, Sequence[int]]) -> Dict[str, str]:
    """Save ``images[i]`` as ``images/{i:05d}.png`` for every index a split
    uses, then the list files with the multi-hot ``labels``."""
    rel_paths = [f'images/{i:05d}.png' for i in range(len(images))]
    os.makedirs(osp.join(out_dir, 'images'), exist_ok=True)
    used = np.unique(
        np.concatenate(
            [np.asarray(s, dtype=np.int64) for s in splits.values()]))
    for i in used:
        Image.fromarray(images[i]).save(osp.join(out_dir, rel_paths[i]))
    return write_splits(out_dir, rel_paths, labels, splits)


def describe_splits(splits: Mapping[str, Sequence[int]]) -> str:
    """``'query 5000, train 10000, database 117218'``."""
    return ', '.join(f'{name} {len(idx)}' for name, idx in splits.items())
