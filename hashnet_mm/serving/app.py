"""The HTTP face of a :class:`~.service.SearchService`: the web page and the
JSON API, a FastAPI application (the ``[serve]`` extra).

Routes:

- ``GET /``: the search page.
- ``GET /api/health``: the model (config, checkpoint), the code length, the
  index's size and kind, the limits.
- ``POST /api/search``: a search. ``multipart/form-data`` with a file
  ``image`` (or a field ``id``), or JSON ``{"id": 17}`` /
  ``{"image_base64": "..."}``; plus ``k`` or ``radius`` and, for an upload,
  optional ``labels`` (class indices). Answers JSON (see
  ``docs/en/user_guides/serving.md``).
- ``GET /api/items/{id}``: an item's path and labels.
- ``GET /api/items/{id}/image``: an item's image, by id only: no path given
  by a client reaches the disk.

Every failure answers ``{"error": "<what went wrong>"}`` with a 4xx status.
"""
import base64
import binascii
import json
from importlib import resources

from ..utils.extras import require_extra
from .service import SearchService, ServingError

NEEDED_FOR = 'The search server (hashnet_mm.serving)'
require_extra('fastapi', 'serve', NEEDED_FOR)
require_extra('python_multipart', 'serve', NEEDED_FOR)  # forms (uploads)

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import HTMLResponse, JSONResponse, Response  # noqa
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.exceptions import HTTPException  # noqa: E402

#: Bytes a request may carry beyond its image: form fields, multipart
#: boundaries, JSON around a base64 image.
REQUEST_OVERHEAD = 64 * 1024


class RequestTooLarge(ServingError):
    """A request body over the limit, refused before it is buffered."""
    status = 413


def request_limit(max_upload_bytes: int) -> int:
    """The most bytes a request body may hold: a base64 image of the
    largest upload (4/3 of its bytes) and the fields around it."""
    return 4 * (max_upload_bytes + 2) // 3 + REQUEST_OVERHEAD


class BodySizeLimit:
    """ASGI middleware refusing a request body over ``max_bytes`` (413):
    at once for a declared Content-Length, else while it streams in, so
    that no request is buffered past the limit."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def too_large(self, size: str) -> RequestTooLarge:
        return RequestTooLarge(
            f'the request is {size} bytes, more than the limit of '
            f'{self.max_bytes:,} bytes (an image of at most the upload '
            'limit, and its fields)')

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)
        declared = dict(scope['headers']).get(b'content-length')
        if declared is not None and declared.isdigit() and \
                int(declared) > self.max_bytes:
            error = self.too_large(f'{int(declared):,}')
            return await error_response(error)(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message['type'] == 'http.request':
                received += len(message.get('body', b''))
                if received > self.max_bytes:
                    raise self.too_large(f'more than {self.max_bytes:,}')
            return message

        await self.app(scope, limited_receive, send)


def error_response(error: ServingError) -> JSONResponse:
    return JSONResponse({'error': str(error)}, status_code=error.status)


def page_html() -> str:
    """The search page (``hashnet_mm/serving/static/index.html``)."""
    return resources.files(__package__).joinpath(
        'static', 'index.html').read_text(encoding='utf-8')


async def search_fields(request: Request) -> dict:
    """The fields of a search request, from a form or a JSON body:
    ``image`` (bytes) and ``name``, or ``id``; ``k``, ``radius``,
    ``labels``."""
    content_type = request.headers.get('content-type', '')
    if content_type.startswith('multipart/form-data') or \
            content_type.startswith('application/x-www-form-urlencoded'):
        async with request.form(max_files=1, max_fields=16) as form:
            fields = {
                name: form.get(name)
                for name in ('id', 'k', 'radius', 'labels')
            }
            upload = form.get('image')
            if upload is not None and not isinstance(upload, str):
                fields['image'] = await upload.read()
                fields['name'] = upload.filename
            elif upload is not None:
                raise ServingError('the field image must be a file upload '
                                   '(curl -F image=@photo.jpg)')
            return fields
    if content_type.startswith('application/json'):
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as error:
            raise ServingError(f'the body is not valid JSON: {error}') \
                from error
        if not isinstance(body, dict):
            raise ServingError('the JSON body must be an object, such as '
                               '{"id": 17, "k": 10}')
        unknown = sorted(
            set(body) -
            {'id', 'image_base64', 'name', 'k', 'radius', 'labels'})
        if unknown:
            raise ServingError(f'unknown fields {unknown}: a search takes id '
                               'or image_base64, k or radius, and labels')
        fields = {
            name: body.get(name)
            for name in ('id', 'k', 'radius', 'labels', 'name')
        }
        if body.get('image_base64') is not None:
            encoded = body['image_base64']
            if not isinstance(encoded, str):
                raise ServingError('image_base64 must be a string')
            try:
                fields['image'] = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as error:
                raise ServingError(f'image_base64 is not base64: {error}') \
                    from error
        return fields
    raise ServingError(
        f'a search is a multipart form (an image file or an id) or JSON, '
        f'not {content_type or "a body without a content type"!r}')


def create_app(service: SearchService) -> FastAPI:
    """The FastAPI application serving ``service``."""
    app = FastAPI(
        title='hashnet_mm search',
        description='Hamming search of images with a deep hashing '
        'model',
        version=service.health()['version'],
        docs_url=None,
        redoc_url=None,
        openapi_url='/api/openapi.json')
    app.state.service = service

    @app.exception_handler(ServingError)
    async def serving_error(request: Request, error: ServingError):
        return error_response(error)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        message = {
            404: f'no such page: {request.url.path}',
            405: f'{request.method} is not allowed on '
            f'{request.url.path}'
        }.get(error.status_code, str(error.detail))
        return JSONResponse({'error': message}, status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request,
                               error: RequestValidationError):
        return JSONResponse({'error': str(error)}, status_code=422)

    @app.get('/', response_class=HTMLResponse)
    def page():
        return HTMLResponse(page_html())

    @app.get('/api/health')
    def health():
        return service.health()

    @app.post('/api/search')
    async def search(request: Request):
        fields = await search_fields(request)
        if ('image' in fields) == (fields.get('id') is not None):
            raise ServingError('a search needs an image upload (the field '
                               'image, or image_base64 in JSON) or the id of '
                               'an indexed item, and not both')
        if 'image' in fields:
            return await run_in_threadpool(service.search_upload,
                                           fields['image'], fields.get('name'),
                                           fields['k'], fields['radius'],
                                           fields['labels'])
        if fields.get('labels') is not None:
            raise ServingError('an indexed item is marked with its own '
                               'labels; labels go with an upload')
        return await run_in_threadpool(service.search_item, fields['id'],
                                       fields['k'], fields['radius'])

    @app.get('/api/items/{item_id}')
    def item(item_id: str):
        return service.item(item_id)

    @app.get('/api/items/{item_id}/image')
    def item_image(item_id: str):
        data, media_type = service.image(item_id)
        # Not cached: a server restarted on another index reuses the ids.
        return Response(
            data,
            media_type=media_type,
            headers={
                'Cache-Control': 'no-store',
                'X-Content-Type-Options': 'nosniff'
            })

    app.add_middleware(
        BodySizeLimit, max_bytes=request_limit(service.max_upload_bytes))
    return app
