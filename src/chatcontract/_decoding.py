"""Content-Encoding undone in bounded pieces, so that a compression bomb cannot inflate at once.

httpx inflates each network piece whole: 64 KiB of gzip'd zeros become 64 MiB in one call,
whatever limit the caller counts against. ``pieces`` inflates gzip and deflate (the encodings
the standard library knows) ``PIECE`` bytes at a time from the raw body; any other encoding is
left to httpx's own decoders.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

PIECE = 256 * 1024

_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


def encoding_of(response: httpx.Response) -> str:
    return response.headers.get("content-encoding", "identity").strip().lower() or "identity"


def bounded(response: httpx.Response) -> bool:
    """Whether ``pieces`` undoes this response's encoding itself (gzip or deflate)."""
    return encoding_of(response) in _WBITS


class _Inflater:
    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._wbits = _WBITS[encoding]
        self._inflate = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._inflate.decompress(data, PIECE)
            except zlib.error as error:
                if self._encoding == "deflate" and not self._started:  # a raw deflate stream, as httpx allows
                    self._wbits = -zlib.MAX_WBITS
                    self._inflate = zlib.decompressobj(self._wbits)
                    self._started = True
                    continue
                raise httpx.DecodingError(f"the body does not inflate as {self._encoding}: {error}") from None
            self._started = True
            data = self._inflate.unconsumed_tail
            if out:
                yield out

    def flush(self) -> bytes:
        try:
            return self._inflate.flush()
        except zlib.error as error:
            raise httpx.DecodingError(f"the body does not inflate as {self._encoding}: {error}") from None


def pieces(response: httpx.Response) -> Iterator[bytes]:
    """The decoded body, at most ``PIECE`` bytes per piece where the encoding allows."""
    if not bounded(response):
        yield from response.iter_bytes()
        return
    inflater = _Inflater(encoding_of(response))
    for raw in response.iter_raw():
        yield from inflater.feed(raw)
    tail = inflater.flush()
    if tail:
        yield tail


async def apieces(response: httpx.Response) -> AsyncIterator[bytes]:
    """``pieces`` for an async response."""
    if not bounded(response):
        async for piece in response.aiter_bytes():
            yield piece
        return
    inflater = _Inflater(encoding_of(response))
    async for raw in response.aiter_raw():
        for piece in inflater.feed(raw):
            yield piece
    tail = inflater.flush()
    if tail:
        yield tail
