"""Size limits and deadlines: what one call may cost in memory and time. No I/O.

The sync and async clients share all of it; they only do the reading.

* ``max_response_bytes`` bounds a whole reply, counted on decoded bytes, so a compression bomb
  stops after the limit, not after inflating; a declared ``Content-Length`` over it is refused
  before reading.
* ``max_event_bytes`` bounds one event of a stream (a line that never ends grows no buffer past it).
* ``deadline`` bounds a whole call, retries and their waits included: each attempt's timeouts
  are capped at the time left, the body is read piece by piece with the clock checked between
  pieces, and no retry starts (or waits) past it. ``stream_deadline`` does the same for a stream,
  up to its last chunk; ``stream_idle_timeout`` is the longest wait for the next piece of a
  stream once its headers came (the first-byte wait stays the read timeout).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from ._decoding import encoding_of
from ._exceptions import APITimeoutError, InvalidArgumentError, ResponseTooLargeError
from ._generated._protocol import NotGiven

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024
DEFAULT_DEADLINE = 900.0  # longer than the 600 s read timeout: it bounds drips, not slow answers

_UNLIMITED = 1 << 62  # stands in for "no limit" where a plain comparison is cheaper than a None test


def _check(name: str, value: Any, *, integer: bool = False) -> None:
    if value is None:
        return
    kind_ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not kind_ok or value <= 0:
        raise InvalidArgumentError(
            f"{name} must be a positive {'integer' if integer else 'number'} or None, got {value!r}"
        )


@dataclass(frozen=True)
class Limits:
    """A client's limits; ``None`` turns one off."""

    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES
    deadline: float | None = DEFAULT_DEADLINE
    stream_deadline: float | None = None
    stream_idle_timeout: float | None = None

    def __post_init__(self) -> None:
        _check("max_response_bytes", self.max_response_bytes, integer=True)
        _check("max_event_bytes", self.max_event_bytes, integer=True)
        for name in ("deadline", "stream_deadline", "stream_idle_timeout"):
            _check(name, getattr(self, name))

    def for_call(
        self, *, stream: bool, max_response_bytes: int | NotGiven | None, deadline: float | NotGiven | None
    ) -> CallLimits:
        """This call's limits: its own arguments, else the client's."""
        if not isinstance(max_response_bytes, NotGiven):
            _check("max_response_bytes", max_response_bytes, integer=True)
        if not isinstance(deadline, NotGiven):
            _check("deadline", deadline)
        size = self.max_response_bytes if isinstance(max_response_bytes, NotGiven) else max_response_bytes
        seconds = (
            (self.stream_deadline if stream else self.deadline)
            if isinstance(deadline, NotGiven)
            else deadline
        )
        return CallLimits(
            max_response_bytes=size,
            max_event_bytes=self.max_event_bytes,
            seconds=seconds,
            ends=None if seconds is None else time.monotonic() + seconds,
            idle=self.stream_idle_timeout if stream else None,
        )


class CallLimits:
    """One call's limits (a plain class: one is made per call, and a frozen dataclass costs more)."""

    __slots__ = ("ends", "idle", "max_event_bytes", "max_response_bytes", "seconds")

    def __init__(
        self,
        max_response_bytes: int | None,
        max_event_bytes: int | None,
        seconds: float | None,  # the deadline as given, for messages
        ends: float | None,  # time.monotonic() when the deadline passes
        idle: float | None,
    ) -> None:
        self.max_response_bytes = max_response_bytes
        self.max_event_bytes = max_event_bytes
        self.seconds = seconds
        self.ends = ends
        self.idle = idle

    def left(self) -> float | None:
        return None if self.ends is None else self.ends - time.monotonic()

    def passed(self, request: httpx.Request) -> APITimeoutError:
        return APITimeoutError(
            f"Request timed out: the call's deadline of {self.seconds:g} s passed "
            "(pass deadline=... to the client or the call to allow more)",
            request=request,
        )

    def capped(self, timeout: Any, client_timeout: httpx.Timeout) -> Any:
        """``timeout`` (a request's, or the client's default) with no part longer than the time left."""
        if self.ends is None:
            return timeout
        left = max(self.ends - time.monotonic(), 0.001)
        base = client_timeout if timeout is httpx.USE_CLIENT_DEFAULT else httpx.Timeout(timeout)
        parts = (base.connect, base.read, base.write, base.pool)
        if None not in parts and max(parts) <= left:  # type: ignore[type-var, operator]
            return timeout  # the common case: the deadline is further off than any timeout
        capped = [left if part is None or part > left else part for part in parts]
        return httpx.Timeout(connect=capped[0], read=capped[1], write=capped[2], pool=capped[3])

    def stream_started(self, request: httpx.Request) -> None:
        """Headers came: the body's reads wait at most the idle timeout (and the time left).

        The transport (httpcore) reads the request's ``timeout`` extension when the body's
        first read starts, so setting it here bounds every read of the stream.
        """
        read = self.idle
        left = self.left()
        if left is not None:
            read = max(left, 0.001) if read is None else min(read, max(left, 0.001))
        if read is not None:
            timeouts = dict(request.extensions.get("timeout") or {})
            timeouts["read"] = read
            request.extensions["timeout"] = timeouts

    def event_limit(self) -> int:
        return _UNLIMITED if self.max_event_bytes is None else self.max_event_bytes

    def check_declared(self, response: httpx.Response) -> None:
        """Refuse, before reading, a body whose declared length already passes the limit."""
        limit = self.max_response_bytes
        if limit is None:
            return
        declared = response.headers.get("content-length")
        if declared is None or not declared.isdigit() or int(declared) <= limit:
            return
        if encoding_of(response) == "identity":  # a declared length of encoded bytes says little
            raise ResponseTooLargeError(
                response=response, limit="max_response_bytes", limit_bytes=limit, body=b""
            )

    def add(self, response: httpx.Response, pieces: list[bytes], size: int, piece: bytes) -> int:
        """Count one decoded piece of a whole reply; raise when a limit passes. The new size."""
        size += len(piece)
        limit = self.max_response_bytes
        if limit is not None and size > limit:
            raise ResponseTooLargeError(
                response=response,
                limit="max_response_bytes",
                limit_bytes=limit,
                body=_prefix([*pieces, piece]),
            )
        pieces.append(piece)
        if self.ends is not None and time.monotonic() > self.ends:
            raise self.passed(response.request)
        return size


NO_LIMITS = CallLimits(None, None, None, None, None)


def _prefix(pieces: list[bytes]) -> bytes:
    """The first ``BODY_PREFIX`` bytes of ``pieces``, without joining them all."""
    out, size = [], 0
    for piece in pieces:
        out.append(piece[: ResponseTooLargeError.BODY_PREFIX - size])
        size += len(out[-1])
        if size >= ResponseTooLargeError.BODY_PREFIX:
            break
    return b"".join(out)


def keep_body(response: httpx.Response, pieces: list[bytes]) -> None:
    """Give a response the body read piece by piece, as ``response.read()`` would have."""
    response._content = b"".join(pieces)  # what httpx's own read() sets
