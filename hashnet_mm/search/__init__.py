"""Use the codes: pack them, save them, index and search them by Hamming
distance on FAISS (``faiss-cpu``).

Light: importing it loads neither torch, mmengine nor mmpretrain (a search
service starts in a fraction of a second); the metrics that write codes
files in a test loop are in :mod:`hashnet_mm.encoding`. FAISS (the
``[search]`` extra) is imported when an index is first made or loaded, so
packing, codes files and shards work without it.
"""
from ..codes import code_size, pack_codes, unpack_codes
from .codes_file import CodesFile
from .hamming_index import HammingIndex, Neighbours
from .shards import Manifest

__all__ = [
    'CodesFile', 'HammingIndex', 'Manifest', 'Neighbours', 'code_size',
    'pack_codes', 'unpack_codes', 'draw_contact_sheet'
]


def __getattr__(name: str):
    """``draw_contact_sheet``, imported on first use (it needs PIL)."""
    if name == 'draw_contact_sheet':
        from .contact_sheet import draw_contact_sheet
        return draw_contact_sheet
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
