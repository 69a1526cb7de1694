"""tools/dataset_converters/hashnet_lists.py on lists in the released form."""
import os

import pytest

from hashnet_mm.datasets import HashListDataset
from ..tool_modules import load_tool
from .lists import read_list

hashnet_lists = load_tool('dataset_converters/hashnet_lists.py')

PREFIX = '/home/someone/dataset/coco'


def make_released(tmp_path):
    """train.txt / test.txt / database.txt with the authors' absolute paths,
    and the images under tmp_path/coco."""
    files = {
        'train': ['train2014/a.jpg 0 1 0', 'val2014/b.jpg 1 0 0'],
        'test': ['val2014/c.jpg 0 0 1'],
        'database': [
            'train2014/a.jpg 0 1 0', 'train2014/d.jpg 1 1 0',
            'val2014/b.jpg 1 0 0'
        ],
    }
    for name, lines in files.items():
        (tmp_path / f'{name}.txt').write_text(''.join(f'{PREFIX}/{line}\n'
                                                      for line in lines))
        for line in lines:
            path = tmp_path / 'coco' / line.split()[0]
            os.makedirs(path.parent, exist_ok=True)
            path.write_bytes(b'')
    return files


def run(tmp_path, *extra):
    lists = [str(tmp_path / f'{n}.txt') for n in ('train', 'test', 'database')]
    return hashnet_lists.main(lists + ['--out', str(tmp_path / 'out'), *extra])


def test_paths_made_relative_and_test_renamed(tmp_path):
    files = make_released(tmp_path)
    run(tmp_path, '--data-root', str(tmp_path / 'coco'))
    for name, lines in files.items():
        out = tmp_path / 'out' / f'{"query" if name == "test" else name}.txt'
        assert out.read_text() == ''.join(line + '\n' for line in lines)
    paths, labels = read_list(tmp_path / 'out' / 'database.txt')
    assert paths[1] == 'train2014/d.jpg' and labels[1].tolist() == [1, 1, 0]
    # The rewritten lists load as they are.
    dataset = HashListDataset(
        ann_file=str(tmp_path / 'out' / 'query.txt'),
        data_root=str(tmp_path / 'coco'))
    assert len(dataset) == 1


def test_explicit_prefix(tmp_path):
    make_released(tmp_path)
    run(tmp_path, '--strip-prefix', '/home/someone/dataset')
    assert read_list(tmp_path / 'out' /
                     'query.txt')[0] == ['coco/val2014/c.jpg']
    with pytest.raises(
            ValueError, match=r'train.txt: entry 0: .* is not '
            'under /elsewhere'):
        run(tmp_path, '--strip-prefix', '/elsewhere')


@pytest.mark.parametrize('line,match', [
    ('x.jpg 0 1', r'database.txt:4: expected a path and 3 0/1 labels, got 2'),
    ('x.jpg 0 2 1', r"database.txt:4: labels must be 0 or 1, got '2'"),
    (f'{PREFIX}/train2014/d.jpg 1 1 0',
     r'database.txt:4: .*d.jpg is already listed on line 2'),
])
def test_bad_lines_name_file_and_line(tmp_path, line, match):
    make_released(tmp_path)
    with open(tmp_path / 'database.txt', 'a') as f:
        f.write(line + '\n')
    with pytest.raises(ValueError, match=match):
        run(tmp_path)


def test_missing_image_is_named(tmp_path):
    make_released(tmp_path)
    (tmp_path / 'coco/train2014/d.jpg').unlink()
    with pytest.raises(
            FileNotFoundError, match=r'd.jpg \(listed in '
            r'.*database.txt\)'):
        run(tmp_path, '--data-root', str(tmp_path / 'coco'))
