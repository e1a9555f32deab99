"""A plain web server that is not a model server: every request gets a 404 HTML page.

What a user reaches when ``LM_STUDIO_URL`` points at the wrong thing (another app's port, a web
server, a router's admin page). Stdlib only, on 127.0.0.1, served from a daemon thread, so a test
can run it beside an app in another process and later put a real (fake) model server on its port.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from types import TracebackType
from typing import Any

PAGE = (
    b"<!doctype html><html><head><title>404 Not Found</title></head><body>"
    b"<h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: nothing stays pooled

    def _page(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    do_GET = do_POST = do_PUT = do_DELETE = _page

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebPageServer:
    """``with WebPageServer(port=0) as server: server.url`` — 404 HTML on every path."""

    def __init__(self, port: int = 0) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: Thread | None = None

    def start(self) -> WebPageServer:
        self._thread = Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> WebPageServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
