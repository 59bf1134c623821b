"""Limits shared by every dialogue: overlong lines and replies fail fast, memory stays bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailtls.proto import Failed, Finished, Send, make_dialogue
from mailtls.proto.base import LineReader, LineTooLong

PROTOCOLS = ["smtp", "imap", "pop3", "sieve"]
CHUNK = 64 * 1024
HUNDRED_MB = 100 * 1024 * 1024

# protocol -> (bytes that reach a multi-line reply, one line of it)
MANY_LINES = {
    "smtp": (b"", b"220-x\r\n"),
    "imap": (b"* OK hi\r\n", b"* OK x\r\n"),
    "pop3": (b"+OK hi\r\n+OK\r\n", b"X\r\n"),
    "sieve": (b"", b'"X" "y"\r\n'),
}


def hundred_mb(line_start: bytes) -> Iterator[bytes]:
    """100 MB with no newline, in 64 KiB chunks, without ever allocating 100 MB."""
    filler = b"A" * CHUNK
    yield (line_start + filler)[:CHUNK]
    for _ in range(HUNDRED_MB // CHUNK - 1):
        yield filler


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("max_line", [8192, 100_000])
def test_100mb_greeting_fails_fast_with_bounded_buffer(protocol, max_line):
    d = make_dialogue(protocol, implicit_tls=False, max_line=max_line)
    d.start()
    failed_at = None
    for i, chunk in enumerate(hundred_mb(b"220 " if protocol == "smtp" else b"* OK ")):
        actions = d.receive_data(chunk)
        assert d._reader.buffered <= max_line
        if actions:
            assert failed_at is None
            assert actions == [
                Failed(
                    "conn.protocol_error",
                    f"a line longer than {max_line} bytes while waiting for the greeting",
                )
            ]
            failed_at = i
        if failed_at is not None and i > failed_at + 3:
            break  # later chunks are ignored: shown by the next assertions
    assert failed_at == max_line // CHUNK
    assert d.finished and d._reader.buffered == 0
    assert d.receive_data(b"A" * CHUNK) == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_many_short_lines_hit_max_reply_bytes(protocol):
    setup, line = MANY_LINES[protocol]
    d = make_dialogue(protocol, implicit_tls=False)
    d.start()
    if setup:
        d.receive_data(setup)
    chunk = line * (CHUNK // len(line))
    failed_at = None
    for i in range(HUNDRED_MB // CHUNK):
        actions = d.receive_data(chunk)
        assert d._reader.buffered <= 8192
        if actions and isinstance(actions[-1], Failed):
            failed_at = i
            break
    assert failed_at is not None and failed_at <= (1 << 20) // CHUNK + 1
    assert actions[-1].finding_id == "conn.protocol_error"
    assert "a reply longer than 1048576 bytes while " in actions[-1].reason
    assert d._reply_lines == []
    assert len(d.result.transcript) <= 200


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_small_max_reply_bytes(protocol):
    setup, line = MANY_LINES[protocol]
    d = make_dialogue(protocol, implicit_tls=False, max_reply_bytes=100)
    d.start()
    actions = d.receive_data(setup + line * 50)
    phase = "greeting" if protocol in ("smtp", "sieve") else "capabilities"
    assert actions[-1] == Failed(
        "conn.protocol_error", f"a reply longer than 100 bytes while waiting for the {phase}"
    )


def test_line_of_exactly_max_line_bytes_passes():
    d = make_dialogue("smtp", implicit_tls=False, max_line=20)
    d.start()
    line = b"220 " + b"x" * 15 + b"\r"  # 20 bytes before the LF
    assert d.receive_data(line + b"\n") == [Send(b"EHLO mailtls.invalid\r\n")]
    d = make_dialogue("smtp", implicit_tls=False, max_line=20)
    d.start()
    assert d.receive_data(line[:-1] + b"xx")[0].finding_id == "conn.protocol_error"


def test_line_reader_splits_and_keeps_rest():
    reader = LineReader(10)
    reader.feed(b"x" * 11)
    with pytest.raises(LineTooLong):
        reader.next_line()
    assert reader.buffered == 0
    reader.feed(b"ab\r\ncd\nef")
    assert reader.next_line() == b"ab"
    assert reader.next_line() == b"cd"
    assert reader.next_line() is None
    assert reader.buffered == 2
    reader.feed(b"g\r\nhi")
    assert reader.next_line() == b"efg"
    assert reader.take_rest() == b"hi"
    assert reader.buffered == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_command_ends_with_crlf_and_ends_once(protocol):
    plain = {
        "smtp": b"220 x\r\n250-x\r\n250 STARTTLS\r\n220 go\r\n",
        "imap": b"* OK [CAPABILITY STARTTLS] x\r\na1 OK go\r\n",
        "pop3": b"+OK x\r\n+OK\r\nSTLS\r\n.\r\n+OK go\r\n",
        "sieve": b'"STARTTLS"\r\nOK\r\nOK\r\n',
    }[protocol]
    d = make_dialogue(protocol, implicit_tls=False, post_tls_capabilities=False)
    actions = d.start() + d.receive_data(plain) + d.tls_established()
    assert actions[-1] == Finished()
    assert all(a.data.endswith(b"\r\n") for a in actions if isinstance(a, Send))
    assert d.receive_data(b"anything\r\n") == [] and d.tls_established() == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_limits_fail_the_same_way_in_any_chunks(run, protocol):
    setup, line = MANY_LINES[protocol]
    phase = "greeting" if protocol in ("smtp", "sieve") else "capabilities"
    out = run(protocol, setup + line * 20, max_reply_bytes=60)
    assert out.last == Failed(
        "conn.protocol_error", f"a reply longer than 60 bytes while waiting for the {phase}"
    )
    out = run(protocol, setup + line[:-2] + b"z" * 40 + b"\r\n", max_line=30)
    assert out.last == Failed(
        "conn.protocol_error", f"a line longer than 30 bytes while waiting for the {phase}"
    )
