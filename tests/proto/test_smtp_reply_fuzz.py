"""One SMTP reply grammar, fuzzed once for the probes and the client.

Arbitrary and near-valid byte streams, split anywhere, go through
- proto's ReplyReader (the shared parser),
- mailtls.client's Connection (its own buffer over that reader; the STARTTLS guard),
- the probe's SMTPDialogue (what it makes of the greeting),
and each must agree with ``oracle``, RFC 5321 section 4.2 written out plainly. The only
exception any of them may raise on server bytes is mailtls.errors.ProtocolError, and no
more than ``max_line`` bytes of an unfinished line are ever held.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtls.client.wire import Connection, InjectedBytes, PeerClosed
from mailtls.errors import ProtocolError
from mailtls.proto import Failed, Send, make_dialogue
from mailtls.proto.smtp import ReplyReader


@dataclass(frozen=True)
class Expected:
    replies: list[tuple[int, tuple[str, ...], int]]  # code, texts, offset after the reply
    error: bool  # the stream breaks the grammar or a limit after those replies


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _is_reply_line(line: bytes) -> bool:
    """Reply-code = %x32-35 %x30-35 %x30-39, then nothing, SP text or "-" text."""
    return (
        len(line) >= 3
        and line[0] in b"2345"
        and line[1] in b"012345"
        and line[2] in b"0123456789"
        and (len(line) == 3 or line[3] in b" -")
    )


def oracle(stream: bytes, max_line: int, max_reply: int) -> Expected:
    replies: list[tuple[int, tuple[str, ...], int]] = []
    code: int | None = None
    texts: list[str] = []
    size = pos = 0
    while (end := stream.find(b"\n", pos)) >= 0:
        line, pos = stream[pos:end], end + 1
        if len(line) > max_line:
            return Expected(replies, True)
        line = line[:-1] if line.endswith(b"\r") else line
        size += len(line) + 2
        if size > max_reply or not _is_reply_line(line) or code not in (None, int(line[:3])):
            return Expected(replies, True)
        code = int(line[:3])
        texts.append(_text(line[4:]))
        if line[3:4] != b"-":
            replies.append((code, tuple(texts), pos))
            code, texts, size = None, [], 0
    return Expected(replies, len(stream) - pos > max_line)


def chunks(stream: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


# --- the three users of the grammar -------------------------------------------------------


def through_reader(stream: bytes, cuts: list[int], max_line: int, max_reply: int) -> Expected:
    reader = ReplyReader(max_line=max_line, max_reply_bytes=max_reply)
    replies: list[tuple[int, tuple[str, ...], int]] = []
    fed = 0
    for chunk in chunks(stream, cuts):
        reader.feed(chunk)
        fed += len(chunk)
        try:
            while (reply := reader.next_reply()) is not None:
                replies.append((reply.code, reply.texts, fed - reader.buffered))
        except ProtocolError:
            return Expected(replies, True)
        assert reader.buffered <= max_line  # drained: only an unfinished line is held
    return Expected(replies, False)


class _Transport(asyncio.Transport):
    def is_closing(self) -> bool:
        return False


def through_client(stream: bytes, cuts: list[int], max_line: int, max_reply: int) -> Expected:
    """All bytes arrive, then EOF; the client reads replies until it is told to stop.

    After each reply, start_tls() must refuse while any byte is buffered, naming how many.
    """

    async def go() -> Expected:
        conn = Connection(max_line=max_line, max_reply=max_reply)
        conn.connection_made(_Transport())
        for chunk in chunks(stream, cuts):
            conn.data_received(chunk)
        conn.eof_received()
        replies: list[tuple[int, tuple[str, ...], int]] = []
        while True:
            try:
                reply = await conn.read_reply()
            except PeerClosed:
                return Expected(replies, False)
            except ProtocolError:
                return Expected(replies, True)
            after = len(stream) - conn.replies.buffered
            replies.append((reply.code, reply.texts, after))
            if conn.replies.buffered:
                with pytest.raises(InjectedBytes) as info:
                    await conn.start_tls(None, "mx.example", 1.0)  # type: ignore[arg-type]
                assert info.value.count == len(stream) - after

    return asyncio.run(go())


def probe_greeting(stream: bytes, cuts: list[int], max_line: int, max_reply: int) -> object:
    """The probe's first action on this stream as a greeting (EOF after it)."""
    d = make_dialogue("smtp", implicit_tls=False, max_line=max_line, max_reply_bytes=max_reply)
    actions = d.start()
    for chunk in [*chunks(stream, cuts), b""]:
        actions += d.receive_data(chunk)
    return actions[0]


def expected_greeting(expected: Expected) -> object:
    if expected.replies:
        code = expected.replies[0][0]
        if code == 220:
            return Send(b"EHLO mailtls.invalid\r\n")
        return "conn.rate_limited" if 400 <= code < 600 else "conn.protocol_error"
    return "conn.protocol_error" if expected.error else "conn.closed"


# --- streams ------------------------------------------------------------------------------

TEXTS = st.binary(max_size=30).map(lambda b: b.replace(b"\n", b""))
CODES = st.one_of(
    st.integers(0, 999).map(lambda n: b"%03d" % n),
    st.sampled_from([b"220", b"250", b"421", b"22", b"2200", b"", "\u0662\u0662\u0660".encode()]),
)
LINES = st.tuples(
    CODES,
    st.sampled_from([b" ", b"-", b"", b"\t", b"_"]),
    TEXTS,
    st.sampled_from([b"\r\n", b"\n", b"\r\r\n", b""]),
).map(b"".join)


def _reply(code: bytes, texts: list[bytes]) -> bytes:
    """A well-formed multi-line reply."""
    lines = [code + b"-" + t for t in texts[:-1]] + [code + b" " + texts[-1]]
    return b"".join(line + b"\r\n" for line in lines)


REPLIES = st.builds(_reply, st.sampled_from([b"220", b"250", b"421", b"554"]),
                    st.lists(TEXTS, min_size=1, max_size=8))
STREAMS = st.one_of(
    st.lists(st.one_of(LINES, REPLIES, st.binary(max_size=12)), max_size=30).map(b"".join),
    st.binary(max_size=300),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stream=STREAMS,
    cuts=st.lists(st.integers(0, 10_000), max_size=8),
    max_line=st.sampled_from([8, 40, 8192]),
    max_reply=st.sampled_from([60, 200, 1 << 20]),
)
def test_one_grammar_for_probe_and_client(
    stream: bytes, cuts: list[int], max_line: int, max_reply: int
) -> None:
    expected = oracle(stream, max_line, max_reply)
    assert through_reader(stream, cuts, max_line, max_reply) == expected
    assert through_client(stream, cuts, max_line, max_reply) == expected
    first = probe_greeting(stream, cuts, max_line, max_reply)
    shown = first.finding_id if isinstance(first, Failed) else first
    assert shown == expected_greeting(expected)


@pytest.mark.parametrize(
    ("line", "valid"),
    [(b"220 ok", True), (b"559 x", True), (b"250", True), (b"260 x", False),
     (b"600 x", False), (b"199 x", False), (b"099 x", False), (b"25 x", False)],
)
def test_reply_code_range(line: bytes, valid: bool) -> None:
    """The oracle itself: RFC 5321's Reply-code, and nothing wider or narrower."""
    assert _is_reply_line(line) is valid
    assert oracle(line + b"\r\n", 8192, 1 << 20).error is not valid


def test_overlong_line_is_refused_while_it_streams_in() -> None:
    """A line with no end is refused once it passes max_line, holding no more than that."""
    reader = ReplyReader(max_line=1000)
    with pytest.raises(ProtocolError, match="longer than 1000 bytes"):
        for _ in range(1000):
            reader.feed(b"250-" + b"x" * 96)
            assert reader.next_reply() is None
            assert reader.buffered <= 1000
    assert reader.buffered == 0
