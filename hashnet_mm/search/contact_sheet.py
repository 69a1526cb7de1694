"""A contact sheet of queries and their nearest images (as the paper's
fig. 5): one row per query, the query first, then its results in rank
order, each labelled with its Hamming distance.

When the query's and the items' labels are known, each result is framed
green if it shares a label with the query (right) and red if not (wrong);
results without labels to compare are left unframed. The query's frame is
blue."""
from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from .hamming_index import Neighbours
from .storage import atomic_write

QUERY_FRAME = (40, 90, 220)
RIGHT_FRAME = (30, 160, 60)
WRONG_FRAME = (220, 40, 40)
FRAME_WIDTH = 3


def draw_contact_sheet(
    query_paths: Sequence[str],
    results: Sequence[Neighbours],
    out_file: str,
    tile: int = 96,
    gap: int = 6,
    label_height: int = 14,
    query_labels: Optional[Sequence[Optional[np.ndarray]]] = None
) -> Image.Image:
    """Draw the sheet, write it to ``out_file`` (PNG) and return it.

    Args:
        query_paths (sequence[str]): the query images.
        results (sequence[Neighbours]): per query, 1-d Neighbours with
            paths (from a :class:`HammingIndex` that stores paths), and
            labels for the right / wrong frames.
        tile (int): side of each image's square, in pixels.
        query_labels (sequence, optional): per query, its (C,) multi-hot
            labels or None (unknown: its results are not framed).
    """
    if any(result.paths is None for result in results):
        raise ValueError('a contact sheet needs the paths of the results; '
                         'this index stores none')
    if query_labels is None:
        query_labels = [None] * len(query_paths)
    if len(query_labels) != len(query_paths):
        raise ValueError(f'{len(query_labels)} query labels for '
                         f'{len(query_paths)} queries')
    results = [result.found() for result in results]
    columns = 1 + max((len(result.ids) for result in results), default=0)
    sheet = Image.new('RGB',
                      (gap + columns * (tile + gap), gap + len(query_paths) *
                       (tile + label_height + gap)), 'white')
    draw = ImageDraw.Draw(sheet)

    def frame(left, top, colour):
        draw.rectangle(
            (left - FRAME_WIDTH, top - FRAME_WIDTH,
             left + tile + FRAME_WIDTH - 1, top + tile + FRAME_WIDTH - 1),
            outline=colour,
            width=FRAME_WIDTH)

    for row, (query, result,
              labels) in enumerate(zip(query_paths, results, query_labels)):
        relevant = result.relevant(labels)
        if relevant is None:
            relevant = [None] * len(result.ids)
        cells = [(query, 'query', QUERY_FRAME)] + [
            (path, f'd={distance}' +
             ('' if right is None else ' right' if right else ' wrong'),
             None if right is None else RIGHT_FRAME if right else WRONG_FRAME)
            for path, distance, right in zip(result.paths, result.distances,
                                             relevant)
        ]
        top = gap + row * (tile + label_height + gap)
        for column, (path, label, colour) in enumerate(cells):
            left = gap + column * (tile + gap)
            with Image.open(path) as image:
                sheet.paste(
                    ImageOps.pad(
                        image.convert('RGB'), (tile, tile), color='white'),
                    (left, top))
            draw.text((left + 2, top + tile + 1), label, fill='black')
            if colour is not None:
                frame(left, top, colour)
    with atomic_write(out_file) as f:
        sheet.save(f, format='PNG')
    return sheet
