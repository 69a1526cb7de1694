"""``python -m benchmarks list`` | ``python -m benchmarks NAME [options]``."""
import sys

from benchmarks import listing, names, run

USAGE = ('usage: python -m benchmarks list\n'
         '       python -m benchmarks NAME [options]   (NAME --help: its '
         'options)')


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(USAGE + '\n\n' + listing())
        return 0
    if argv[0] == 'list':
        print(listing())
        return 0
    name = argv[0]
    if name not in names():
        print(
            f'no benchmark {name!r}\n{USAGE}\n\n{listing()}', file=sys.stderr)
        return 2
    # argparse names the program after argv[0]: the command as typed.
    saved, sys.argv = sys.argv, [f'python -m benchmarks {name}', *argv[1:]]
    try:
        result = run(name, argv[1:])
    finally:
        sys.argv = saved
    return result if isinstance(result, int) else 0


if __name__ == '__main__':
    sys.exit(main())
