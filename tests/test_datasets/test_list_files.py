"""The shared list-file writer and split sampling used by the converters."""
import os

import numpy as np
import pytest
from PIL import Image

from hashnet_mm.datasets.list_files import (check_images_exist,
                                            describe_splits, missing_images,
                                            numbered_lines, write_image_arrays,
                                            write_list_file, write_splits)
from hashnet_mm.datasets.retrieval_splits import (balanced_protocol,
                                                  random_split)


def test_write_list_file_format(tmp_path):
    path = str(tmp_path / 'sub' / 'list.txt')
    write_list_file(path, ['a/1.jpg', 'b/2.jpg'], [[0, 1, 1], [0, 0, 0]])
    with open(path) as f:
        assert f.read() == 'a/1.jpg 0 1 1\nb/2.jpg 0 0 0\n'
    assert os.listdir(tmp_path / 'sub') == ['list.txt']  # no temp file left


@pytest.mark.parametrize('paths,labels,match', [
    (['a.jpg', 'b.jpg'], [[0, 1], [2, 0]],
     r'list.txt: row 1 has labels other than 0/1: \[2, 0\]'),
    (['a.jpg', 'b.jpg'], [0, 1], r'list.txt: labels must be an \(N, C\)'),
    (['a.jpg'], [[0, 1], [1, 0]], 'list.txt: 1 paths but 2 label rows'),
    (['a.jpg', 'a.jpg'], [[0, 1], [1, 0]],
     "list.txt: entries 0 and 1: duplicate path 'a.jpg'"),
    (['a b.jpg'], [[1]], "list.txt: entry 0: path 'a b.jpg' is empty or "
     'contains white space'),
    (['/abs/a.jpg'], [[1]], 'must be relative to the data root'),
])
def test_write_list_file_refuses_bad_input(tmp_path, paths, labels, match):
    path = tmp_path / 'list.txt'
    with pytest.raises(ValueError, match=match):
        write_list_file(str(path), paths, labels)
    assert not path.exists()


def test_write_splits_and_describe(tmp_path):
    paths = [f'img/{i}.jpg' for i in range(5)]
    labels = np.eye(5, dtype=int)[[0, 1, 2, 3, 4]]
    splits = {'query': [4, 0], 'database': [1, 2, 3]}
    out = write_splits(str(tmp_path), paths, labels, splits)
    assert set(out) == {'query', 'database'}
    assert numbered_lines(out['query']) == [(1, 'img/4.jpg 0 0 0 0 1'),
                                            (2, 'img/0.jpg 1 0 0 0 0')]
    assert describe_splits(splits) == 'query 2, database 3'


def test_write_image_arrays(tmp_path):
    images = np.random.default_rng(0).integers(
        0, 256, (6, 4, 5, 3), dtype=np.uint8)
    labels = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1]])
    out = write_image_arrays(
        str(tmp_path), images, labels, {
            'query': [2],
            'train': [5, 0]
        })
    assert sorted(os.listdir(
        tmp_path / 'images')) == ['00000.png', '00002.png', '00005.png']
    assert numbered_lines(out['train']) == [(1, 'images/00005.png 0 1'),
                                            (2, 'images/00000.png 1 0')]
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / 'images' / '00002.png')), images[2])


def test_numbered_lines_skip_blank_lines(tmp_path):
    (tmp_path / 'f.txt').write_text('a\n\n  b \r\n\n')
    assert numbered_lines(str(tmp_path / 'f.txt')) == [(1, 'a'), (3, 'b')]


def test_missing_images(tmp_path):
    (tmp_path / 'x.jpg').write_bytes(b'')
    rel = ['x.jpg', 'y.jpg', 'z.jpg']
    assert missing_images(str(tmp_path), rel) == [1, 2]
    with pytest.raises(
            FileNotFoundError,
            match=r'2 listed images not found '
            r'.*y.jpg \(listed in b.json\); .*z.jpg \(listed in '
            r'c.json\)'):
        check_images_exist(str(tmp_path), rel, ['a.json', 'b.json', 'c.json'])
    check_images_exist(str(tmp_path), rel[:1], ['a.json'])


def test_random_split():
    splits = random_split(50, 5, 12, seed=3)
    query, train, database = (
        set(splits[n].tolist()) for n in ('query', 'train', 'database'))
    assert (len(query), len(train), len(database)) == (5, 12, 45)
    assert query | database == set(range(50)) and not query & database
    assert train <= database
    assert all((np.diff(s) > 0).all() for s in splits.values())
    again = random_split(50, 5, 12, seed=3)
    assert all(np.array_equal(splits[k], again[k]) for k in splits)
    assert set(random_split(50, 5, 12, seed=4)['query'].tolist()) != query
    with pytest.raises(ValueError, match='need more than the 50 images'):
        random_split(50, 40, 11)
    with pytest.raises(ValueError, match='num_train must be >= 0'):
        random_split(50, 4, -1)


def test_balanced_protocol_database_with_or_without_train():
    labels = np.repeat(np.arange(4), 10)
    plain = balanced_protocol(labels, 8, 12, seed=1)
    both = balanced_protocol(
        labels, 8, 12, seed=1, database_includes_train=True)
    assert np.array_equal(plain['query'], both['query'])
    assert len(plain['database']) == 20 and len(both['database']) == 32
    assert set(both['database'].tolist()) == \
        set(plain['database'].tolist()) | set(plain['train'].tolist())
    assert (np.bincount(labels[plain['train']]) == 3).all()
