"""The one definition of an image file, and the size check before decoding."""
import contextlib
import io
import os
import resource
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from hashnet_mm.images import (IMAGE_EXTENSIONS, ImageTooLargeError,
                               check_max_pixels, check_pixel_count,
                               conform_image, declared_size, find_image_files,
                               is_image_file, read_image)


def png_bytes(width, height):
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 7, np.uint8)).save(
        buf, format='PNG')
    return buf.getvalue()


def bomb_png(width, height):
    """A PNG header declaring width x height with a tiny (bogus) body."""

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I',
                            zlib.crc32(kind + data) & 0xffffffff))

    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) +
            chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))


def bomb_jpeg(width, height):
    """A tiny JPEG whose frame header is rewritten to declare width x
    height."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, format='JPEG')
    data = bytearray(buf.getvalue())
    start = data.index(b'\xff\xc0')  # SOF0: length, precision, H, W
    data[start + 5:start + 9] = struct.pack('>HH', height, width)
    return bytes(data)


@contextlib.contextmanager
def address_space_capped(extra_bytes=1 << 30):
    """Cap this process's address space at its present size plus
    ``extra_bytes`` (Linux), so that a decoder wrongly reached fails at
    once instead of taking gigabytes; the old limit is restored."""
    with open('/proc/self/statm') as f:
        size = int(f.read().split()[0]) * os.sysconf('SC_PAGE_SIZE')
    old = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + extra_bytes
    if old[1] != resource.RLIM_INFINITY:
        cap = min(cap, old[1])
    resource.setrlimit(resource.RLIMIT_AS, (cap, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)


def refusal_cost(call):
    """``call()`` must raise ImageTooLargeError with at most 1 GiB more
    address space: (seconds, peak bytes Python traced, growth of the
    process's peak resident size in bytes, the error message)."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with address_space_capped(), \
                pytest.raises(ImageTooLargeError) as error:
            call()
    finally:
        seconds = time.perf_counter() - start
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_growth = resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    return seconds, traced, rss_growth, str(error.value)


def assert_cheap(seconds, traced, rss_growth):
    assert seconds < 2, seconds
    assert traced < 10 * 2**20, traced
    assert rss_growth < 100 * 2**20, rss_growth


@pytest.mark.parametrize(
    'name', ['a.jpeg', 'b.PNG', 'c.gif', 'd.webp', 'e.tif', 'f.bmp', 'g.JPG'])
def test_every_common_kind_is_an_image(name):
    assert is_image_file(name)


@pytest.mark.parametrize('name', ['README.txt', 'x.npz', 'noext', 'a.jpg.bak'])
def test_other_files_are_not(name):
    assert not is_image_file(name)


def test_extensions_are_lower_case_and_dotted():
    assert all(e.startswith('.') and e == e.lower() for e in IMAGE_EXTENSIONS)


def test_find_image_files_recurses_and_reports_the_rest(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / '.hidden').mkdir()
    for name in [
            'a.jpeg', 'b.PNG', 'sub/c.gif', 'sub/d.webp', '.hidden/e.png'
    ]:
        (tmp_path / name).write_bytes(png_bytes(3, 2))
    (tmp_path / 'README.txt').write_text('hi')
    images, others = find_image_files(str(tmp_path))
    assert [p[len(str(tmp_path)) + 1:]
            for p in images] == ['a.jpeg', 'b.PNG', 'sub/c.gif', 'sub/d.webp']
    assert others == [str(tmp_path / 'README.txt')]
    flat, _ = find_image_files(str(tmp_path), recursive=False)
    assert len(flat) == 2


def test_find_image_files_needs_a_folder(tmp_path):
    with pytest.raises(NotADirectoryError, match='no such folder'):
        find_image_files(str(tmp_path / 'missing'))


def test_declared_size_of_bytes_and_paths(tmp_path):
    data = png_bytes(5, 3)
    assert declared_size(data) == (5, 3)
    (tmp_path / 'x.png').write_bytes(data)
    assert declared_size(str(tmp_path / 'x.png')) == (5, 3)


@pytest.mark.parametrize('side', [20000, 30000])
def test_a_bomb_is_refused_before_decoding(side):
    data = bomb_png(side, side)
    assert len(data) < 1000
    with pytest.raises(ImageTooLargeError, match='pixels'):
        check_pixel_count(data, max_pixels=10**6, name='bomb.png')
    *cost, message = refusal_cost(lambda: read_image(data, name='bomb.png'))
    assert_cheap(*cost)
    assert message.startswith(f'bomb.png: {side} x {side} = ')


def test_a_jpeg_bomb_is_refused_before_decoding():
    data = bomb_jpeg(60000, 50000)
    assert len(data) < 1000 and declared_size(data) == (60000, 50000)
    with pytest.raises(ImageTooLargeError, match='upload.jpg: 60000 x 50000'):
        read_image(data, name='upload.jpg')


def test_the_limit_is_inclusive_and_can_be_lifted():
    data = png_bytes(4, 5)
    assert check_pixel_count(data, max_pixels=20) == (4, 5)
    with pytest.raises(ImageTooLargeError, match='4 x 5 = 20 pixels'):
        check_pixel_count(data, max_pixels=19)
    assert check_pixel_count(data, max_pixels=None) == (4, 5)


def test_read_image_gives_bgr_uint8(tmp_path):
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[..., 0] = 200  # red
    path = tmp_path / 'red.png'
    Image.fromarray(rgb).save(path)
    bgr = read_image(str(path))
    assert bgr.dtype == np.uint8 and bgr.shape == (2, 3, 3)
    assert (bgr[..., 2] == 200).all() and (bgr[..., 0] == 0).all()


def test_non_images_and_missing_files_are_named(tmp_path):
    with pytest.raises(ValueError, match='upload.bin: not an image'):
        read_image(b'hello world', name='upload.bin')
    with pytest.raises(FileNotFoundError, match='no such file'):
        declared_size(str(tmp_path / 'missing.png'))


def test_a_bomb_past_pils_own_limit_reports_its_size():
    # PIL refuses to open past 2 x Image.MAX_IMAGE_PIXELS; the size is
    # still read from the header, and the limit can be lifted.
    data = bomb_png(100000, 50000)
    assert declared_size(data) == (100000, 50000)
    with pytest.raises(
            ImageTooLargeError,
            match='100000 x 50000 = '
            '5,000,000,000 pixels is more than the limit of '
            r'67,108,864 \(where it is set\)'):
        check_pixel_count(data, name='bomb.png', setting='where it is set')
    assert check_pixel_count(data, max_pixels=None) == (100000, 50000)


@pytest.mark.parametrize('bad', [0, -1, 2.5, True, '1000'])
def test_check_max_pixels_refuses_non_limits(bad):
    with pytest.raises(
            ValueError,
            match='the owner: max_pixels must be an '
            r'integer >= 1, or None for no limit; got'):
        check_max_pixels(bad, 'the owner')
    check_max_pixels(None, 'the owner')
    check_max_pixels(1, 'the owner')


def reference_grey(bgr):
    """0.299 R + 0.587 G + 0.114 B, rounded, in float64."""
    return np.round(bgr.astype(np.float64) @ [0.114, 0.587, 0.299])


def test_conform_image_colour_to_grey_uses_opencvs_weights():
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (40, 50, 3)).astype(np.uint8)
    grey = conform_image(bgr, 1)
    assert grey.dtype == np.uint8 and grey.shape == (40, 50)
    # OpenCV's fixed-point weights round at most 0.02 away from the exact
    # value: the same integer except next to a half.
    diff = np.abs(grey - reference_grey(bgr))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.95
    pure = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]]],
                    np.uint8)  # blue, green, red, grey 9
    np.testing.assert_array_equal(conform_image(pure, 1), [[29, 150, 76, 9]])
    # Alpha is dropped first; H x W x 1 is grey.
    bgra = np.concatenate([bgr, np.zeros((40, 50, 1), np.uint8)], axis=2)
    np.testing.assert_array_equal(conform_image(bgra, 1), grey)
    np.testing.assert_array_equal(conform_image(grey[..., None], 1), grey)


def test_conform_image_grey_to_colour_repeats():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for image in (grey, grey[..., None]):
        colour = conform_image(image, 3)
        assert colour.shape == (3, 4, 3) and colour.dtype == np.uint8
        for channel in range(3):
            np.testing.assert_array_equal(colour[..., channel], grey)
    bgra = np.random.default_rng(1).integers(0, 256,
                                             (3, 4, 4)).astype(np.uint8)
    np.testing.assert_array_equal(conform_image(bgra, 3), bgra[..., :3])
    np.testing.assert_array_equal(conform_image(bgra, None), bgra[..., :3])
    np.testing.assert_array_equal(conform_image(grey, None), grey)


@pytest.mark.parametrize('image, error, message', [
    (np.zeros((4, 4), np.float32), TypeError,
     r'x.png: a float32 array of shape \(4, 4\): pass uint8'),
    (np.full((4, 4, 3), np.inf), TypeError, 'holding NaN or infinite'),
    (np.zeros((4, 4), bool), TypeError, 'a bool array'),
    ([[1, 2]], TypeError, 'x.png: expected a numpy array, got list'),
    (np.zeros((0, 0), np.uint8), ValueError, 'has no pixels'),
    (np.zeros((4, 0, 3), np.uint8), ValueError, 'has no pixels'),
    (np.zeros((4, 4, 2), np.uint8), ValueError, 'is not an image'),
    (np.zeros((4, ), np.uint8), ValueError, 'is not an image'),
])
def test_conform_image_refuses_what_is_not_an_image(image, error, message):
    with pytest.raises(error, match=message):
        conform_image(image, 3, name='x.png')


def test_read_image_decodes_grey_with_a_flag():
    data = png_bytes(5, 3)
    grey = read_image(data, flag='grayscale', name='upload')
    assert grey.shape == (3, 5) and (grey == 7).all()


@pytest.mark.parametrize('mode', ['1', 'L', 'P', 'RGB', 'RGBA', 'LA', 'I;16'])
def test_png_sizes_read_from_the_header_are_pils(tmp_path, mode):
    """A PNG's size is read from its IHDR chunk without PIL: the size PIL
    gives, and a header altered anywhere is either read the same or left to
    PIL (which refuses it as before)."""
    buffer = io.BytesIO()
    Image.new(mode, (7, 300)).save(buffer, format='PNG')
    data = buffer.getvalue()
    (tmp_path / 'x.png').write_bytes(data)
    assert declared_size(data) == declared_size(str(tmp_path / 'x.png')) \
        == (7, 300)
    for i in range(33):
        for value in (0, 0xff, data[i] ^ 1):
            altered = data[:i] + bytes([value]) + data[i + 1:]
            try:
                with Image.open(io.BytesIO(altered)) as image:
                    expected = image.size
            except Exception:
                expected = ValueError
            try:
                found = declared_size(altered)
            except ValueError:
                found = ValueError
            assert found == expected, (i, value)
