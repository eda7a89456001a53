"""Separate the ``<think>...</think>`` reasoning that MiniMax models put inline in ``content``.

The raw content is never changed: these helpers only read it.

    >>> split_reasoning("<think>greet back</think>\\n\\nHello!")
    Reasoning(reasoning='greet back', answer='Hello!')

For a stream, ``ThinkSplitter`` takes content deltas as they come (tags may be split across
chunks) and hands back the new reasoning and answer text of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPEN, CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class Reasoning:
    reasoning: str
    answer: str


def _content(source: Any) -> str:
    """Content of a string, a message, or the first choice of a reply."""
    if source is None or isinstance(source, str):
        return source or ""
    choices = getattr(source, "choices", None)
    if choices is not None:
        source = getattr(choices[0], "message", None) if choices else None
    content = getattr(source, "content", None)
    return content if isinstance(content, str) else ""


def split_reasoning(source: Any) -> Reasoning:
    """Reasoning and answer of a reply, a message or a content string."""
    splitter = ThinkSplitter()
    first = splitter.feed(_content(source))
    last = splitter.flush()
    return Reasoning(first.reasoning + last.reasoning, (first.answer + last.answer).lstrip("\n"))


class ThinkSplitter:
    """Incremental ``<think>`` splitting for streamed content deltas."""

    def __init__(self) -> None:
        self._inside = False
        self._held = ""  # the tail that may be the start of a tag
        self._answer_started = False

    def feed(self, delta: str | None) -> Reasoning:
        """New reasoning and answer text of one content delta."""
        text = self._held + (delta or "")
        self._held = ""
        reasoning: list[str] = []
        answer: list[str] = []
        while text:
            tag = CLOSE if self._inside else OPEN
            at = text.find(tag)
            if at >= 0:
                (reasoning if self._inside else answer).append(text[:at])
                text = text[at + len(tag) :]
                self._inside = not self._inside
                continue
            keep = _partial_tag_suffix(text, tag)
            (reasoning if self._inside else answer).append(text[: len(text) - keep])
            self._held = text[len(text) - keep :]
            break
        return Reasoning("".join(reasoning), self._answer("".join(answer)))

    def flush(self) -> Reasoning:
        """Whatever was held back at the end of the stream (an unfinished tag is just text)."""
        held, self._held = self._held, ""
        return Reasoning(held, "") if self._inside else Reasoning("", self._answer(held))

    def _answer(self, text: str) -> str:
        # The blank lines between </think> and the answer are layout, not answer.
        if not self._answer_started:
            text = text.lstrip("\n")
            self._answer_started = bool(text)
        return text


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0
