"""Build a Hamming index from a codes file (``tools/encode.py``'s output).

    python tools/build_index.py codes.npz --out gallery.index \
        [--kind flat|hash|ivf] [--hash-bits B --num-tables T] \
        [--nlist L --nprobe P]

The same as ``python -m hashnet_mm.search.build_index`` (same arguments):
the index keeps the codes file's ids, paths and labels, for
``tools/search.py``.
"""
from hashnet_mm.search.build_index import main, parse_args  # noqa: F401

if __name__ == '__main__':
    main()
