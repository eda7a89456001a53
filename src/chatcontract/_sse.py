"""Incremental server-sent-events decoding (the WHATWG event-stream format). No I/O.

Bytes arrive in arbitrary pieces: a multi-byte UTF-8 character or a CRLF pair may be split
between two pieces, so both are carried over. Lines end in LF, CRLF or CR; lines starting with
``:`` are comments (keep-alives); several ``data:`` lines join with ``\\n``; a blank line ends
an event. Only LF/CR count as line ends (not the other separators ``str.splitlines`` knows,
which may appear raw inside JSON strings).
"""

from __future__ import annotations

import codecs
import contextlib
import re
from typing import NamedTuple

_EOL = re.compile(r"[\r\n]")


class ServerSentEvent(NamedTuple):  # a tuple: cheap to make, once per chunk of a stream
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the events completed so far."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._pending = ""
        self._parts: list[str] = []  # pieces of the unfinished line that follow _pending
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Events completed by ``chunk``. Raises UnicodeDecodeError on invalid UTF-8."""
        piece = self._utf8.decode(chunk)
        if (
            piece.endswith("\n\n")
            and piece.startswith("data: ")
            and piece.count("\n") == 2
            and not (self._pending or self._parts or self._data or self._event)
            and "\r" not in piece
        ):  # the common case: a network piece that is exactly one one-line event
            return [ServerSentEvent(piece[6:-2], "message", self._id, self._retry)]
        if "\n" not in piece and "\r" not in piece and not self._pending.endswith("\r"):
            # No line ends in this piece: set it aside. Joining the unfinished line anew for
            # every piece is quadratic when a long line comes in many small network pieces.
            self._parts.append(piece)
            return []
        if self._parts:
            text = self._pending + "".join(self._parts) + piece
            self._parts = []
        else:
            text = self._pending + piece if self._pending else piece
        if "\r" not in text:  # the common case: LF only
            *lines, self._pending = text.split("\n")
        else:
            lines, self._pending = self._split(text)
        events = []
        data = self._data
        for line in lines:  # the hot path, once per chunk of a reply: "data: {...}" then ""
            if line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif line:
                self._line(line)
            elif data:
                events.append(self._dispatch())
            else:
                self._event = ""
        return events

    def flush(self) -> list[ServerSentEvent]:
        """At the end of the stream: the last event, even if its blank line never came."""
        text = self._pending + "".join(self._parts) + self._utf8.decode(b"", final=True)
        self._pending = ""
        self._parts = []
        lines = text.split("\n") if "\r" not in text else self._split(text + "\n")[0]
        events = [e for e in (self._line(line) for line in [*lines, ""]) if e is not None]
        return events

    @staticmethod
    def _split(text: str) -> tuple[list[str], str]:
        lines = []
        start = 0
        while match := _EOL.search(text, start):
            end = match.start()
            if text[end] == "\r":
                if end + 1 == len(text):
                    break  # maybe the first half of CRLF: wait for the next piece
                after = end + 2 if text[end + 1] == "\n" else end + 1
            else:
                after = end + 1
            lines.append(text[start:end])
            start = after
        return lines, text[start:]

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            if self._data:
                return self._dispatch()
            self._event = ""
            return None
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            # ASCII digits only: str.isdigit() also accepts "²" or "١", which int() rejects.
            with contextlib.suppress(ValueError):  # more digits than int() converts: ignored
                self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent:
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = ServerSentEvent(data, self._event or "message", self._id, self._retry)
        self._data.clear()
        self._event = ""
        return event
