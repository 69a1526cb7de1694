"""HashListDataset: paths listed twice, and images that cannot be read."""
import pytest
from mmpretrain.registry import DATASETS

import hashnet_mm  # noqa: F401
from ..tiny_data import one_hot, write_tiny_dataset


def test_duplicate_path_names_both_lines(tmp_path):
    write_tiny_dataset(str(tmp_path), {'list': one_hot([0, 1, 2], 3)})
    with open(tmp_path / 'list.txt', 'a') as f:
        f.write('images/00001.png 0 0 1\n')
    with pytest.raises(
            ValueError,
            match=r'list.txt:4: images/00001.png is '
            'already listed on line 2'):
        DATASETS.build(
            dict(
                type='HashListDataset',
                ann_file='list.txt',
                data_root=str(tmp_path)))


@pytest.mark.parametrize('content', [b'', b'\x89PNG\r\n\x1a\n truncated'])
@pytest.mark.parametrize('test_mode', [False, True])
def test_unreadable_image_is_named_with_its_line(tmp_path, content, test_mode):
    write_tiny_dataset(str(tmp_path), {'list': one_hot([0, 1, 2], 3)})
    (tmp_path / 'images' / '00002.png').write_bytes(content)
    dataset = DATASETS.build(
        dict(
            type='HashListDataset',
            ann_file='list.txt',
            data_root=str(tmp_path),
            test_mode=test_mode,
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='PackInputs')]))
    assert dataset[1]['inputs'].shape == (3, 32, 32)
    with pytest.raises(
            RuntimeError,
            match=r'list.txt:3: cannot load image '
            r'.*images/00002.png: '):
        dataset[2]


def test_empty_image_file_of_an_image_folder_is_named(tmp_path):
    write_tiny_dataset(str(tmp_path), {'list': one_hot([0, 1], 2)})
    (tmp_path / 'images' / '00001.png').write_bytes(b'')
    dataset = DATASETS.build(
        dict(
            type='ImageFilesDataset',
            data_prefix=str(tmp_path / 'images'),
            with_label=False,
            test_mode=True,
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='PackInputs')]))
    assert dataset[0]['inputs'].shape == (3, 32, 32)
    with pytest.raises(
            RuntimeError,
            match=r'images: cannot load image .*'
            r'00001.png: the file is empty \(0 bytes\)'):
        dataset[1]
