"""Contact sheet: layout, and each result's frame: green when it shares a
label with its query, red when not, none when the labels are unknown."""
import numpy as np
import pytest
from PIL import Image

from hashnet_mm.search import HammingIndex, draw_contact_sheet, pack_codes
from hashnet_mm.search.contact_sheet import (QUERY_FRAME, RIGHT_FRAME,
                                             WRONG_FRAME)

TILE, GAP, LABEL = 40, 6, 14
GREY = (128, 128, 128)


@pytest.fixture
def images(tmp_path):
    """Six plain grey images (so a frame's pixels differ from the image's)."""
    paths = []
    for i in range(6):
        path = str(tmp_path / f'{i}.png')
        Image.new('RGB', (20 + i, 30), GREY).save(path)
        paths.append(path)
    return paths


def frame_pixels(sheet, row, column):
    """The pixels of the frame around a cell (its 3-pixel border) and one
    inside it."""
    left = GAP + column * (TILE + GAP)
    top = GAP + row * (TILE + LABEL + GAP)
    mid_x, mid_y = left + TILE // 2, top + TILE // 2
    border = {
        sheet.getpixel(xy)
        for xy in [(left - 2, mid_y), (left + TILE + 1, mid_y), (
            mid_x, top - 2), (left + TILE - 1, top + TILE +
                              1), (left - 3,
                                   top - 3), (left + TILE + 2, top + TILE + 2)]
    }
    return border, sheet.getpixel((mid_x, mid_y))


def labelled_index(paths, labels):
    index = HammingIndex(8)
    codes = np.ones((len(paths), 8))
    codes[np.arange(len(paths)), np.arange(len(paths)) % 8] = -1
    index.add(pack_codes(codes), paths=paths, labels=labels)
    return index, pack_codes(np.ones((2, 8)))


def test_frames_show_right_and_wrong(tmp_path, images):
    labels = np.array(
        [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]],
        dtype=bool)
    index, queries = labelled_index(images, labels)
    found = index.search(queries, 4)
    results = [found.select(row) for row in range(2)]
    query_labels = [np.array([1, 0, 0], bool), None]  # the second unknown
    sheet = draw_contact_sheet(
        images[:2],
        results,
        str(tmp_path / 's.png'),
        tile=TILE,
        gap=GAP,
        label_height=LABEL,
        query_labels=query_labels)
    with Image.open(tmp_path / 's.png') as written:
        assert written.size == sheet.size == (GAP + 5 * (TILE + GAP), GAP + 2 *
                                              (TILE + LABEL + GAP))
        assert np.array_equal(np.asarray(written), np.asarray(sheet))
    for row in range(2):
        assert frame_pixels(sheet, row, 0) == ({QUERY_FRAME}, GREY)
    right = (labels[found.ids[0]] & query_labels[0]).any(1)
    assert right.any() and not right.all()
    for column, is_right in enumerate(right, 1):
        assert frame_pixels(sheet, 0, column) == ({
            RIGHT_FRAME if is_right else WRONG_FRAME
        }, GREY)
    for column in range(1, 5):  # unknown query labels: no frame
        assert frame_pixels(sheet, 1, column) == ({(255, 255, 255)}, GREY)


def test_without_labels_results_are_not_framed(tmp_path, images):
    index, queries = labelled_index(images, None)
    results = index.search_radius(queries, 1)
    sheet = draw_contact_sheet(
        images[:2],
        results,
        str(tmp_path / 's.png'),
        tile=TILE,
        gap=GAP,
        label_height=LABEL,
        query_labels=[np.ones(3, bool), None])
    assert sheet.size[0] == GAP + 7 * (TILE + GAP)  # the query + 6 results
    for row in range(2):
        assert frame_pixels(sheet, row, 0) == ({QUERY_FRAME}, GREY)
        for column in range(1, 7):
            assert frame_pixels(sheet, row,
                                column) == ({(255, 255, 255)}, GREY)


def test_bad_input(tmp_path, images):
    index, queries = labelled_index(images, None)
    results = [index.search(queries, 2).select(row) for row in range(2)]
    with pytest.raises(ValueError, match='1 query labels for 2 queries'):
        draw_contact_sheet(
            images[:2], results, str(tmp_path / 's.png'), query_labels=[None])
    no_paths = HammingIndex(8)
    no_paths.add(queries)
    with pytest.raises(ValueError, match='needs the paths'):
        draw_contact_sheet(images[:2], [no_paths.search(queries, 1)],
                           str(tmp_path / 's.png'))
    assert not (tmp_path / 's.png').exists()
