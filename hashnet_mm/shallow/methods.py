"""The shallow methods by their command-line names, as the tools and the
comparison build them."""
from ..registry import HASHERS

#: command-line name -> (type in HASHERS, row label of a table)
METHODS = {
    'lsh': ('LSH', 'LSH'),
    'sh': ('SpectralHashing', 'SH'),
    'itq': ('ITQ', 'ITQ'),
    'itq-cca': ('ITQCCA', 'ITQ-CCA'),
    'ksh': ('KSH', 'KSH'),
    'bre': ('BRE', 'BRE'),
    'vdsh': ('VDSH', 'VDSH'),
    'vdsh-backprop': ('BackpropHashMLP', 'MLP (backprop)'),
}


def build_method(method, num_bits, seed=0, options=None):
    """The hasher of command-line name ``method`` for K = num_bits, with
    ``options`` as keyword arguments (a wrong one: SystemExit naming the
    method)."""
    if method not in METHODS:
        raise ValueError(f'unknown method {method!r}; choose from '
                         f'{sorted(METHODS)}')
    options = options or {}
    try:
        return HASHERS.build(
            dict(
                type=METHODS[method][0],
                num_bits=num_bits,
                seed=seed,
                **options))
    except TypeError as e:
        raise SystemExit(f'{method}: bad --options ({e})') from None
