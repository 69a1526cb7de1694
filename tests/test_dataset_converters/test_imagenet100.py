"""tools/dataset_converters/imagenet100.py on a hand-made ImageNet tree."""
import os

import pytest

from ..tool_modules import load_tool
from .lists import check_protocol, label_map, read_splits

imagenet100 = load_tool('dataset_converters/imagenet100.py')

# Five ImageNet classes on disk; the subset uses three, in this order.
ON_DISK = {
    'n01440764': 7,
    'n01443537': 5,
    'n01484850': 6,
    'n01491361': 4,
    'n01494475': 5
}
SUBSET = ['n01484850', 'n01440764', 'n01494475']


def make_imagenet(root, flat_val=False):
    """train/<wnid>/*.JPEG and 3 val images a class, empty files; with
    ``flat_val`` a flat val/ folder and a ``file wnid`` / ``file index``
    list instead of val/<wnid>/."""
    val_lines = []
    for index, (wnid, count) in enumerate(sorted(ON_DISK.items())):
        os.makedirs(root / 'train' / wnid)
        for k in range(count):
            (root / 'train' / wnid / f'{wnid}_{k}.JPEG').write_bytes(b'')
        (root / 'train' / wnid / 'notes.txt').write_text('not an image')
        for k in range(3):
            name = f'ILSVRC2012_val_{index * 3 + k:08d}.JPEG'
            folder = root / 'val' / ('' if flat_val else wnid)
            os.makedirs(folder, exist_ok=True)
            (folder / name).write_bytes(b'')
            val_lines.append(f'{name} {index if k % 2 else wnid}')
    (root / 'val.txt').write_text('\n'.join(val_lines) + '\n')
    (root / 'classes.txt').write_text('\n'.join(SUBSET) + '\n')


def run(root, *extra):
    return imagenet100.main([
        '--data-root',
        str(root), '--classes',
        str(root / 'classes.txt'), '--train-per-class', '3', *extra
    ])


def expected_labels(root, flat_val):
    rows = {}
    for c, wnid in enumerate(SUBSET):
        row = [int(j == c) for j in range(len(SUBSET))]
        for k in range(ON_DISK[wnid]):
            rows[f'train/{wnid}/{wnid}_{k}.JPEG'] = row
        index = sorted(ON_DISK).index(wnid)
        for k in range(3):
            name = f'ILSVRC2012_val_{index * 3 + k:08d}.JPEG'
            rows['val/' + (name if flat_val else f'{wnid}/{name}')] = row
    return rows


@pytest.mark.parametrize('flat_val', [False, True])
def test_splits_and_labels(tmp_path, flat_val):
    make_imagenet(tmp_path, flat_val)
    run(tmp_path,
        *(['--val-list', str(tmp_path / 'val.txt')] if flat_val else []))
    splits = read_splits(tmp_path / 'imagenet100')
    check_protocol(
        splits, {
            'query': 9,
            'train': 9,
            'database': 18
        },
        train_in_database=True)
    assert label_map(splits) == expected_labels(tmp_path, flat_val)
    assert all(p.startswith('val/') for p in splits['query'][0])
    assert all(p.startswith('train/') for p in splits['database'][0])
    per_class = splits['train'][1].sum(axis=0)
    assert per_class.tolist() == [3, 3, 3]


def test_same_seed_same_split(tmp_path):
    make_imagenet(tmp_path)
    outs = [tmp_path / name for name in 'abc']
    for out, seed in zip(outs, ('0', '0', '5')):
        run(tmp_path, '--out', str(out), '--seed', seed)
    a, b, c = (read_splits(out)['train'][0] for out in outs)
    assert a == b and a != c


def test_bad_class_files(tmp_path):
    make_imagenet(tmp_path)
    classes = tmp_path / 'classes.txt'
    classes.write_text('n01484850\nn01440764\nn01484850\n')
    with pytest.raises(
            ValueError,
            match=r'classes.txt:3: n01484850 is '
            'already listed on line 1'):
        run(tmp_path)
    classes.write_text('n01484850\nn09999999\n')
    with pytest.raises(
            FileNotFoundError,
            match=r'classes.txt:2: no folder '
            'train/n09999999'):
        run(tmp_path)
    classes.write_text('n01491361\n')
    with pytest.raises(
            ValueError,
            match='class n01491361 has 4 training '
            'images, fewer than --train-per-class 5'):
        run(tmp_path, '--train-per-class', '5')


def test_flat_val_list_errors(tmp_path):
    make_imagenet(tmp_path, flat_val=True)
    val = tmp_path / 'val.txt'
    lines = val.read_text().splitlines()
    val.write_text('\n'.join(lines + ['ILSVRC2012_val_00000099.JPEG 7']))
    with pytest.raises(
            ValueError,
            match=r'val.txt:16: class index 7 out of '
            r'range \(5 train folders\)'):
        run(tmp_path, '--val-list', str(val))
    val.write_text('\n'.join(lines + ['ILSVRC2012_val_00000099.JPEG 2']))
    with pytest.raises(
            FileNotFoundError,
            match=r'ILSVRC2012_val_00000099.JPEG'
            r' \(listed in .*val.txt\)'):
        run(tmp_path, '--val-list', str(val))
