"""Sphinx configuration of the hashnet_mm documentation (Markdown via MyST).

Build: ``sphinx-build -W -b html docs/en docs/en/_build/html`` (the
``[docs]`` extra installs Sphinx and MyST).
"""
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from hashnet_mm.version import __version__  # noqa: E402

project = 'hashnet_mm'
copyright = 'hashnet_mm contributors'
version = release = __version__

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
]
source_suffix = {'.md': 'markdown', '.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = ['_build']
myst_enable_extensions = ['colon_fence', 'dollarmath']
myst_heading_anchors = 3
autodoc_member_order = 'bysource'
autodoc_typehints = 'none'
napoleon_google_docstring = True
napoleon_numpy_docstring = False
html_theme = 'alabaster'
html_static_path = ['_static']


def escape_bars(app, what, name, obj, options, lines):
    """Docstrings write norms and set sizes as |x| (plain text, cited from
    the papers); reStructuredText would read them as substitutions, so bars
    outside inline literals and literal blocks are escaped."""
    literal_indent = None
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if line.strip() and indent <= literal_indent:
                literal_indent = None
            else:
                continue
        parts = line.split('``')
        lines[i] = '``'.join(part.replace('|', r'\|') if k % 2 == 0 else part
                             for k, part in enumerate(parts))
        if line.rstrip().endswith('::'):
            literal_indent = indent


def setup(app):
    app.connect('autodoc-process-docstring', escape_bars)
