"""Running the application with uvicorn: in the foreground
(``tools/serve.py``), or on a thread of this process for tests and the load
benchmark."""
import contextlib
import socket
import threading
import time
from typing import Iterator

from ..utils.extras import require_extra

uvicorn = require_extra('uvicorn', 'serve',
                        'The search server (hashnet_mm.serving)')


def loopback_socket(host: str = '127.0.0.1', port: int = 0) -> socket.socket:
    """A listening-ready TCP socket bound to ``host:port`` (port 0: a free
    one, chosen by the system). Made with ``IPPROTO_TCP`` named, so that
    asyncio turns Nagle's algorithm off on each connection it accepts (a
    response's headers and body are two writes: with Nagle on, the body
    waits for the client's delayed ACK, some 40 ms)."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def server_config(app, host: str, port: int, **kwargs) -> 'uvicorn.Config':
    return uvicorn.Config(
        app, host=host, port=port, access_log=False, **kwargs)


@contextlib.contextmanager
def background_server(app,
                      host: str = '127.0.0.1',
                      timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` from a thread; yields the
    base URL (``http://127.0.0.1:PORT``) once the server accepts
    connections, and stops it on exit."""
    sock = loopback_socket(host)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        server_config(app, host, port, log_level='warning'))
    thread = threading.Thread(
        target=server.run, kwargs=dict(sockets=[sock]), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f'the server on {host}:{port} did not start')
        time.sleep(0.02)
    try:
        yield f'http://{host}:{port}' if ':' not in host else \
            f'http://[{host}]:{port}'
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def run_server(app, host: str = '127.0.0.1', port: int = 8000) -> None:
    """Serve ``app`` until interrupted, printing its address once it
    listens (port 0: a free port)."""
    sock = loopback_socket(host, port)
    bound = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, host, bound))
    shown = f'[{host}]' if ':' in host else host
    print(f'search page: http://{shown}:{bound}/', flush=True)
    server.run(sockets=[sock])
