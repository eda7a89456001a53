"""HTTP plumbing of the mock server: a threading HTTP/1.1 server and :class:`MockServer`.

One thread per connection (daemon threads), keep-alive with exact ``Content-Length``, event
streams sent with chunked transfer encoding, an idle timeout on every connection, a listen
backlog of 512. A body the app did not read is skipped when it is small, and otherwise the
connection is closed "lingering" (answer sent, then the rest of the upload read and dropped
for a bounded time) so that the client sees the answer instead of a reset. Per-request
failures are logged at DEBUG on the ``chatcontract.mock`` logger; header values (the API
key) are never logged. Every answer is JSON in the vendor's error format, also what
http.server itself refuses (a bad request line, an unknown method, TRACE and CONNECT,
headers or a URI too large), never its HTML error page.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .._security import is_loopback
from .._version import __version__
from ._apis import APIS
from ._app import MAX_BODY, Answer, App, ClientGone, declared_length
from ._upstream import Upstream

logger = logging.getLogger("chatcontract.mock")

DEFAULT_IDLE_TIMEOUT = 30.0
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 64 * MAX_BODY


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App, idle_timeout: float) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.idle_timeout = idle_timeout
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the host name up (socket.getfqdn), which can be slow.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("mock: connection from %s failed", client_address, exc_info=True)

    def track(self, connection: socket.socket, active: bool) -> None:
        with self._lock:
            if active:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def drop_connections(self) -> None:
        """Shut every open connection down so that its thread ends (idle keep-alive ones too)."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"chatcontract-mock/{__version__}"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        self.request.settimeout(self.server.idle_timeout)  # for every read and write
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            logger.debug("mock: could not flush the answer to %s", self.client_address, exc_info=True)
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("mock: %s " + format, self.client_address[0], *args)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = do_CONNECT = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (QUERY, BREW...) reaches the app too, which answers 405 on a known
        # path (404 elsewhere), instead of http.server's 501; the connection then closes, as
        # after any request http.server cannot be sure it read whole.
        if name.startswith("do_"):
            return self._dispatch_unknown_method
        raise AttributeError(name)

    def _dispatch_unknown_method(self) -> None:
        self._dispatch(close=True)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's refusals (bad request line, unknown method, headers too large...) as
        JSON in the vendor's error format, instead of its HTML page; the connection closes."""
        short = self.responses.get(code, ("Error", ""))[0]
        detail = f"{short}: {message}" if message and message != short else short
        target = getattr(self, "path", None)
        answer = self.server.app.protocol_error(code, detail, target if isinstance(target, str) else None)
        self.log_error("code %d, message %s", code, message)
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            # The request line was not understood: http.server would send the bare body
            # (HTTP/0.9 style); answer with a status line and headers, as HTTP/1.0.
            self.request_version = "HTTP/1.0"
        self.close_connection = True
        self._send(answer, close=True)

    def _dispatch(self, *, close: bool = False) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        consumed = False

        def read(length: int) -> bytes:
            nonlocal consumed
            consumed = True
            data = self.rfile.read(length)
            if len(data) < length:
                raise ClientGone(f"got {len(data)} of {length} body bytes")
            return data

        try:
            answer = self.server.app.answer(self.command, self.path, headers, read)
            length = 0 if consumed else declared_length(headers)
            linger = length is None or length > MAX_BODY
            self._send(answer, close=linger or close)
            if close:
                self.close_connection = True
            if linger:
                self._linger()
            elif length:
                read(length)
        except (ClientGone, OSError) as error:
            # The client went away, stalled past the idle timeout or reset the connection.
            logger.debug(
                "mock: %s %s from %s ended early: %r", self.command, self.path, self.client_address, error
            )
            self.close_connection = True

    def _send(self, answer: Answer, *, close: bool) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        if not answer.replay:
            self.send_header("x-request-id", uuid.uuid4().hex)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.frames is None:
            self.send_header("Content-Length", str(len(answer.body)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
            return
        chunked = self.request_version == "HTTP/1.1" and not close
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        first, interval = answer.pacing
        for index, frame in enumerate(answer.frames):
            pause = first if index == 0 else interval
            if pause:
                time.sleep(pause)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame) if chunked else frame)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _linger(self) -> None:
        """Close after the answer, first reading (and dropping) what the client still sends."""
        self.close_connection = True
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(0.2)
        deadline = time.monotonic() + LINGER_SECONDS
        dropped = 0
        while dropped < LINGER_MAX_BYTES and time.monotonic() < deadline:
            try:
                data = self.connection.recv(65536)
            except TimeoutError:
                continue
            if not data:
                break
            dropped += len(data)


class MockServer:
    """The mock server, running in a background thread; a context manager.

    >>> with MockServer() as server:
    ...     client = chatcontract.MiniMax(api_key="any", base_url=server.base_url("minimax"))

    ``port=0`` picks a free port; ``host`` must be a loopback address (the server accepts any
    API key). ``idle_timeout`` is how long an idle connection is kept open, in seconds.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        upstream: Upstream | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(
                f"refusing to listen on {host!r}: the mock server accepts any API key, so it only "
                "listens on loopback addresses (127.0.0.1, ::1, localhost)"
            )
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self.upstream = upstream or Upstream()  # latency, rate limits, failures: off unless given
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MockServer:
        """Bind and serve in a daemon thread (no-op when running); returns ``self``."""
        if self._server is None:
            server = _HTTPServer((self.host, self.port), App(upstream=self.upstream), self.idle_timeout)
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="chatcontract-mock",
                daemon=True,
            )
            self._server = server
            self._thread.start()
            logger.debug("mock: serving on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket and open connections (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if thread is not None:
            thread.join(timeout=5)

    close = stop

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError("the mock server is not running: call start() or use it as a context manager")
        host, port = self._server.server_name, self._server.server_port
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def base_url(self, api: str) -> str:
        """The ``base_url`` for a client of ``api`` (an id of ``chatcontract._generated.APIS``)."""
        if api not in APIS:
            raise ValueError(f"unknown api {api!r}; the mock serves {', '.join(map(repr, APIS))}")
        return f"{self.url}/{api}"

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"MockServer({where})"
