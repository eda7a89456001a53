"""A hostile HTTP server on 127.0.0.1 for the tests: each test says what it sends back.

``HostileServer(answer)`` accepts connections on a free port, reads one request (headers and
a Content-Length body) and hands the socket to ``answer(sock, stop)``, which writes whatever it
likes: a compression bomb, a drip, silence. ``stop`` is set when the server closes, so that a
drip ends with the test; every socket has a timeout, so no thread outlives the test by long.
"""

from __future__ import annotations

import socket
import threading
import zlib
from collections.abc import Callable
from functools import cache
from types import TracebackType

Answer = Callable[[socket.socket, threading.Event], None]
MIB = 1 << 20


def read_request(sock: socket.socket) -> None:
    """Read one request off ``sock``: its headers (at most 64 KiB) and a Content-Length body
    (at most 1 MiB); stop early if the client hangs up."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        piece = sock.recv(65536)
        if not piece:
            return
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < min(length, 1 << 20):
        piece = sock.recv(65536)
        if not piece:
            return
        body += piece


class HostileServer:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> HostileServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        try:
            read_request(sock)
            self._answer(sock, self.stop)
        except OSError:
            pass  # the client hung up: that is what a limit or a deadline does
        finally:
            sock.close()


def head(content_type: str, **headers: str) -> bytes:
    lines = [b"HTTP/1.1 200 OK", b"Content-Type: " + content_type.encode()]
    lines += [f"{name.replace('_', '-')}: {value}".encode() for name, value in headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def chunked(piece: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(piece), piece)


@cache
def gzip_bomb(size: int, fill: bytes = b"\0") -> bytes:
    """``size`` bytes of ``fill`` compressed with gzip (1 GiB of zeros: about 1 MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = fill * MIB
    out = [packer.compress(block) for _ in range(size // MIB)]
    out.append(packer.flush())
    return b"".join(out)


def send_bomb(content_type: str, size: int, fill: bytes = b"\0") -> Answer:
    """An answer: ``size`` bytes of ``fill`` as a gzip body, sent in 64 KiB HTTP chunks."""

    body = gzip_bomb(size, fill)  # made now, so that making it is not timed as the client's

    def answer(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(head(content_type, Content_Encoding="gzip", Transfer_Encoding="chunked"))
        for start in range(0, len(body), 65536):
            if stop.is_set():
                return
            sock.sendall(chunked(body[start : start + 65536]))
        sock.sendall(b"0\r\n\r\n")

    return answer


def drip(content_type: str, body: bytes, every: float) -> Answer:
    """An answer: ``body`` one byte per ``every`` seconds (chunked), until the test ends."""

    def answer(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(head(content_type, Transfer_Encoding="chunked"))
        for byte in body:
            if stop.wait(every):
                return
            sock.sendall(chunked(bytes([byte])))
        sock.sendall(b"0\r\n\r\n")

    return answer
