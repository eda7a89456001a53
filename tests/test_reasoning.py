"""Reasoning (<think>...</think>) and answer, whole and incremental; the content is untouched."""

from __future__ import annotations

import pytest

from chatcontract import Reasoning, ThinkSplitter, split_reasoning

CASES = [
    ("<think>plan</think>\n\nHello!", Reasoning("plan", "Hello!")),
    ("No reasoning here.", Reasoning("", "No reasoning here.")),
    ("<think>only thinking", Reasoning("only thinking", "")),
    # Unfinished reasoning whose end looks like the start of </think>: held back, then reasoning.
    ("<think>still thinking </thi", Reasoning("still thinking </thi", "")),
    ("<think>x<", Reasoning("x<", "")),
    ("answer <thi", Reasoning("", "answer <thi")),
    ("<think></think>Answer", Reasoning("", "Answer")),
    ("<think>a < b, and </thin is not a tag</think>ok", Reasoning("a < b, and </thin is not a tag", "ok")),
    ("<think>multi\nline</think>\n\nline 1\nline 2", Reasoning("multi\nline", "line 1\nline 2")),
    ("", Reasoning("", "")),
    ("<thinking>not our tag</thinking>", Reasoning("", "<thinking>not our tag</thinking>")),
    ("<think>a</think>b<think>c</think>d", Reasoning("ac", "bd")),  # every block, in order
    ("x<think>r</think>y", Reasoning("r", "xy")),
    ("<think>a</think>b</think>c", Reasoning("a", "b</think>c")),  # after a tag, a lone close is text
    ("</think>answer", Reasoning("", "answer")),
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


STRAY_CLOSE = "greet back</think>\n\nHello!"  # the <think> was part of the prompt (opencode #3555)


def test_a_closing_tag_without_an_opening_one_ends_reasoning() -> None:
    assert split_reasoning(STRAY_CLOSE) == Reasoning("greet back", "Hello!")
    assert split_reasoning("r1</think>a</think>b") == Reasoning("r1", "a</think>b")  # the first one does


@pytest.mark.parametrize("cut", range(len("greet back</think>"), len(STRAY_CLOSE) + 1))
def test_stray_close_is_found_incrementally_when_cut_after_it(cut: int) -> None:
    splitter = ThinkSplitter()
    parts = [splitter.feed(STRAY_CLOSE[:cut]), splitter.feed(STRAY_CLOSE[cut:]), splitter.flush()]
    assert "".join(p.reasoning for p in parts) == "greet back"
    assert "".join(p.answer for p in parts) == "Hello!"


def test_stray_close_after_answer_was_handed_out_keeps_it_answer_and_drops_the_tag() -> None:
    splitter = ThinkSplitter()
    first = splitter.feed("greet ")
    rest = splitter.feed("back</think>Hello!")
    assert first == Reasoning("", "greet ")
    assert rest == Reasoning("", "backHello!")


def test_reasoning_sent_apart_is_read_from_messages_and_deltas() -> None:
    message = {"content": "Hello!", "reasoning_content": "greet back"}
    assert split_reasoning(message) == Reasoning("greet back", "Hello!")
    details = {
        "content": "Hi",
        "reasoning_details": [{"type": "reasoning.text", "id": "r", "index": 0, "text": "ok"}],
    }
    assert split_reasoning(details) == Reasoning("ok", "Hi")
    splitter = ThinkSplitter()
    assert splitter.feed({"reasoning_content": "a"}) == Reasoning("a", "")
    assert splitter.feed({"content": "b"}) == Reasoning("", "b")


def test_a_reply_without_a_message_has_neither_reasoning_nor_answer() -> None:
    class Reply:
        def __init__(self, choices: list[object]) -> None:
            self.choices = choices

    assert split_reasoning(Reply([])) == Reasoning("", "")
    assert split_reasoning(Reply([object()])) == Reasoning("", "")


@pytest.mark.parametrize(
    ("content", "answer"),
    [
        ("<think>r</think>\n\nHello!\n", "Hello!\n"),  # only the blank lines before the answer go
        ("<think>r</think> Hello", " Hello"),
        ("<think>r</think>\nX marks", "X marks"),
    ],
)
def test_only_newlines_before_the_answer_are_layout(content: str, answer: str) -> None:
    assert split_reasoning(content) == Reasoning("r", answer)


def _details(*items: dict[str, object]) -> dict[str, object]:
    return {"reasoning_details": list(items)}


# reasoning_details over the deltas of a stream: (deltas, new reasoning text of each delta).
DETAILS = [
    # An item with an id is followed by (index, id), even when its position in the list moves.
    (
        [
            _details({"id": "z", "index": 0, "text": "m"}),
            _details({"text": ""}, {"id": "z", "index": 0, "text": "mn"}),
        ],
        ["m", "n"],
    ),
    # Two items at once, each sent cumulatively.
    (
        [
            _details({"id": "a", "index": 0, "text": "p"}, {"id": "b", "index": 1, "text": "q"}),
            _details({"id": "a", "index": 0, "text": "pr"}, {"id": "b", "index": 1, "text": "qs"}),
        ],
        ["pq", "rs"],
    ),
    # The same id at two indexes, and two ids at one index, are four items.
    (
        [
            _details({"id": "r", "index": 0, "text": "a"}, {"id": "r", "index": 1, "text": "b"}),
            _details({"id": "r", "index": 0, "text": "a2"}, {"id": "r", "index": 1, "text": "b2"}),
        ],
        ["ab", "22"],
    ),
    (
        [
            _details({"id": "a", "index": 0, "text": "c"}, {"id": "b", "index": 0, "text": "d"}),
            _details({"id": "a", "index": 0, "text": "c3"}, {"id": "b", "index": 0, "text": "d3"}),
        ],
        ["cd", "33"],
    ),
    # Items without an id are followed by their position.
    ([_details({"text": "a"}, {"text": "b"}), _details({"text": "a1"}, {"text": "b1"})], ["ab", "11"]),
    # Sent cumulatively three times.
    ([_details({"text": "a"}), _details({"text": "ab"}), _details({"text": "abc"})], ["a", "b", "c"]),
    # An empty item does not end the list.
    ([_details({"text": ""}, {"text": "b"})], ["b"]),
]


@pytest.mark.parametrize(("deltas", "new"), DETAILS, ids=[f"details-{n}" for n in range(len(DETAILS))])
def test_reasoning_details_add_only_their_new_text(deltas: list[dict[str, object]], new: list[str]) -> None:
    splitter = ThinkSplitter()
    assert [splitter.feed(delta).reasoning for delta in deltas] == new


def test_what_flush_hands_out_is_handed_out_once() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("answer <thi") == Reasoning("", "answer ")
    assert splitter.flush() == Reasoning("", "<thi")
    assert splitter.flush() == Reasoning("", "")
    assert splitter.feed("!") == Reasoning("", "!")


def test_a_lone_close_cut_in_two_after_answer_text_is_still_found() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("answer </thi") == Reasoning("", "answer ")  # the start of a close waits
    assert splitter.feed("nk>rest") == Reasoning("", "rest")  # handed out as answer already: stays so
    assert splitter.flush() == Reasoning("", "")
