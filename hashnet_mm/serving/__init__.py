"""Search in a browser: a web page and a JSON API over a model and a Hamming
index (``tools/serve.py``).

Not imported by ``hashnet_mm`` itself. :class:`SearchService` (the searches,
no web framework) needs only the package and FAISS; the HTTP application
(:mod:`.app`, :func:`create_app`) and its server (:mod:`.server`) need the
``[serve]`` extra (FastAPI, uvicorn, python-multipart), imported when they
are.
"""
from .items import IndexItems
from .service import (DEFAULT_MAX_RESULTS, DEFAULT_MAX_UPLOAD_BYTES,
                      SearchService, ServingError)

__all__ = [
    'DEFAULT_MAX_RESULTS', 'DEFAULT_MAX_UPLOAD_BYTES', 'IndexItems',
    'SearchService', 'ServingError', 'create_app'
]


def create_app(service: SearchService):
    """The FastAPI application of ``service`` (see :mod:`.app`)."""
    from .app import create_app as create
    return create(service)
