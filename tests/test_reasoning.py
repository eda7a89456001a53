"""Reasoning (<think>...</think>) and answer, whole and incremental; the content is untouched."""

from __future__ import annotations

import pytest

from chatcontract import Reasoning, ThinkSplitter, split_reasoning

CASES = [
    ("<think>plan</think>\n\nHello!", Reasoning("plan", "Hello!")),
    ("No reasoning here.", Reasoning("", "No reasoning here.")),
    ("<think>only thinking", Reasoning("only thinking", "")),
    ("<think></think>Answer", Reasoning("", "Answer")),
    ("<think>a < b, and </thin is not a tag</think>ok", Reasoning("a < b, and </thin is not a tag", "ok")),
    ("<think>multi\nline</think>\n\nline 1\nline 2", Reasoning("multi\nline", "line 1\nline 2")),
    ("", Reasoning("", "")),
    ("<thinking>not our tag</thinking>", Reasoning("", "<thinking>not our tag</thinking>")),
]


@pytest.mark.parametrize(("content", "expected"), CASES)
def test_split_whole(content: str, expected: Reasoning) -> None:
    assert split_reasoning(content) == expected


@pytest.mark.parametrize(("content", "expected"), CASES)
def test_incremental_matches_whole_at_every_split(content: str, expected: Reasoning) -> None:
    """Tags may be cut anywhere between chunks; every cut gives the same result."""
    for cut in range(len(content) + 1):
        for pieces in ([content[:cut], content[cut:]], list(content)):
            splitter = ThinkSplitter()
            parts = [splitter.feed(piece) for piece in pieces] + [splitter.flush()]
            joined = Reasoning("".join(p.reasoning for p in parts), "".join(p.answer for p in parts))
            assert joined == expected, (cut, pieces)


def test_none_deltas_are_empty() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed(None) == Reasoning("", "")


def test_split_accepts_replies_and_messages() -> None:
    class Message:
        content = "<think>r</think>a"

    class Choice:
        message = Message()

    class Reply:
        choices = (Choice(),)

    assert split_reasoning(Reply()) == split_reasoning(Message()) == Reasoning("r", "a")
    assert Message.content == "<think>r</think>a"  # untouched
