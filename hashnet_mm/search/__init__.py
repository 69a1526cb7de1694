"""Use the codes: pack them, save them, index and search them by Hamming
distance on FAISS (``faiss-cpu``).

Not imported by ``hashnet_mm`` itself. FAISS (the ``[search]`` extra) is
imported when an index is first made or loaded, so packing and codes files
work without it.
"""
from ..codes import code_size, pack_codes, unpack_codes
from .codes_file import CodesFile
from .contact_sheet import draw_contact_sheet
from .dump_codes import DumpHashCodes
from .hamming_index import HammingIndex, Neighbours

__all__ = [
    'CodesFile', 'DumpHashCodes', 'HammingIndex', 'Neighbours', 'code_size',
    'draw_contact_sheet', 'pack_codes', 'unpack_codes'
]
