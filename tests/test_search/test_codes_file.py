"""Codes files: round trip, atomic writes, and truncated or corrupt files."""
import json
import os

import numpy as np
import pytest

from hashnet_mm.search import CodesFile, pack_codes
from hashnet_mm.search.storage import atomic_write


def make_codes(n=10, num_bits=12, paths=True):
    codes = np.random.default_rng(0).choice([-1, 1], (n, num_bits))
    names = [f'images/ä {i}.png' for i in range(n)] if paths else None
    return CodesFile(pack_codes(codes), num_bits, np.arange(100, 100 + n),
                     names)


def assert_same(a, b):
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.ids, b.ids)
    assert (a.num_bits, a.paths) == (b.num_bits, b.paths)


@pytest.mark.parametrize('paths', [True, False])
@pytest.mark.parametrize('n', [0, 1, 10])
def test_round_trip(tmp_path, n, paths):
    codes = make_codes(n, paths=paths)
    codes.save(str(tmp_path / 'codes.npz'))
    assert_same(CodesFile.load(str(tmp_path / 'codes.npz')), codes)
    assert os.listdir(tmp_path) == ['codes.npz']


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / 'codes.npz')
    old = make_codes(3)
    old.save(path)
    with pytest.raises(RuntimeError, match='crash'):
        with atomic_write(path) as f:
            f.write(b'half a file')
            raise RuntimeError('crash')
    assert_same(CodesFile.load(path), old)
    assert os.listdir(tmp_path) == ['codes.npz']


def test_truncated_file(tmp_path):
    path = str(tmp_path / 'codes.npz')
    make_codes().save(path)
    data = open(path, 'rb').read()
    for size in (0, 10, len(data) // 2, len(data) - 1):
        with open(path, 'wb') as f:
            f.write(data[:size])
        with pytest.raises(ValueError, match='codes.npz: not a readable'):
            CodesFile.load(path)


def test_a_flipped_byte_is_an_error_or_harmless(tmp_path):
    # Bytes such as the zip's timestamps carry no content: flipping them
    # must leave the content intact; any other flip must be an error.
    path = str(tmp_path / 'codes.npz')
    good = make_codes()
    good.save(path)
    data = bytearray(open(path, 'rb').read())
    errors = 0
    for offset in range(0, len(data), 3):
        corrupt = bytearray(data)
        corrupt[offset] ^= 0x55
        with open(path, 'wb') as f:
            f.write(corrupt)
        try:
            loaded = CodesFile.load(path)
        except ValueError as error:
            assert str(error).startswith(path)
            errors += 1
        else:
            assert_same(loaded, good)
    assert errors > 0.8 * len(data) / 3


def test_checksum_catches_a_consistent_archive_with_changed_data(tmp_path):
    path = str(tmp_path / 'codes.npz')
    make_codes().save(path)
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays['ids'] = arrays['ids'] + 1
    with open(path, 'wb') as f:
        np.savez(f, **arrays)
    with pytest.raises(ValueError, match='checksum mismatch'):
        CodesFile.load(path)


def test_other_npz_is_rejected(tmp_path):
    path = str(tmp_path / 'other.npz')
    np.savez(path, meta=np.array(json.dumps(dict(format='something'))))
    with pytest.raises(ValueError, match="found format 'something'"):
        CodesFile.load(path)
    np.savez(path, codes=np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match='not a readable'):
        CodesFile.load(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        CodesFile.load('/nonexistent/codes.npz')


@pytest.mark.parametrize('change, match', [
    (dict(ids=np.arange(9)), 'ids must be 10 integers'),
    (dict(ids=np.zeros(10, dtype=np.int64)), r'unique; repeated: \[0\]'),
    (dict(ids=np.arange(-1, 9)), '>= 0'),
    (dict(ids=np.linspace(0, 1, 10)), 'integers'),
    (dict(paths=['a.png']), '1 paths for 10 codes'),
    (dict(num_bits=64), '2 bytes wide'),
])
def test_inconsistent_contents(change, match):
    good = make_codes()
    fields = dict(codes=good.codes, num_bits=good.num_bits, ids=good.ids,
                  paths=good.paths)
    with pytest.raises(ValueError, match=match):
        CodesFile(**{**fields, **change})


def test_newline_in_a_path_cannot_be_saved(tmp_path):
    codes = make_codes(2)
    codes.paths[1] = 'a\nb.png'
    with pytest.raises(ValueError, match='newline'):
        codes.save(str(tmp_path / 'codes.npz'))
    assert not os.listdir(tmp_path)


def test_written_file_permissions_follow_the_umask(tmp_path):
    umask = os.umask(0o027)
    try:
        make_codes().save(str(tmp_path / 'codes.npz'))
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / 'codes.npz').st_mode & 0o777 == 0o640
