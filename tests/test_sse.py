"""The SSE decoder, one case per rule of the event-stream format."""

from __future__ import annotations

import pytest

from chatcontract._sse import ServerSentEvent, SSEDecoder


def decode(data: bytes, size: int) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = []
    for start in range(0, len(data), size):
        events += decoder.feed(data[start : start + size])
    return events + decoder.flush()


SIZES = [1, 2, 3, 7, 1000]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings(eol: str, size: int) -> None:
    data = f"data: a{eol}{eol}data: b{eol}{eol}".encode()
    assert [e.data for e in decode(data, size)] == ["a", "b"]


@pytest.mark.parametrize("size", SIZES)
def test_mixed_line_endings(size: int) -> None:
    assert [e.data for e in decode(b"data: a\r\n\ndata: b\r\rdata: c\n\r\n", size)] == ["a", "b", "c"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_multi_line_event_with_every_line_ending(eol: str, size: int) -> None:
    """A CR that ends one network piece may be half of a CRLF: taken as a line end at once, the
    LF after it would end the event in the middle (one event split in two)."""
    data = f"data: a{eol}data: b{eol}{eol}data: c{eol}{eol}".encode()
    assert [e.data for e in decode(data, size)] == ["a\nb", "c"]


@pytest.mark.parametrize("size", SIZES)
def test_comments_and_keep_alives_are_skipped(size: int) -> None:
    data = b": keep-alive\n\n:\n\ndata: x\n: inside\n\n"
    assert [e.data for e in decode(data, size)] == ["x"]


@pytest.mark.parametrize("size", SIZES)
def test_multi_line_data_joins_with_newline(size: int) -> None:
    assert [e.data for e in decode(b"data: one\ndata:two\ndata:  three\n\n", size)] == ["one\ntwo\n three"]


@pytest.mark.parametrize("size", SIZES)
def test_event_id_retry_fields(size: int) -> None:
    (event,) = decode(b"event: delta\nid: 7\nretry: 1500\nunknown: x\ndata: {}\n\n", size)
    assert event == ServerSentEvent(data="{}", event="delta", id="7", retry=1500)


@pytest.mark.parametrize("size", SIZES)
def test_multibyte_utf8_split_across_pieces(size: int) -> None:
    text = '{"c": "你好 안녕 👋"}'
    assert [e.data for e in decode(f"data: {text}\n\n".encode(), size)] == [text]


def test_line_separators_inside_json_are_not_line_ends() -> None:
    text = '{"c": "a\u2028b\x85c\x0bd"}'
    assert [e.data for e in decode(f"data: {text}\n\n".encode(), 1)] == [text]


@pytest.mark.parametrize("size", SIZES)
def test_a_byte_order_mark_at_the_start_is_skipped_and_the_first_event_kept(size: int) -> None:
    data = "\ufeffdata: a\n\ndata: \ufeffb\n\n".encode()
    assert [e.data for e in decode(data, size)] == ["a", "\ufeffb"]  # only the first one is a BOM


@pytest.mark.parametrize("size", SIZES)
def test_done_is_an_ordinary_event(size: int) -> None:
    assert [e.data for e in decode(b"data: 1\n\ndata: [DONE]\n\n", size)] == ["1", "[DONE]"]


@pytest.mark.parametrize("tail", [b"data: last", b"data: last\n", b"data: last\r"])
def test_last_event_without_blank_line_is_kept(tail: bytes) -> None:
    assert [e.data for e in decode(b"data: first\n\n" + tail, 1)] == ["first", "last"]


def test_empty_data_lines_dispatch_nothing_but_empty_strings() -> None:
    assert [e.data for e in decode(b"data:\n\n\n\nevent: x\n\n", 1)] == [""]


def test_invalid_utf8_raises() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode(b"data: \xff\xfe\n\n", 1)


def test_truncated_utf8_at_end_raises() -> None:
    decoder = SSEDecoder()
    decoder.feed("data: 你".encode()[:-1])
    with pytest.raises(UnicodeDecodeError):
        decoder.flush()


def test_fields_from_earlier_pieces_apply_to_a_one_line_event() -> None:
    """A piece that is exactly one event still gets the event type, id and retry set before."""
    decoder = SSEDecoder()
    assert decoder.feed(b"event: delta\nid: 3\n") == []
    assert decoder.feed(b"data: x\n\n") == [ServerSentEvent("x", "delta", "3", None)]
    assert decoder.feed(b"data: y\n\n") == [ServerSentEvent("y", "message", "3", None)]


@pytest.mark.parametrize("size", SIZES)
def test_a_bare_data_line_is_an_empty_data_line(size: int) -> None:
    assert [e.data for e in decode(b"data\ndata\ndata: x\n\n", size)] == ["\n\nx"]


@pytest.mark.parametrize("size", SIZES)
def test_field_values_keep_their_colons_and_odd_fields_are_ignored(size: int) -> None:
    data = b"event: a:b\nid: 1:2\nunknown: 12\nretry: 9x\ndata: {}\n\nid: 3\x00\nretry: \xd9\xa1\ndata: y\n\n"
    assert decode(data, size) == [
        ServerSentEvent(data="{}", event="a:b", id="1:2", retry=None),
        ServerSentEvent(data="y", event="message", id="1:2", retry=None),  # an id with NUL, "١": ignored
    ]


def test_a_second_flush_hands_out_nothing() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a")
    assert [e.data for e in decoder.flush()] == ["a"]
    assert decoder.flush() == []
    assert [e.data for e in decoder.feed(b"data: b\n\n")] == ["b"]


@pytest.mark.parametrize("size", SIZES)
def test_an_event_without_fields_is_a_message_with_no_id_or_retry(size: int) -> None:
    assert decode(b"data: a\n\n", size) == [ServerSentEvent("a", "message", None, None)]


def test_fields_from_earlier_pieces_apply_to_one_line_events_on_the_fast_path() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: delta\nid: 3\nretry: 1500\n") == []
    assert decoder.feed(b"data: x\n\n") == [ServerSentEvent("x", "delta", "3", 1500)]
    assert decoder.clean
    assert decoder.feed(b"data: y\n\n") == [ServerSentEvent("y", "message", "3", 1500)]


@pytest.mark.parametrize("size", SIZES)
def test_data_only_hands_out_the_data_strings(size: int) -> None:
    decoder = SSEDecoder(data_only=True)
    data = b"event: e\ndata: a\n\ndata: b\n\ndata: c\ndata: d\n\n"
    events = [e for start in range(0, len(data), size) for e in decoder.feed(data[start : start + size])]
    assert events + decoder.flush() == ["a", "b", "c\nd"]
    assert decoder.feed(b"data: e\n\n") == ["e"]  # a one-line event on the fast path too


# lone_data: the data of a piece that is exactly one one-line event, when nothing is carried over.
LONE = [
    (b"data: x\n\n", b"x"),
    (b'data: {"a": 1}\n\n', b'{"a": 1}'),
    (b"data:x\n\n", None),  # no space: the general path decides
    (b"event: x\n\n", None),
    (b"data: x\ny", None),  # its one LF is not the end
    (b"data: a\nb\n\n", None),  # two lines
    (b"data: a\rb\n\n", None),  # a CR is a line end too
    (b"data: x\n", None),
    (b"data: x\r\n\r\n", None),
]


@pytest.mark.parametrize(("piece", "data"), LONE, ids=[f"lone-{n}" for n in range(len(LONE))])
def test_lone_data_recognises_exactly_one_one_line_event(piece: bytes, data: bytes | None) -> None:
    decoder = SSEDecoder()
    assert decoder.lone_data(b"data: x\n\n") is None  # nothing decoded yet: a BOM may still come
    decoder.feed(b"data: first\n\n")
    assert decoder.clean
    assert decoder.lone_data(piece) == data
    events = decoder.feed(piece) + decoder.flush()
    if data is not None:  # the fast path agrees with the general one
        assert events == [ServerSentEvent(data.decode())]


@pytest.mark.parametrize(
    ("pieces", "clean"),
    [
        ([b"data: a\n\n"], True),
        ([b"data: a\n\n", b"data: b"], False),  # a partial line
        ([b"data: a\n\ndata: b"], False),
        ([b"data: a\n"], False),  # an unfinished event
        ([b"event: x\n"], False),
        ([b"data: a\n\n\xe4\xbd"], False),  # a partial UTF-8 character
        ([b"data: a\r"], False),  # maybe half of a CRLF
        ([b"data: a\n\n: keep-alive\n"], True),
    ],
    ids=["event", "then-partial", "event-and-partial", "unfinished", "field", "utf8", "cr", "comment"],
)
def test_clean_says_whether_anything_is_carried_over(pieces: list[bytes], clean: bool) -> None:
    decoder = SSEDecoder()
    for piece in pieces:
        decoder.feed(piece)
    assert decoder.clean is clean


def test_a_piece_after_carried_over_text_is_not_taken_as_one_event() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert decoder.feed(b"x") == []
    assert decoder.feed(b"data: y\n\n") == []  # the line is "xdata: y": no data field
    assert decoder.feed(b"data: a\n\ndata: b") == [ServerSentEvent("a")]
    assert decoder.feed(b"data: c\n\n") == [ServerSentEvent("bdata: c")]


def test_a_partial_utf8_character_is_not_skipped_by_the_fast_path() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n\xe4\xbd") == [ServerSentEvent("a")]
    with pytest.raises(UnicodeDecodeError):  # the character never completes
        decoder.feed(b"data: b\n\n")


def test_events_ended_by_cr_come_out_as_soon_as_the_next_piece_shows_no_lf() -> None:
    """A CR at the end of a piece may be half of a CRLF; the next piece settles it, even one
    without any line end of its own."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == []
    assert decoder.feed(b"x") == [ServerSentEvent("a")]
    decoder = SSEDecoder()
    assert decoder.feed(b"data: b\r\rdata: c") == [ServerSentEvent("b")]  # CRs but no LF in the piece
    assert decoder.feed(b"\r") == []
    assert decoder.feed(b"\r") == []
    assert decoder.feed(b"d") == [ServerSentEvent("c")]


def test_a_byte_order_mark_later_in_the_stream_is_kept() -> None:
    """Only the very first text of the stream may start with a BOM, even when the first event
    came in a piece of its own."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n") == [ServerSentEvent("a")]
    assert decoder.feed("\ufeffdata: b\n\n".encode()) == []  # field "\ufeffdata": ignored


def test_a_retry_too_long_for_int_is_ignored() -> None:
    digits = b"9" * 5000  # more than int() converts from text
    assert decode(b"retry: " + digits + b"\ndata: x\n\n", 1000) == [ServerSentEvent("x")]
