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
