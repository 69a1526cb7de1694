import os.path as osp
import shutil

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import hashnet_mm  # noqa: F401
from hashnet_mm.datasets import HashListDataset, QueryDatabaseDataset
from ..tiny_data import write_tiny_dataset


def write_list(root, lines, name='list.txt'):
    path = osp.join(root, name)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


@pytest.fixture
def images(tmp_path):
    """Three images a.png, b.png, c.png under tmp_path/images."""
    labels = {'x': np.eye(3, dtype=np.int64)}
    write_tiny_dataset(str(tmp_path), labels, size=8)
    return str(tmp_path)


def test_multi_hot_lines(images):
    write_list(images, [
        'images/00000.png 1 0 1', 'images/00001.png 0 0 0',
        'images/00002.png 0 1 0', ''
    ])
    dataset = HashListDataset(ann_file='list.txt', data_root=images)
    assert len(dataset) == 3
    assert dataset.metainfo['classes'] == ('0', '1', '2')
    assert [d['gt_label'].tolist() for d in dataset.load_data_list()] == \
        [[0, 2], [], [1]]
    assert dataset.get_data_info(0)['img_path'] == osp.join(
        images, 'images/00000.png')


def test_class_index_lines(images):
    write_list(images, ['images/00000.png 4', 'images/00001.png 0'])
    dataset = HashListDataset(ann_file='list.txt', data_root=images)
    assert dataset.metainfo['classes'] == tuple('01234')
    named = HashListDataset(
        ann_file='list.txt', data_root=images, classes=list('abcdefg'))
    assert len(named.metainfo['classes']) == 7


@pytest.mark.parametrize('lines,match', [
    (['images/00000.png 1 0', 'images/00001.png 1 0 0'
      ], r'list.txt:2: 3 labels, but earlier lines have 2'),
    (['images/00000.png 1 2 0'], r'list.txt:1: multi-hot labels must be 0 '
     r"or 1, got '2'"),
    (['images/00000.png 1 0', 'images/missing.png 0 1'
      ], r'list.txt:2: image .*missing.png not found'),
    (['images/00000.png'], r'list.txt:1: expected "path l_1 ... l_C"'),
    (['images/00000.png x'], r'list.txt:1: class index must be'),
    ([''], r'list.txt: no images listed'),
])
def test_bad_lines_name_file_and_line(images, lines, match):
    write_list(images, lines)
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        HashListDataset(ann_file='list.txt', data_root=images)


def test_label_width_must_match_classes(images):
    write_list(images, ['images/00000.png 1 0'])
    with pytest.raises(
            ValueError,
            match='list.txt:1: 2 labels, but the '
            'dataset has 3 classes'):
        HashListDataset(
            ann_file='list.txt', data_root=images, classes=['a', 'b', 'c'])
    write_list(images, ['images/00000.png 3'])
    with pytest.raises(ValueError, match='class index 3 out of range'):
        HashListDataset(
            ann_file='list.txt', data_root=images, classes=['a', 'b', 'c'])


def test_query_database_tags_every_sample(tiny_single_label):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    dataset = DATASETS.build(
        dict(
            type='QueryDatabaseDataset',
            query=dict(
                type='HashListDataset',
                data_root=tiny_single_label,
                ann_file='query.txt',
                pipeline=pipeline),
            database=dict(
                type='HashListDataset',
                data_root=tiny_single_label,
                ann_file='database.txt',
                pipeline=pipeline)))
    assert isinstance(dataset, QueryDatabaseDataset)
    assert len(dataset) == 8 + 32
    splits = [dataset[i]['data_samples'].split for i in range(len(dataset))]
    assert splits == ['query'] * 8 + ['database'] * 32
    assert dataset[9]['data_samples'].sample_idx == 9
    assert dataset[-1]['data_samples'].sample_idx == 39


def test_num_classes_gives_the_classes_and_checks_indices(images):
    write_list(images, ['images/00000.png 1', 'images/00001.png 0'])
    dataset = HashListDataset(
        ann_file='list.txt', data_root=images, num_classes=4)
    assert dataset.metainfo['classes'] == tuple('0123')
    write_list(images, ['images/00000.png 1', 'images/00001.png 4'])
    with pytest.raises(
            ValueError,
            match=r'list.txt:2: class index 4 out of '
            r'range for 4 classes \(indices are 0 .. 3'):
        HashListDataset(ann_file='list.txt', data_root=images, num_classes=4)
    with pytest.raises(ValueError, match='3 class names but num_classes=4'):
        HashListDataset(
            ann_file='list.txt',
            data_root=images,
            num_classes=4,
            classes=['a', 'b', 'c'])
    with pytest.raises(ValueError, match='num_classes must be an integer'):
        HashListDataset(ann_file='list.txt', data_root=images, num_classes=0)


def test_database_without_the_top_class(tiny_single_label):
    """Class-index lists: the database lacks class 3, the query has it."""
    root = tiny_single_label
    with open(osp.join(root, 'database.txt')) as f:
        kept = [line for line in f if not line.rstrip().endswith(' 0 0 0 1')]
    write_list(
        root,
        [line.split()[0] + f' {line.split()[1:].index("1")}'
         for line in kept], 'database_index.txt')
    with open(osp.join(root, 'query.txt')) as f:
        write_list(root, [
            line.split()[0] + f' {line.split()[1:].index("1")}'
            for line in f if line.strip()
        ], 'query_index.txt')

    def build(**extra):
        return DATASETS.build(
            dict(
                type='QueryDatabaseDataset',
                query=dict(
                    type='HashListDataset',
                    data_root=root,
                    ann_file='query_index.txt',
                    **extra),
                database=dict(
                    type='HashListDataset',
                    data_root=root,
                    ann_file='database_index.txt',
                    **extra)))

    with pytest.raises(
            ValueError,
            match='the query set has 4 classes and '
            'the database 3; .* `num_classes`'):
        build()
    assert build(num_classes=4).metainfo['classes'] == tuple('0123')


def test_path_with_a_space_is_named(images):
    shutil.copy(
        osp.join(images, 'images/00000.png'),
        osp.join(images, 'images/my photo.png'))
    for lines in (['images/00001.png 1 0 1', 'images/my photo.png 0 1 0'
                   ], ['images/my photo.png 0 1 0', 'images/00001.png 1 0 1'],
                  ['images/00001.png 2', 'images/my photo.png 1']):
        write_list(images, lines)
        with pytest.raises(
                ValueError,
                match=r"list.txt:\d: the image path "
                r"'images/my photo.png' contains white space"):
            HashListDataset(ann_file='list.txt', data_root=images)
