"""A tiny TeXML application over real HTTP, for end-to-end tests.

`TestApp` is a `ThreadingHTTPServer` on 127.0.0.1 with an ephemeral port. It serves documents
from a table of routes and records every request it gets (method, path, query and form
parameters, headers, body), so a test can play a whole call against it and then check what
the interpreter asked for.

```python
app = TestApp().start()
app.route("/voice", "<Response><Say>Hi</Say></Response>")
app.route("/next", lambda params: f"<Response><Say>{params['Digits']}</Say></Response>")
app.route("/broken", "oops", status=500)
app.route("/slow", "<Response/>", delay=2.0)           # a reply later than the client waits
app.route("/json", '{"a": 1}', content_type="application/json")
app.url("/voice")                                       # http://127.0.0.1:PORT/voice
app.requests_to("/next")[0].params["Digits"]
app.stop()
```

A route's body may be text, bytes, or a callable taking the request's parameters (query and
form merged) and returning text or bytes, or a `(status, content_type, body)` tuple that
overrides the route's own. A route not in the table answers 404 (and is recorded too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Body = str | bytes | Callable[[dict[str, str]], Any]


@dataclass(frozen=True)
class Route:
    status: int = 200
    content_type: str | None = "text/xml"
    body: Body = b""
    delay: float = 0.0  # seconds before the reply starts


@dataclass(frozen=True)
class Request:
    """One request the application received."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together (the form wins)."""
        return {**self.query, **self.form}


def _single(values: Mapping[str, list[str]]) -> dict[str, str]:
    return {key: items[-1] for key, items in values.items()}


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping never holds up the test run
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128  # socketserver's 5 resets connections when many arrive at once


class TestApp:
    """Routes in, requests recorded. Thread-safe: handlers run on the server's threads."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()  # wakes slow handlers when the app stops
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life --------------------------------------------------------------------------------

    def start(self) -> TestApp:
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: nothing left open

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet: the tests look at `app.requests`

            def do_GET(self) -> None:
                app._serve(self)

            def do_POST(self) -> None:
                app._serve(self)

            def do_PUT(self) -> None:
                app._serve(self)

            def do_DELETE(self) -> None:
                app._serve(self)

            def do_PATCH(self) -> None:
                app._serve(self)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
            name=f"test-app-{self.port}", daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the app first"
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    # --- routes and what came in -------------------------------------------------------------

    def route(self, path: str, body: Body = b"", *, status: int = 200,
              content_type: str | None = "text/xml", delay: float = 0.0) -> str:  # fmt: skip
        """Serve `body` at `path` (any method); returns the route's full URL."""
        with self._lock:
            self.routes[path] = Route(status, content_type, body, delay)
        return self.url(path)

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def paths(self) -> list[str]:
        """Every path requested, in order."""
        with self._lock:
            return [r.path for r in self.requests]

    # --- the handler -------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        form: dict[str, str] = {}
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = _single(parse_qs(raw.decode("utf-8"), keep_blank_values=True))
        request = Request(
            method=handler.command, path=split.path,
            query=_single(parse_qs(split.query, keep_blank_values=True)),
            form=form, headers=headers, body=raw,
        )  # fmt: skip
        with self._lock:
            self.requests.append(request)
            route = self.routes.get(split.path)
        if route is None:
            route = Route(404, "text/plain", b"no such route")
        if route.delay and self._closing.wait(route.delay):
            return  # the app is stopping: drop the reply
        status, content_type, body = route.status, route.content_type, route.body
        if callable(body):
            body = body(request.params)
            if isinstance(body, tuple):
                status, content_type, body = body
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        try:
            handler.send_response(status)
            if content_type is not None:
                handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (a body over its limit): nothing to do


__all__ = ["Request", "Route", "TestApp"]
