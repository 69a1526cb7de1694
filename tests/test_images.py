"""The one definition of an image file, and the size check before decoding."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from hashnet_mm.images import (IMAGE_EXTENSIONS, ImageTooLargeError,
                               check_pixel_count, declared_size,
                               find_image_files, is_image_file, read_image)


def png_bytes(width, height):
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 7, np.uint8)).save(
        buf, format='PNG')
    return buf.getvalue()


def bomb_png(width, height):
    """A PNG header declaring width x height with a tiny (bogus) body."""
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) +
            chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))


@pytest.mark.parametrize('name', ['a.jpeg', 'b.PNG', 'c.gif', 'd.webp',
                                  'e.tif', 'f.bmp', 'g.JPG'])
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
    for name in ['a.jpeg', 'b.PNG', 'sub/c.gif', 'sub/d.webp', '.hidden/e.png']:
        (tmp_path / name).write_bytes(png_bytes(3, 2))
    (tmp_path / 'README.txt').write_text('hi')
    images, others = find_image_files(str(tmp_path))
    assert [p[len(str(tmp_path)) + 1:] for p in images] == [
        'a.jpeg', 'b.PNG', 'sub/c.gif', 'sub/d.webp']
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
    with pytest.raises(ImageTooLargeError):
        read_image(data, name='bomb.png')


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
