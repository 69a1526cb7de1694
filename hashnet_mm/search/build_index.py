"""Build a Hamming index from a codes file (``tools/encode.py``'s output).

    python tools/build_index.py codes.npz --out gallery.index [--kind hash]
    python -m hashnet_mm.search.build_index codes.npz --out gallery.index

The index keeps the codes file's ids, paths and labels (when it has them),
so ``tools/search.py`` can mark each neighbour right or wrong.
"""
import argparse

from .codes_file import CodesFile
from .hamming_index import KINDS, HammingIndex

INDEX_PARAMS = ('hash_bits', 'num_tables', 'nflip', 'nlist', 'nprobe')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Build a Hamming index from a codes file')
    parser.add_argument('codes', help='codes file (.npz) of tools/encode.py')
    parser.add_argument('--out', required=True, help='index file to write')
    parser.add_argument(
        '--kind', choices=KINDS, default='flat',
        help='flat: exact search; hash: multi-index hashing for radius '
        'search; ivf: approximate search of large collections')
    for name in INDEX_PARAMS:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int,
                            help='see HammingIndex')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    codes = CodesFile.load(args.codes)
    params = {name: getattr(args, name) for name in INDEX_PARAMS
              if getattr(args, name) is not None}
    index = HammingIndex(codes.num_bits, args.kind, **params)
    index.add(codes.codes, codes.ids, codes.paths, codes.labels)
    index.save(args.out)
    labels = '' if codes.labels is None else \
        f', with labels of {codes.labels.shape[1]} classes'
    print(f'{args.out}: {args.kind} index of {len(index)} '
          f'{codes.num_bits}-bit codes{labels}')


if __name__ == '__main__':
    main()
