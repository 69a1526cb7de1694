"""HashInferencer's inputs: paths, the bytes of image files and uint8 arrays
get the channels the model takes; other arrays, folders without images and
decompression bombs are refused with errors naming the input."""
import glob
import os.path as osp

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.structures import DataSample
from PIL import Image

from hashnet_mm.apis import HashInferencer
from hashnet_mm.images import ImageTooLargeError
from ..test_images import assert_cheap, bomb_png, refusal_cost

GREY_DEMO_CONFIG = ('configs/hashnet/'
                    'hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py')


@pytest.fixture(scope='module')
def grey_inferencer():
    """The shipped demo model (``color_type='grayscale'``, 1 input
    channel), freshly initialised with a fixed seed."""
    torch.manual_seed(0)
    inferencer = HashInferencer(
        Config.fromfile(GREY_DEMO_CONFIG), device='cpu')
    return inferencer


def reference_logits(inferencer, images):
    """z of (C, H, W) uint8 tensors made by the test, straight through the
    model's test step (no pipeline, no conversion)."""
    batch = pseudo_collate([
        dict(
            inputs=torch.from_numpy(np.ascontiguousarray(image)),
            data_samples=DataSample()) for image in images
    ])
    with torch.no_grad():
        return torch.stack([
            s.hash_logits for s in inferencer.model.test_step(batch)
        ]).numpy()


def colour_away_from_rounding(rng, shape):
    """Random BGR pixels whose 0.299 R + 0.587 G + 0.114 B is at least 0.05
    from a rounding boundary, so any correct rounding of it agrees."""
    bgr = rng.integers(0, 256, (*shape, 3)).astype(np.uint8)
    while True:
        grey = bgr.astype(float) @ [0.114, 0.587, 0.299]
        bad = np.abs(grey - np.floor(grey) - 0.5) < 0.05
        if not bad.any():
            return bgr, np.round(grey).astype(np.uint8)
        bgr[bad] = rng.integers(0, 256, (int(bad.sum()), 3))


def encoded(image, ext='.png'):
    return cv2.imencode(ext, image)[1].tobytes()


def test_colour_inputs_to_a_grey_model(tmp_path, grey_inferencer):
    bgr, grey = colour_away_from_rounding(np.random.default_rng(0), (28, 28))
    bgra = np.concatenate([bgr, np.full((28, 28, 1), 9, np.uint8)], axis=2)
    expected = reference_logits(grey_inferencer, [grey[None]])[0]
    got = grey_inferencer([bgr, bgra, grey, grey[..., None]], with_logits=True)
    for logits in got['logits']:
        np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got['codes'][0],
                                  np.where(expected >= 0, 1, -1))
    # A colour file, as a path and as bytes, is decoded grey by the
    # pipeline's LoadImageFromFile, as in testing.
    path = tmp_path / 'colour.png'
    path.write_bytes(encoded(bgr))
    from_file = grey_inferencer([str(path), path.read_bytes()],
                                with_logits=True)['logits']
    as_tested = reference_logits(
        grey_inferencer, [mmcv.imread(str(path), flag='grayscale')[None]])[0]
    np.testing.assert_allclose(from_file[0], as_tested, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(from_file[0], from_file[1])


def test_grey_inputs_to_a_colour_model(tmp_path, model_files):  # noqa: F811
    config, checkpoint, _ = model_files
    inferencer = HashInferencer(config, checkpoint, 'cpu')
    grey = np.random.default_rng(1).integers(0, 256, (32, 32)).astype(np.uint8)
    expected = reference_logits(inferencer, [np.stack([grey] * 3)])[0]
    path = tmp_path / 'grey.png'
    Image.fromarray(grey, mode='L').save(path)
    out = inferencer(
        [grey, grey[..., None],
         str(path), path.read_bytes()],
        with_logits=True)
    for logits in out['logits']:
        np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)


def test_bytes_give_the_codes_of_the_path(model_files):  # noqa: F811
    config, checkpoint, root = model_files
    paths = sorted(glob.glob(osp.join(root, 'images', '*.png')))[:4]
    inferencer = HashInferencer(config, checkpoint, 'cpu')
    uploads = []
    for p in paths:
        with open(p, 'rb') as f:
            uploads.append(f.read())
    from_paths = inferencer(paths, with_logits=True)
    from_bytes = inferencer(uploads, batch_size=3, with_logits=True)
    np.testing.assert_array_equal(from_bytes['codes'], from_paths['codes'])
    np.testing.assert_allclose(
        from_bytes['logits'], from_paths['logits'], rtol=1e-5, atol=1e-7)
    single = inferencer(bytearray(uploads[0]))['codes']
    np.testing.assert_array_equal(single, from_paths['codes'][:1])


@pytest.mark.parametrize('array, message', [
    (np.full((28, 28, 3), 0.5, np.float32),
     r'input 1: a float32 array of shape \(28, 28, 3\): pass uint8 values '
     r'0..255 in BGR order'),
    (np.full(
        (28, 28),
        np.nan), r'input 1: a float64 array of shape \(28, 28\), holding NaN'),
    (np.zeros(
        (28, 28),
        np.int64), r'input 1: an int64 array of shape \(28, 28\): pass uint8'),
])
def test_other_dtypes_are_refused(grey_inferencer, array, message):
    good = np.zeros((28, 28), np.uint8)
    with pytest.raises(TypeError, match=message):
        grey_inferencer([good, array])


@pytest.mark.parametrize('shape, message', [
    ((0, 0), r'input 0: a uint8 array of shape \(0, 0\) has no pixels'),
    ((0, 28, 3), r'input 0: a uint8 array of shape \(0, 28, 3\) has no '),
    ((28, 28, 2), r'input 0: a uint8 array of shape \(28, 28, 2\) is not an '
     r'image: expected H x W \(grey\) or H x W x C'),
    ((2, 28, 28, 3), r'shape \(2, 28, 28, 3\) is not an image.*one image '
     'per array'),
])
def test_arrays_that_are_not_images_are_refused(grey_inferencer, shape,
                                                message):
    with pytest.raises(ValueError, match=message):
        grey_inferencer(np.zeros(shape, np.uint8))


def test_other_input_types_are_refused(grey_inferencer):
    with pytest.raises(
            TypeError,
            match='input 0 is a Image; pass an image '
            'path, the bytes of an image file, a uint8 numpy'):
        grey_inferencer(Image.new('L', (28, 28)))
    with pytest.raises(
            ValueError,
            match=r'input 0 \(11 bytes\): not an '
            'image of a known format'):
        grey_inferencer(b'hello world')
    with pytest.raises(ValueError, match='no inputs'):
        grey_inferencer([])


def test_a_folder_gives_its_images_recursively(tmp_path, grey_inferencer):
    rng = np.random.default_rng(2)
    (tmp_path / 'sub').mkdir()
    names = ['a.png', 'b.JPG', 'sub/c.png']
    arrays = [rng.integers(0, 256, (28, 28)).astype(np.uint8) for _ in names]
    for name, array in zip(names, arrays):
        (tmp_path / name).write_bytes(encoded(array, '.png'))
    (tmp_path / 'README.txt').write_text('not an image')
    (tmp_path / 'sub' / 'labels.csv').write_text('a,1')
    with pytest.warns(
            UserWarning,
            match=r'2 files that are not images '
            r'\(by extension\) skipped: .*README.txt, .*labels.csv'):
        out = grey_inferencer(str(tmp_path), batch_size=2)
    # The files, sorted, read as paths (b.JPG holds PNG data).
    expected = grey_inferencer([str(tmp_path / n) for n in names])
    np.testing.assert_array_equal(out['codes'], expected['codes'])
    assert len(out['codes']) == 3


def test_a_folder_without_images_is_an_error(tmp_path, grey_inferencer):
    with pytest.raises(
            ValueError,
            match=f'{tmp_path}: no image files in the '
            r'folder or below it \(0 other files'):
        grey_inferencer(str(tmp_path))
    (tmp_path / 'README.txt').write_text('hi')
    with pytest.raises(ValueError, match=r'\(1 other files'):
        grey_inferencer(tmp_path)


@pytest.mark.parametrize('as_bytes', [False, True])
def test_a_bomb_is_refused_before_decoding(tmp_path, grey_inferencer,
                                           as_bytes):
    data = bomb_png(30000, 30000)  # 2.5 GB of grey pixels if decoded
    path = tmp_path / 'bomb.png'
    path.write_bytes(data)
    source = data if as_bytes else str(path)
    *cost, message = refusal_cost(lambda: grey_inferencer(source))
    assert_cheap(*cost)
    named = f'input 0 ({len(data)} bytes)' if as_bytes else f'image {path}'
    assert message.startswith(f'HashInferencer: {named}: ')
    assert ('30000 x 30000 = 900,000,000 pixels is more than the limit of '
            "67,108,864 (HashInferencer's max_pixels argument; "
            'max_pixels=None lifts the limit)') in message


def test_the_limit_is_a_setting(tmp_path, model_files):  # noqa: F811
    config, checkpoint, _ = model_files
    image = np.zeros((32, 32, 3), np.uint8)
    data = encoded(image)
    strict = HashInferencer(config, checkpoint, 'cpu', max_pixels=1023)
    with pytest.raises(
            ImageTooLargeError,
            match='32 x 32 = 1,024 pixels is '
            'more than the limit of 1,023'):
        strict(data)
    # Arrays are decoded already: the limit is for paths and bytes.
    assert strict(image)['codes'].shape == (1, 16)
    unlimited = HashInferencer(config, checkpoint, 'cpu', max_pixels=None)
    np.testing.assert_array_equal(
        unlimited(data)['codes'],
        strict(image)['codes'])
    for bad in (0, 2.5, True, '1000'):
        with pytest.raises(
                ValueError,
                match='HashInferencer: max_pixels '
                'must be an integer >= 1, or None'):
            HashInferencer(config, checkpoint, 'cpu', max_pixels=bad)


def test_the_test_pipeline_must_load_images(model_files):  # noqa: F811
    config, checkpoint, _ = model_files
    cfg = Config.fromfile(config)
    cfg.test_dataloader.dataset.database.pipeline = [dict(type='PackInputs')]
    with pytest.raises(
            ValueError,
            match='HashInferencer: the test pipeline '
            "must begin with LoadImageFromFile .*'PackInputs'"):
        HashInferencer(cfg, checkpoint, 'cpu')


def test_an_unchanged_pipeline_takes_the_preprocessors_channels(
        tmp_path, model_files):  # noqa: F811
    config, checkpoint, _ = model_files
    cfg = Config.fromfile(config)
    cfg.test_dataloader.dataset.database.pipeline = [
        dict(type='LoadImageFromFile', color_type='unchanged'),
        dict(type='PackInputs')
    ]
    inferencer = HashInferencer(cfg, checkpoint, 'cpu')
    assert inferencer.channels == 3  # the data preprocessor's three means
    rng = np.random.default_rng(3)
    bgra = rng.integers(0, 256, (32, 32, 4)).astype(np.uint8)
    path = tmp_path / 'alpha.png'
    path.write_bytes(encoded(bgra))
    grey = bgra[..., 0]
    out = inferencer([str(path), bgra, grey], with_logits=True)['logits']
    expected = reference_logits(
        inferencer, [bgra[..., :3].transpose(2, 0, 1),
                     np.stack([grey] * 3)])
    np.testing.assert_allclose(out[:2], expected[[0, 0]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[2], expected[1], rtol=1e-5, atol=1e-6)
