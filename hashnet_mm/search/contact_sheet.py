"""A contact sheet of queries and their nearest images (as the paper's
fig. 5): one row per query, the query first, then its results in rank
order, each labelled with its Hamming distance."""
from typing import Sequence

from PIL import Image, ImageDraw, ImageOps

from .hamming_index import Neighbours
from .storage import atomic_write

QUERY_FRAME = (220, 40, 40)


def draw_contact_sheet(query_paths: Sequence[str],
                       results: Sequence[Neighbours],
                       out_file: str,
                       tile: int = 96,
                       gap: int = 6,
                       label_height: int = 14) -> Image.Image:
    """Draw the sheet, write it to ``out_file`` (PNG) and return it.

    Args:
        query_paths (sequence[str]): the query images.
        results (sequence[Neighbours]): per query, 1-d Neighbours with
            paths (from a :class:`HammingIndex` that stores paths).
        tile (int): side of each image's square, in pixels.
    """
    if any(result.paths is None for result in results):
        raise ValueError('a contact sheet needs the paths of the results; '
                         'this index stores none')
    results = [result.found() for result in results]
    columns = 1 + max(len(result.ids) for result in results)
    sheet = Image.new('RGB', (gap + columns * (tile + gap), gap + len(
        query_paths) * (tile + label_height + gap)), 'white')
    draw = ImageDraw.Draw(sheet)
    for row, (query, result) in enumerate(zip(query_paths, results)):
        cells = [(query, 'query')] + [
            (path, f'd={distance}')
            for path, distance in zip(result.paths, result.distances)
        ]
        top = gap + row * (tile + label_height + gap)
        for column, (path, label) in enumerate(cells):
            left = gap + column * (tile + gap)
            with Image.open(path) as image:
                sheet.paste(
                    ImageOps.pad(image.convert('RGB'), (tile, tile),
                                 color='white'), (left, top))
            draw.text((left + 2, top + tile + 1), label, fill='black')
        draw.rectangle((gap - 3, top - 3, gap + tile + 2, top + tile + 2),
                       outline=QUERY_FRAME, width=3)
    with atomic_write(out_file) as f:
        sheet.save(f, format='PNG')
    return sheet
