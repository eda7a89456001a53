"""From the chunks of a stream to the ``ChatCompletion`` a non-streamed call would have returned.

No I/O: ``Stream`` and ``AsyncStream`` feed every chunk they hand out to one ``Accumulator``,
and ``get_final_completion()`` builds the reply from it. ``accumulate()`` does the same over any
iterable of chunks. The rules, per choice (by ``index``; a missing index counts as 0):

* string fields of the deltas (``content``, ``reasoning_content``, any unknown one) are joined;
  ``role`` is the first non-empty one (MiniMax sends ``""``), ``assistant`` if none came;
* ``tool_calls`` deltas are put back together by their ``index``; a delta that repeats an index
  with a new non-empty ``id`` starts a new call (MiniMax M2.x sends parallel calls that way),
  and ``function.arguments`` pieces are joined;
* ``reasoning_details`` items (MiniMax ``reasoning_split``) are joined by their ``index``/``id``;
* a whole ``message`` in a chunk (MiniMax's closing ``chat.completion`` frame) is the final
  word on the fields it carries;
* ``finish_reason`` is the last one sent.

``usage`` is the last one that carries a real count: MiniMax puts ``{"total_tokens": 0}``
placeholders on every chunk. Other top-level fields (``base_resp``, the sensitivity flags, an
unknown field) keep the last value sent; ``id``, ``model`` and ``created`` the first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterable, Iterable
from typing import Any

import pydantic

from ._exceptions import InvalidArgumentError
from ._response import read_lenient

_FIRST_WINS = frozenset({"id", "model", "created"})
_NOT_COPIED = frozenset({"choices", "usage", "object"})
_COUNTS = ("total_tokens", "prompt_tokens", "completion_tokens")


def _plain(value: Any) -> Any:
    """A model as the JSON it was read from; anything else as it is."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", exclude_unset=True, by_alias=True)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _real_usage(usage: Any) -> bool:
    counts = getattr(usage, "__dict__", None) or {}
    for name in _COUNTS:
        count = counts.get(name)
        if isinstance(count, int) and count > 0:
            return True
    return False


_CONTENT_ONLY = frozenset({"content"})
# A choice that sets no more than these has no message to merge (finish_reason is checked apart).
_PLAIN_CHOICE = frozenset({"index", "delta", "finish_reason"})


class _Choice:
    __slots__ = ("calls", "calls_at", "content", "details", "finish_reason", "other", "role", "texts")

    def __init__(self) -> None:
        self.content: list[str] = []  # the common case, kept apart from the other texts
        self.texts: dict[str, list[str]] = {}
        self.role: str | None = None
        self.finish_reason: Any = None
        self.calls: list[dict[str, Any]] = []
        self.calls_at: dict[Any, dict[str, Any]] = {}
        self.details: dict[Any, dict[str, Any]] = {}
        self.other: dict[str, Any] = {}

    def add(self, name: str, value: Any) -> None:
        if isinstance(value, str):
            if name == "role":
                if value and self.role is None:
                    self.role = value
            elif value:
                (self.content if name == "content" else self.texts.setdefault(name, [])).append(value)
        elif name == "tool_calls" and isinstance(value, list):
            for call in value:
                self._call(_plain(call))
        elif name == "reasoning_details" and isinstance(value, list):
            for detail in value:
                self._detail(_plain(detail))
        elif value is not None:
            self.other[name] = _plain(value)

    def _call(self, delta: Any) -> None:
        if not isinstance(delta, dict):
            return
        index, call_id = delta.get("index"), delta.get("id") or None
        current = self.calls_at.get(index) if index is not None else (self.calls[-1] if self.calls else None)
        if current is None or (call_id is not None and current.get("id") not in (None, call_id)):
            current = {"id": call_id, "type": "function", "function": {"name": "", "arguments": ""}}
            self.calls.append(current)
            self.calls_at[index] = current
        elif call_id is not None:
            current["id"] = call_id
        for key, value in delta.items():
            if key == "function" and isinstance(value, dict):
                function = current["function"]
                name, arguments = value.get("name"), value.get("arguments")
                if isinstance(name, str) and name != function["name"]:
                    function["name"] += name  # sent whole once, or in pieces; never twice
                if isinstance(arguments, str):
                    function["arguments"] += arguments
                function.update({k: v for k, v in value.items() if k not in ("name", "arguments")})
            elif key not in ("index", "id") and value is not None:
                current[key] = value

    def _detail(self, delta: Any) -> None:
        if not isinstance(delta, dict):
            return
        key = (delta.get("index"), delta.get("id"))
        current = self.details.get(key)
        if current is None:
            self.details[key] = dict(delta)
            return
        for name, value in delta.items():
            if name == "text" and isinstance(value, str):
                before = current.get("text") or ""
                # MiniMax's own streaming example treats the text as cumulative: a delta that
                # repeats the text so far replaces it; any other delta is appended.
                current["text"] = value if before and value.startswith(before) else before + value
            elif value is not None:
                current[name] = value

    def whole(self, message: Any) -> None:
        """A complete message for this choice: what it says replaces what the deltas said."""
        fields = _plain(message)
        if not isinstance(fields, dict):
            return
        for name, value in fields.items():
            if name == "content":
                self.content = []
            self.texts.pop(name, None)
            self.other.pop(name, None)
            if name == "role" and isinstance(value, str) and value:
                self.role = value
            elif name == "tool_calls" and isinstance(value, list):
                self.calls = [dict(call) for call in value if isinstance(call, dict)]
                self.calls_at = {}
            elif name == "reasoning_details" and isinstance(value, list):
                self.details = {(i, None): dict(d) for i, d in enumerate(value) if isinstance(d, dict)}
            elif name != "role":
                self.other[name] = value

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": self.role or "assistant"}
        if "content" not in self.other:
            message["content"] = "".join(self.content) if self.content else None
        message.update({name: "".join(parts) for name, parts in self.texts.items()})
        message.update(self.other)
        if self.details:
            message["reasoning_details"] = list(self.details.values())
        if self.calls:
            message["tool_calls"] = self.calls
        return message


class Accumulator:
    """Feed it each chunk of one stream with ``add``; ``completion()`` builds the reply.

    ``add`` runs once per chunk of every stream, so it reads the models' ``__dict__`` (the
    declared fields) and ``__pydantic_extra__`` (the rest) directly.
    """

    __slots__ = ("_choices", "_last", "_last_size", "_model", "_top", "_usage")

    def __init__(self, response_model: type[pydantic.BaseModel] | None = None) -> None:
        self._model = response_model
        self._choices: dict[int, _Choice] = {}
        self._top: dict[str, Any] = {}
        self._usage: Any = None
        self._last: Any = None
        self._last_size = -1

    def add(self, chunk: Any) -> None:
        self._last = chunk
        fields = chunk.__pydantic_fields_set__
        if len(fields) != self._last_size:  # the first chunk, and any with more or fewer fields
            self._last_size = len(fields)
            self._top_fields(chunk, fields)
        values = chunk.__dict__
        usage = values.get("usage")
        if usage is not None and _real_usage(usage):
            self._usage = usage
        choices = self._choices
        for choice in values.get("choices", ()):
            own = choice.__dict__
            delta = own.get("delta")
            if (  # the hot path: a delta of text only, nothing else in the choice
                delta is not None
                and choice.__pydantic_fields_set__ <= _PLAIN_CHOICE
                and delta.__pydantic_fields_set__ == _CONTENT_ONLY
                and own.get("finish_reason") is None
            ):
                state = choices.get(own.get("index") or 0)
                if state is not None:
                    content = delta.__dict__["content"]
                    if content:
                        state.content.append(content)
                    continue
            index = own.get("index") or 0
            state = choices.get(index)
            if state is None:
                state = choices[index] = _Choice()
            if delta is not None:
                set_fields = delta.__pydantic_fields_set__
                if set_fields == _CONTENT_ONLY:
                    content = delta.__dict__["content"]
                    if content:
                        state.content.append(content)
                else:
                    declared, undeclared = delta.__dict__, delta.__pydantic_extra__
                    for name in set_fields:
                        state.add(name, declared[name] if name in declared else undeclared[name])
            message = own.get("message")
            if message is None and choice.__pydantic_extra__:
                message = choice.__pydantic_extra__.get("message")
            if message is not None:
                state.whole(message)
            finish_reason = own.get("finish_reason")
            if finish_reason is not None:
                state.finish_reason = finish_reason

    def _top_fields(self, chunk: Any, fields: set[str]) -> None:
        top = self._top
        for name in fields:
            if name in _NOT_COPIED:
                continue
            value = getattr(chunk, name)
            if value is not None and not (name in _FIRST_WINS and name in top):
                top[name] = _plain(value)

    def completion(self) -> Any:
        """The reply of every chunk added so far."""
        if self._last is not None:  # the final chunk's top-level fields (base_resp, ...) count
            self._top_fields(self._last, self._last.__pydantic_fields_set__)
        reply: dict[str, Any] = {**self._top, "object": "chat.completion"}
        reply["choices"] = [
            {"index": index, "message": state.message(), "finish_reason": state.finish_reason}
            for index, state in sorted(self._choices.items())
        ]
        if self._usage is not None:
            reply["usage"] = _plain(self._usage)
        return read_lenient(self._reply_model(), json.dumps(reply, ensure_ascii=False))

    def _reply_model(self) -> type[pydantic.BaseModel]:
        """The model given, else the ``ChatCompletion`` beside the chunks' own model."""
        if self._model is None:
            found = None
            if self._last is not None:
                found = getattr(sys.modules.get(type(self._last).__module__), "ChatCompletion", None)
            if not (isinstance(found, type) and issubclass(found, pydantic.BaseModel)):
                raise InvalidArgumentError(
                    "accumulate: no chunk of a generated chunk model was seen; pass response_model="
                )
            self._model = found
        return self._model


def accumulate(chunks: Iterable[Any], response_model: type[pydantic.BaseModel] | None = None) -> Any:
    """The ``ChatCompletion`` that ``chunks`` (of one stream) make up.

    ``response_model`` defaults to the ``ChatCompletion`` model of the chunks' own API (and
    strictness); pass it to read the reply as another model, or when there may be no chunk.
    """
    accumulator = Accumulator(response_model)
    for chunk in chunks:
        accumulator.add(chunk)
    return accumulator.completion()


async def aaccumulate(
    chunks: AsyncIterable[Any], response_model: type[pydantic.BaseModel] | None = None
) -> Any:
    """``accumulate`` over an async iterable of chunks."""
    accumulator = Accumulator(response_model)
    async for chunk in chunks:
        accumulator.add(chunk)
    return accumulator.completion()
