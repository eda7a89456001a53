"""Streamed replies: ``Stream`` and ``AsyncStream`` over one shared, I/O-free ``ChunkDecoder``.

Both hand every chunk to an ``Accumulator`` as it goes by, so ``get_final_completion()`` can
return the whole reply after (or instead of) reading the chunks.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
import pydantic

from ._accumulate import Accumulator
from ._decoding import apieces, encoding_of, pieces
from ._error_mapping import signals_of, success_failed
from ._exceptions import APIError, APIResponseValidationError, ResponseTooLargeError, from_transport_error
from ._generated._protocol import Endpoint
from ._limits import NO_LIMITS, CallLimits
from ._response import parse_body
from ._sse import SSEDecoder

ChunkT = TypeVar("ChunkT")


class ChunkDecoder:
    """Bytes of an event stream in, typed chunks out; errors in the stream become typed errors."""

    def __init__(
        self,
        endpoint: Endpoint[Any],
        response: httpx.Response,
        *,
        strict: bool,
        whole: bool = False,
        limits: CallLimits = NO_LIMITS,
    ) -> None:
        self._endpoint = endpoint
        self.limits = limits
        self.ends = limits.ends  # the stream's deadline (time.monotonic), checked per network piece
        self._event_limit = limits.event_limit()
        self._unfinished = 0  # bytes fed since the last event ended (an upper bound)
        self._size = 0  # bytes of a whole reply read so far
        # ``whole``: a stream was asked for and one whole JSON reply came; it is the one chunk.
        self._whole: list[bytes] | None = [] if whole else None
        self.response_model = endpoint.response_model
        self._response = response
        self._sse = SSEDecoder(data_only=True)
        self._strict = strict
        signals = signals_of(endpoint)
        self._signals = signals
        # The error object's key: a chunk that parses with it among its unknown fields may be
        # an error frame. (When the chunk model declares that key, only the general path runs.)
        self._error_key = signals.marker.strip('"')  # pragma: no mutate
        self._quick = not (strict or whole) and self._error_key not in endpoint.chunk_model.model_fields
        # The member that holds the success code (MiniMax "base_resp"), absent from most chunks.
        self._success = signals.success_path[0] if signals.success_path else None
        # The validator itself, not model_validate_json's Python wrapper (a deferred build
        # happens here, on first use, as it would inside the wrapper).
        self._validate = endpoint.chunk_model.__pydantic_validator__.validate_json
        self.done = False
        # An error found in a frame waits here until the chunks decoded before it are out.
        self.error: Exception | None = None
        self.decoded = 0  # chunks decoded so far

    def quick(self, data: bytes) -> Any:
        """The chunk of a network piece that is one plain chunk event, or None (then ``feed``).

        The hot path, once per chunk: a piece that is exactly one event
        (``SSEDecoder.lone_data``), whose data parses as a chunk that reads
        a documented field (more fields set than unknown ones), has no error object and no
        success code. One pydantic pass over the bytes; anything else returns None untouched.
        """
        payload = self._sse.lone_data(data) if self._quick and len(data) <= self._event_limit else None
        if payload is not None:
            try:
                chunk = self._validate(payload)
            except pydantic.ValidationError:
                return None
            if self._ordinary(chunk):
                self.decoded += 1
                return chunk
        return None

    def _ordinary(self, chunk: Any) -> bool:
        """Whether a parsed chunk is a plain one: it reads a documented field (more fields set
        than unknown ones), has no error object among its unknown fields, and no success code
        that says failure. Else the general path (``parse_body``) decides what it is."""
        extra = chunk.__pydantic_extra__
        if extra:
            if len(chunk.__pydantic_fields_set__) <= len(extra) or self._error_key in extra:
                return False
        elif not chunk.__pydantic_fields_set__:
            return False
        success = self._success
        if success is None or chunk.__dict__.get(success) is None:
            return True
        return not success_failed(self._signals, chunk)

    def feed(self, data: bytes) -> list[Any]:
        """The chunks that ``data`` completes (after ``quick`` said None, or instead of it)."""
        if self._whole is not None:
            self._whole_piece(data)
            return []
        if len(data) > self._event_limit:  # decoded text of this size at once: in slices
            step = self._event_limit
            return [c for start in range(0, len(data), step) for c in self.feed(data[start : start + step])]
        try:
            events = self._sse.feed(data)
        except UnicodeDecodeError as error:
            raise self._invalid(f"the stream is not valid UTF-8 ({error.reason})", data) from None
        if events:
            self._unfinished = 0
            return self._chunks(events)
        self._unfinished += len(data)
        if self._unfinished > self._event_limit:
            raise ResponseTooLargeError(
                response=self._response,
                limit="max_event_bytes",
                limit_bytes=self._event_limit,
                body=data[: ResponseTooLargeError.BODY_PREFIX],
            )
        return events

    def _whole_piece(self, data: bytes) -> None:
        """A piece of a whole JSON reply to a stream request: kept, within max_response_bytes."""
        assert self._whole is not None
        self._size = self.limits.add(self._response, self._whole, self._size, data)

    def finish(self) -> list[Any]:
        if self._whole is not None:
            body, self._whole = b"".join(self._whole), []
            try:
                chunk = parse_body(self._endpoint, self._response, body, strict=self._strict, chunk=True)
            except APIError as error:
                self.error = error
                return []
            self.decoded += 1
            return [chunk]
        try:
            events = self._sse.flush()
        except UnicodeDecodeError as error:
            raise self._invalid(f"the stream ends inside a UTF-8 character ({error.reason})", b"") from None
        return self._chunks(events)

    def _chunks(self, events: list[str]) -> list[Any]:
        chunks = []
        for data in events:
            if data == "[DONE]":
                self.done = True
                break
            if self._quick:
                try:
                    chunk = self._validate(data)  # pragma: no mutate
                except pydantic.ValidationError:
                    pass
                else:
                    if self._ordinary(chunk):
                        chunks.append(chunk)
                        continue
            try:
                chunk = parse_body(self._endpoint, self._response, data, strict=self._strict, chunk=True)
            except APIError as error:
                self.error = error
                self.done = True
                break
            chunks.append(chunk)
        self.decoded += len(chunks)
        return chunks

    def ended(self) -> None:
        """At the end of the stream: the error it carried, or that it carried nothing at all."""
        if self.error is not None:
            raise self.error
        if not self.decoded:  # checked once, at the end: the hot path pays nothing for it
            status = self._response.status_code
            raise self._invalid(
                f"the stream ended without one chunk: HTTP {status} event stream with no data event "
                "to read (an empty body, comments or [DONE] only)",
                b"",
            )

    def _invalid(self, message: str, body: bytes) -> APIResponseValidationError:
        return APIResponseValidationError(message, response=self._response, body=body)


def undecodable(error: httpx.DecodingError, response: httpx.Response) -> APIResponseValidationError:
    # A body its Content-Encoding does not decode (say, "gzip" on plain bytes): httpx raises
    # DecodingError, a RequestError but not a TransportError, so it needs its own clause.
    encoding = response.headers.get("content-encoding", "")
    return APIResponseValidationError(
        f"the body does not decode as content-encoding {encoding!r}: {error}", response=response, body=b""
    )


def _identity(response: httpx.Response) -> bool:
    """Whether the body is sent as is (no Content-Encoding to undo)."""
    return encoding_of(response) == "identity"


def _body(response: httpx.Response) -> Iterator[bytes]:
    """The body's network pieces. Sent as is, straight from the transport's byte stream:
    ``iter_raw`` adds a generator, a chunker and a byte count per piece (measured against
    the benchmark's server: some 0.3 µs of a chunk's 13). Transport errors come as httpx
    errors either way; the caller closes the response. A body read already (a whole reply
    where a stream was asked for) is that one piece."""
    if response.is_stream_consumed:
        return iter((response.content,))
    if _identity(response) and isinstance(response.stream, httpx.SyncByteStream):
        return iter(response.stream)
    return pieces(response)


def _abody(response: httpx.Response) -> AsyncIterator[bytes]:
    """``_body`` for an async response."""
    if response.is_stream_consumed:
        return _one(response.content)
    if _identity(response) and isinstance(response.stream, httpx.AsyncByteStream):
        return response.stream.__aiter__()
    return apieces(response)


async def _one(piece: bytes) -> AsyncIterator[bytes]:
    yield piece


def _chunks(
    response: httpx.Response, decoder: ChunkDecoder, add: Callable[[Any], None]
) -> Generator[Any, None, None]:
    # A function, not a method: a generator holding the stream would make a reference cycle,
    # and the stream would wait for the cycle collector instead of closing when dropped.
    # ``add`` (the stream's accumulator) sees each chunk before the caller does.
    try:
        quick = decoder.quick
        ends = decoder.ends
        for data in _body(response):
            if ends is not None and time.monotonic() > ends:
                raise decoder.limits.passed(response.request)
            chunk = quick(data)  # pragma: no mutate
            if chunk is not None:
                add(chunk)
                yield chunk
                continue
            for chunk in decoder.feed(data):
                add(chunk)
                yield chunk
            if decoder.done:
                break
        else:
            for chunk in decoder.finish():
                add(chunk)
                yield chunk
        decoder.ended()
    except httpx.TransportError as error:
        raise from_transport_error(error, response.request, during=" while streaming") from None
    except httpx.DecodingError as error:
        raise undecodable(error, response) from None
    finally:
        response.close()


async def _achunks(
    response: httpx.Response, decoder: ChunkDecoder, add: Callable[[Any], None]
) -> AsyncGenerator[Any, None]:
    try:
        quick = decoder.quick
        ends = decoder.ends
        async for data in _abody(response):
            if ends is not None and time.monotonic() > ends:
                raise decoder.limits.passed(response.request)
            chunk = quick(data)  # pragma: no mutate
            if chunk is not None:
                add(chunk)
                yield chunk
                continue
            for chunk in decoder.feed(data):
                add(chunk)
                yield chunk
            if decoder.done:
                break
        else:
            for chunk in decoder.finish():
                add(chunk)
                yield chunk
        decoder.ended()
    except httpx.TransportError as error:
        raise from_transport_error(error, response.request, during=" while streaming") from None
    except httpx.DecodingError as error:
        raise undecodable(error, response) from None
    finally:
        await response.aclose()


class Stream(Generic[ChunkT]):
    """A streamed reply. Iterate it for chunks; it closes itself at the end, on ``break`` out
    of a ``with`` block, on an error, and as soon as it is dropped."""

    def __init__(self, response: httpx.Response, decoder: ChunkDecoder) -> None:
        self.response = response
        self._accumulator = Accumulator(decoder.response_model)  # pragma: no mutate
        self._iterator = _chunks(response, decoder, self._accumulator.add)
        self._handed_out = False

    def __iter__(self) -> Iterator[ChunkT]:
        # The generator itself, so that a for loop runs without a Python-level __next__ per
        # chunk. From here on the generator owns the response: its ``finally`` closes it when
        # it ends or is dropped, even if this stream was dropped first (a temporary in a loop).
        if not self._handed_out:
            self._handed_out = True
            # A generator dropped before its first chunk never runs its ``finally``.
            weakref.finalize(self._iterator, self.response.close)
        return self._iterator

    def __next__(self) -> ChunkT:
        chunk: ChunkT = self._iterator.__next__()
        return chunk

    def get_final_completion(self) -> Any:
        """The whole reply, as a non-streamed call returns it: reads what is left of the stream.

        Content and reasoning joined, tool calls put back together, the last ``finish_reason``
        and the last real ``usage`` (see ``chatcontract._accumulate``).
        """
        for _ in self:
            pass
        return self._accumulator.completion()

    def text_deltas(self) -> Iterator[str]:
        """The new text of each chunk (every choice's ``delta.content``), skipping empty ones."""
        for chunk in self:
            for choice in getattr(chunk, "choices", ()):  # pragma: no mutate
                text = choice.delta.content if choice.delta is not None else None
                if text:
                    yield text

    def close(self) -> None:
        self._iterator.close()
        self.response.close()  # also when iteration never started (the generator's finally won't run)

    def __del__(self) -> None:
        if not self._handed_out:  # else the generator closes it (see __iter__)
            self.response.close()

    def __enter__(self) -> Stream[ChunkT]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


_closing: set[Any] = set()  # asyncio tasks closing dropped streams


def _close_soon(response: httpx.Response) -> None:
    """Close an async response dropped unclosed: that needs the event loop, so hand it the job."""
    if response.is_closed:
        return
    import asyncio  # only reached from async code, where it is loaded already

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # no loop left to close on; the pool's own cleanup will have to do
    task = loop.create_task(response.aclose())
    _closing.add(task)  # the loop keeps only a weak reference to its tasks
    task.add_done_callback(_closing.discard)


class AsyncStream(Generic[ChunkT]):
    """The async twin of ``Stream``: ``async for`` its chunks, ``aclose()`` or ``async with``."""

    def __init__(self, response: httpx.Response, decoder: ChunkDecoder) -> None:
        self.response = response
        self._accumulator = Accumulator(decoder.response_model)  # pragma: no mutate
        self._iterator = _achunks(response, decoder, self._accumulator.add)
        self._handed_out = False

    def __aiter__(self) -> AsyncIterator[ChunkT]:
        if not self._handed_out:  # as in Stream.__iter__: the generator owns the response now
            self._handed_out = True
            weakref.finalize(self._iterator, _close_soon, self.response)
        return self._iterator

    async def __anext__(self) -> ChunkT:
        chunk: ChunkT = await self._iterator.__anext__()
        return chunk

    async def get_final_completion(self) -> Any:
        """The whole reply, as a non-streamed call returns it (``Stream.get_final_completion``)."""
        async for _ in self:
            pass
        return self._accumulator.completion()

    async def text_deltas(self) -> AsyncIterator[str]:
        """The new text of each chunk (every choice's ``delta.content``), skipping empty ones."""
        async for chunk in self:
            for choice in getattr(chunk, "choices", ()):  # pragma: no mutate
                text = choice.delta.content if choice.delta is not None else None
                if text:
                    yield text

    async def aclose(self) -> None:
        await self._iterator.aclose()
        await self.response.aclose()

    def __del__(self) -> None:
        # Dropped without aclose() (unless a loop holds the generator, which then closes the
        # response itself).
        if not self._handed_out:
            _close_soon(self.response)

    async def __aenter__(self) -> AsyncStream[ChunkT]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
