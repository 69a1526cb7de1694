"""Datasets of image files check the pixel count an image declares before
decoding it: a decompression bomb stops the run at no cost, naming the list
line, the image, its size and the max_pixels setting."""
import pytest
from mmpretrain.registry import DATASETS

import hashnet_mm  # noqa: F401
from hashnet_mm.images import ImageTooLargeError
from ..test_images import assert_cheap, bomb_jpeg, bomb_png, refusal_cost
from ..tiny_data import one_hot, write_tiny_dataset

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
SETTING = ("max_pixels, a key of the dataset config; max_pixels=None lifts "
           'the limit)')


def list_dataset(root, **kwargs):
    return DATASETS.build(
        dict(
            type='HashListDataset',
            ann_file='list.txt',
            data_root=str(root),
            pipeline=PIPELINE,
            **kwargs))


@pytest.mark.parametrize('bomb, size', [
    (bomb_png(30000, 30000), '30000 x 30000 = 900,000,000'),
    (bomb_jpeg(60000, 50000), '60000 x 50000 = 3,000,000,000'),
])
@pytest.mark.parametrize('test_mode', [False, True])
def test_a_listed_bomb_is_refused_before_decoding(tmp_path, bomb, size,
                                                  test_mode):
    write_tiny_dataset(str(tmp_path), {'list': one_hot([0, 1, 2], 3)})
    (tmp_path / 'images' / '00001.png').write_bytes(bomb)
    dataset = list_dataset(tmp_path, test_mode=test_mode)
    assert dataset[0]['inputs'].shape == (3, 32, 32)
    *cost, message = refusal_cost(lambda: dataset[1])
    assert_cheap(*cost)
    assert message == (
        f'{tmp_path}/list.txt:2: image {tmp_path}/images/00001.png: {size} '
        "pixels is more than the limit of 67,108,864 (HashListDataset's " +
        SETTING)
    assert dataset[2]['inputs'].shape == (3, 32, 32)


def test_the_limit_is_a_dataset_option(tmp_path):
    write_tiny_dataset(str(tmp_path), {'list': one_hot([0, 1], 2)})
    with pytest.raises(
            ImageTooLargeError,
            match=r'list.txt:1: image .*'
            '00000.png: 32 x 32 = 1,024 pixels is more than the '
            'limit of 1,023'):
        list_dataset(tmp_path, max_pixels=1023)[0]
    assert list_dataset(tmp_path, max_pixels=1024)[0]['inputs'].shape == \
        (3, 32, 32)
    assert list_dataset(tmp_path, max_pixels=None)[1]['inputs'].shape == \
        (3, 32, 32)
    for bad in (0, 1.5, '1024', False):
        with pytest.raises(
                ValueError,
                match='HashListDataset: max_pixels '
                'must be an integer >= 1, or None'):
            list_dataset(tmp_path, max_pixels=bad)


def test_query_and_database_sets_take_their_own_limit(tmp_path):
    write_tiny_dataset(
        str(tmp_path), {
            'query': one_hot([0, 1], 2),
            'database': one_hot([1, 0], 2)
        })
    sets = {
        name:
        dict(
            type='HashListDataset',
            data_root=str(tmp_path),
            ann_file=f'{name}.txt',
            pipeline=PIPELINE)
        for name in ('query', 'database')
    }
    sets['database']['max_pixels'] = 1000
    both = DATASETS.build(dict(type='QueryDatabaseDataset', **sets))
    assert both[1]['inputs'].shape == (3, 32, 32)
    with pytest.raises(
            ImageTooLargeError,
            match=r'database.txt:1: .*1,000 '
            r"\(HashListDataset's max_pixels"):
        both[2]


def test_a_bomb_in_an_image_folder_is_refused(tmp_path):
    write_tiny_dataset(str(tmp_path), {'list': one_hot([0, 1], 2)})
    (tmp_path / 'images' / '00001.png').write_bytes(bomb_png(20000, 20000))
    dataset = DATASETS.build(
        dict(
            type='ImageFilesDataset',
            data_prefix=str(tmp_path / 'images'),
            with_label=False,
            test_mode=True,
            pipeline=PIPELINE))
    assert dataset[0]['inputs'].shape == (3, 32, 32)
    *cost, message = refusal_cost(lambda: dataset[1])
    assert_cheap(*cost)
    assert message.startswith(f'{tmp_path}/images: image {tmp_path}/images/'
                              '00001.png: 20000 x 20000 = 400,000,000 pixels')
    assert message.endswith("(ImageFilesDataset's " + SETTING)
