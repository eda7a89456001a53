"""Separate a reply's reasoning from its answer; the reply itself is never changed.

MiniMax models put their reasoning in ``content`` as ``<think>...</think>``; with
``reasoning_split`` (``extra_body={"reasoning_split": True}``) MiniMax sends it apart, in
``reasoning_details`` (items with a ``text``) or ``reasoning_content``. Both are read:

    >>> split_reasoning("<think>greet back</think>\\n\\nHello!")
    Reasoning(reasoning='greet back', answer='Hello!')

A closing ``</think>`` with no opening tag (the opening one was part of the prompt) ends
reasoning that began with the content. For a stream, ``ThinkSplitter`` takes each delta (the
delta object, or its content string) as it comes, with tags split across chunks, and hands
back the new reasoning and answer text of each. In a stream, text before such a lone closing
tag that an earlier delta already handed out as answer stays answer; the tag itself is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPEN, CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class Reasoning:
    reasoning: str
    answer: str


def _message(source: Any) -> Any:
    """A string or a message (or delta) as it is; a reply as its first choice's message."""
    choices = getattr(source, "choices", None)
    if choices is not None and not isinstance(source, str):
        return getattr(choices[0], "message", None) if choices else None
    return source


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _field(source: Any, name: str) -> Any:
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name, None)


def split_reasoning(source: Any) -> Reasoning:
    """Reasoning and answer of a reply, a message or a content string."""
    splitter = ThinkSplitter()
    first = splitter.feed(_message(source))
    last = splitter.flush()
    return Reasoning(first.reasoning + last.reasoning, (first.answer + last.answer).lstrip("\n"))


class ThinkSplitter:
    """Incremental reasoning/answer splitting for the deltas of a stream."""

    def __init__(self) -> None:
        self._inside = False
        self._tagged = False  # a <think> or </think> came already
        self._held = ""  # the tail that may be the start of a tag
        self._answer_started = False
        self._details: dict[Any, str] = {}  # reasoning_details text so far, per item

    def feed(self, delta: Any) -> Reasoning:
        """New reasoning and answer text of one delta: a delta or message object, or its content."""
        if delta is None or isinstance(delta, str):
            return self._content(delta)
        apart = _text(_field(delta, "reasoning_content")) + self._detail_texts(
            _field(delta, "reasoning_details")
        )
        inline = self._content(_text(_field(delta, "content")))
        return Reasoning(apart + inline.reasoning, inline.answer)

    def _detail_texts(self, details: Any) -> str:
        """New text of ``reasoning_details`` items; an item that repeats its text so far adds the rest."""
        if not isinstance(details, list):
            return ""
        new: list[str] = []
        for position, item in enumerate(details):
            text = _text(_field(item, "text"))
            if not text:
                continue
            key = (_field(item, "index"), _field(item, "id")) if _field(item, "id") is not None else position
            before = self._details.get(key, "")
            if before and text.startswith(before):  # the vendor's own example treats it as cumulative
                new.append(text[len(before) :])
                self._details[key] = text
            else:
                new.append(text)
                self._details[key] = before + text
        return "".join(new)

    def _content(self, delta: str | None) -> Reasoning:
        text = self._held + (delta or "")
        self._held = ""
        reasoning: list[str] = []
        answer: list[str] = []
        while text:
            tag = CLOSE if self._inside else OPEN
            at = text.find(tag)
            if not self._tagged and not self._inside:
                close = text.find(CLOSE)
                if close >= 0 and (at < 0 or close < at):  # reasoning whose <think> was not sent
                    # Only the first pass of the loop gets here (any tag ends it), so no answer text of
                    # this delta came before: what counts is an answer handed out by an earlier delta.
                    (answer if self._answer_started else reasoning).append(text[:close])
                    text = text[close + len(CLOSE) :]
                    self._tagged = True
                    continue
            if at >= 0:
                (reasoning if self._inside else answer).append(text[:at])
                text = text[at + len(tag) :]
                self._inside = not self._inside
                self._tagged = True
                continue
            keep = _partial_tag_suffix(text, tag)
            if not self._tagged:
                keep = max(keep, _partial_tag_suffix(text, CLOSE))
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
