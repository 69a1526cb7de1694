"""Codes files: round trip, atomic writes, and truncated or corrupt files."""
import json
import os
import re

import numpy as np
import pytest

from hashnet_mm.search import CodesFile, pack_codes
from hashnet_mm.search.codes_file import CODES_FORMAT
from hashnet_mm.search.storage import (atomic_write, save_arrays,
                                       strings_to_array)


def make_codes(n=10, num_bits=12, paths=True, labels=False):
    rng = np.random.default_rng(0)
    codes = rng.choice([-1, 1], (n, num_bits))
    names = [f'images/ä {i}.png' for i in range(n)] if paths else None
    multi_hot = rng.random((n, 5)) < 0.4 if labels else None
    return CodesFile(
        pack_codes(codes), num_bits, np.arange(100, 100 + n), names, multi_hot)


def assert_same(a, b):
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.ids, b.ids)
    assert (a.num_bits, a.paths) == (b.num_bits, b.paths)
    assert (a.labels is None) == (b.labels is None)
    if a.labels is not None:
        assert a.labels.dtype == b.labels.dtype == bool
        np.testing.assert_array_equal(a.labels, b.labels)


@pytest.mark.parametrize('labels', [True, False])
@pytest.mark.parametrize('paths', [True, False])
@pytest.mark.parametrize('n', [0, 1, 10])
def test_round_trip(tmp_path, n, paths, labels):
    codes = make_codes(n, paths=paths, labels=labels)
    codes.save(str(tmp_path / 'codes.npz'))
    assert_same(CodesFile.load(str(tmp_path / 'codes.npz')), codes)
    assert os.listdir(tmp_path) == ['codes.npz']


def test_labels_are_stored_compactly_as_bool(tmp_path):
    rows = np.array([[0, 1, 1], [1, 0, 0]], dtype=np.int64)
    codes = CodesFile(pack_codes(np.ones((2, 8))), 8, [0, 1], None, rows)
    assert codes.labels.dtype == bool
    codes.save(str(tmp_path / 'codes.npz'))
    with np.load(str(tmp_path / 'codes.npz')) as archive:
        assert archive['labels'].dtype == bool
        assert archive['labels'].nbytes == 6
    np.testing.assert_array_equal(
        CodesFile.load(str(tmp_path / 'codes.npz')).labels, rows == 1)


def test_a_file_written_before_labels_were_kept_still_loads(tmp_path):
    """The arrays and header of a codes file from before labels: no labels
    array; it loads with labels None."""
    path = str(tmp_path / 'old.npz')
    old = make_codes(4)
    save_arrays(
        path, CODES_FORMAT, dict(num_bits=old.num_bits),
        dict(codes=old.codes, ids=old.ids, paths=strings_to_array(old.paths)))
    loaded = CodesFile.load(path)
    assert loaded.labels is None
    assert_same(loaded, old)


@pytest.mark.parametrize('labels, match', [
    (np.ones((9, 5), dtype=bool), r'\(10, C\) multi-hot array .* shape '
     r'\(9, 5\)'),
    (np.ones(10, dtype=bool), r'shape \(10,\)'),
    (np.ones((10, 0), dtype=bool), r'shape \(10, 0\)'),
    (np.full((10, 3), 0.5), 'float64 array'),
])
def test_labels_of_a_wrong_shape_in_a_file_name_the_file(
        tmp_path, labels, match):
    path = str(tmp_path / 'codes.npz')
    good = make_codes()
    save_arrays(path, CODES_FORMAT, dict(num_bits=good.num_bits),
                dict(codes=good.codes, ids=good.ids, labels=labels))
    prefix = f'^{re.escape(path)}: labels must be a '
    with pytest.raises(ValueError, match=prefix + f'.*{match}'):
        CodesFile.load(path)


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
    (dict(labels=np.ones((9, 3))), r'labels must be a \(10, C\)'),
    (dict(labels=np.full((10, 3), 2)), r'0 or 1; row 0 is \[2, 2, 2\]'),
])
def test_inconsistent_contents(change, match):
    good = make_codes()
    fields = dict(
        codes=good.codes,
        num_bits=good.num_bits,
        ids=good.ids,
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
