"""Incremental server-sent-events decoding (the WHATWG event-stream format). No I/O.

Bytes arrive in arbitrary pieces: a multi-byte UTF-8 character or a CRLF pair may be split
between two pieces, so both are carried over. Lines end in LF, CRLF or CR; lines starting with
``:`` are comments (keep-alives); several ``data:`` lines join with ``\\n``; a blank line ends
an event; a byte-order mark at the very start is skipped. Only LF/CR count as line ends (not
the other separators ``str.splitlines`` knows, which may appear raw inside JSON strings).

Every piece is cut into lines by one splitter, ``_lines``, and every line goes through one
parser, ``_take`` (``lone_data`` only recognises a piece that is one whole one-line event).
``data_only=True`` hands out each event's data as a plain string instead of a
``ServerSentEvent`` (what a chat stream needs, and cheaper).
"""

from __future__ import annotations

import codecs
import contextlib
import re
from typing import Any, NamedTuple

_EOL = re.compile(r"[\r\n]")
_BOM = "\ufeff"


class ServerSentEvent(NamedTuple):  # a tuple: cheap to make, once per chunk of a stream
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the events completed so far."""

    def __init__(self, *, data_only: bool = False) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")  # pragma: no mutate
        self._data_only = data_only
        self._started = False  # whether any text came yet (a BOM may open the stream)  # pragma: no mutate
        # Nothing carried over (no partial line, event or UTF-8 character) and past the start:
        # a piece that is exactly b"data: <one line>\n\n" is then one event, its data the middle.
        self.clean = False  # pragma: no mutate
        self._pending = ""
        self._parts: list[str] = []  # pieces of the unfinished line that follow _pending
        self._data: list[str] = []
        self._event = ""  # pragma: no mutate
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[Any]:
        """Events completed by ``chunk``. Raises UnicodeDecodeError on invalid UTF-8."""
        lone = self.lone_data(chunk)  # pragma: no mutate
        if lone is not None:  # the common case: a network piece that is exactly one event
            data = lone.decode("utf-8")  # pragma: no mutate
            return [data if self._data_only else ServerSentEvent(data, "message", self._id, self._retry)]
        piece = self._utf8.decode(chunk)
        if not self._started and piece:
            self._started = True
            piece = piece.removeprefix(_BOM)
        if "\n" not in piece and "\r" not in piece and not self._pending.endswith("\r"):
            # No line ends in this piece: set it aside. Joining the unfinished line anew for
            # every piece is quadratic when a long line comes in many small network pieces.
            if piece:
                self._parts.append(piece)
                self.clean = False  # pragma: no mutate
            return []
        if self._parts:
            text = self._pending + "".join(self._parts) + piece
            self._parts = []
        else:
            text = self._pending + piece if self._pending else piece  # pragma: no mutate
        lines, self._pending = self._lines(text)
        events = self._take(lines)
        self.clean = not (self._pending or self._data or self._event or self._utf8.getstate()[0])
        return events

    def lone_data(self, chunk: bytes) -> bytes | None:
        """The data of ``chunk`` when it is exactly one one-line event, ``data: <line>\\n\\n``,
        and nothing is carried over (``clean``); else None, and ``feed`` must parse it."""
        if (
            self.clean
            and chunk[:6] == b"data: "
            and chunk[-2:] == b"\n\n"
            and chunk.find(b"\n") == len(chunk) - 2
            and b"\r" not in chunk
        ):
            return chunk[6:-2]
        return None

    def flush(self) -> list[Any]:
        """At the end of the stream: the last event, even if its blank line never came."""
        # The final decode adds nothing (an unfinished character raises), so a BOM, if any,
        # came through feed() and went there.
        text = self._pending + "".join(self._parts) + self._utf8.decode(b"", final=True)
        self._pending = ""
        self._parts = []
        lines, _ = self._lines(text + "\n")  # the last line ends with the stream
        return self._take([*lines, ""])

    @staticmethod
    def _lines(text: str) -> tuple[list[str], str]:
        """The complete lines of ``text`` and what follows the last line end (kept for the
        next piece). A CR at the very end may be the first half of a CRLF: it waits too."""
        if "\r" not in text:  # the common case: LF only
            *lines, rest = text.split("\n")
            return lines, rest
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

    def _take(self, lines: list[str]) -> list[Any]:
        """The one line parser: the events that ``lines`` complete."""
        events: list[Any] = []
        data = self._data
        for line in lines:  # the hot path, once per chunk of a reply: "data: {...}" then ""
            if line.startswith("data:"):  # pragma: no mutate
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif not line:
                if data:
                    text = data[0] if len(data) == 1 else "\n".join(data)  # pragma: no mutate
                    if self._data_only:
                        events.append(text)
                    else:
                        events.append(ServerSentEvent(text, self._event or "message", self._id, self._retry))
                    data.clear()
                self._event = ""  # pragma: no mutate
            elif not line.startswith(":"):  # pragma: no mutate
                self._field(line)
        return events

    def _field(self, line: str) -> None:
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":  # "data" with no colon: an empty data line
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            # ASCII digits only: str.isdigit() also accepts "²" or "١", which int() rejects.
            with contextlib.suppress(ValueError):  # more digits than int() converts: ignored
                self._retry = int(value)
