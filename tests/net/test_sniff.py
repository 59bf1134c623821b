"""proto/sniff.py: what a port's first bytes say, fed whole, byte by byte and fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailtls.model import Target
from mailtls.proto.sniff import Kind, sniff, suggest_plain, suggest_tls

SERVER_HELLO = bytes.fromhex("160303005a" "02000056" "0303") + bytes(32)  # TLS 1.2 ServerHello
ALERT = bytes.fromhex("15030300020228")  # fatal handshake_failure
SSL2_HELLO = bytes.fromhex("8f2a04000100")  # SSL 2.0 SERVER-HELLO
CASES = [
    (SERVER_HELLO, Kind.TLS, None),
    (ALERT, Kind.TLS, None),
    (bytes.fromhex("150301000202"), Kind.TLS, None),  # TLS 1.0 alert, description not yet there
    (SSL2_HELLO, Kind.TLS, None),
    (b"220 mx.example ESMTP Postfix (Debian)\r\n", Kind.PLAIN, "smtp"),
    (b"220-mx.example ESMTP multi-line\r\n220 more\r\n", Kind.PLAIN, "smtp"),
    (b"421 4.3.2 Service not available\r\n", Kind.PLAIN, "smtp"),
    (b"554\r\n", Kind.PLAIN, "smtp"),
    (b"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n", Kind.PLAIN, "imap"),
    (b"* BYE too many connections\r\n", Kind.PLAIN, "imap"),
    (b"+OK Dovecot ready.\n", Kind.PLAIN, "pop3"),
    (b"-ERR [SYS/TEMP] busy\r\n", Kind.PLAIN, "pop3"),
    (b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SIEVE" "fileinto"\r\nOK\r\n', Kind.PLAIN,
     "sieve"),
    (b"OK\r\n", Kind.PLAIN, "sieve"),
    (b"HTTP/1.1 400 Bad Request\r\n\r\n", Kind.OTHER, None),
    (b"SSH-2.0-OpenSSH_9.2p1\r\n", Kind.OTHER, None),
    (b"2200 not a reply code\r\n", Kind.OTHER, None),
    (bytes.fromhex("1603010005") + b"\x0b\x00\x00\x01\x00", Kind.OTHER, None),  # no hello
    (bytes.fromhex("1701030005") + b"xxxxx", Kind.OTHER, None),  # TLS 1.0 app data, no hello
    (bytes.fromhex("160903"), Kind.OTHER, None),  # not version 3.x
    (bytes.fromhex("15030300100000"), Kind.OTHER, None),  # an alert is 2 bytes
]


@pytest.mark.parametrize(("head", "kind", "protocol"), CASES)
def test_first_bytes(head: bytes, kind: Kind, protocol: str | None) -> None:
    seen = sniff(head)
    assert (seen.kind, seen.protocol) == (kind, protocol)


@pytest.mark.parametrize(("head", "kind", "protocol"), CASES)
def test_every_prefix_is_more_or_the_same_answer(
    head: bytes, kind: Kind, protocol: str | None
) -> None:
    decided = False
    for end in range(len(head) + 1):
        seen = sniff(head[:end])
        if seen.kind is Kind.MORE:
            assert not decided, head[:end]
            continue
        decided = True
        assert (seen.kind, seen.protocol) == (kind, protocol), head[:end]


def test_greeting_is_the_first_line_printable_and_bounded() -> None:
    assert sniff(b"220 mx\x00\xff ESMTP\r\n250 next\r\n").greeting == "220 mx?? ESMTP"
    long = sniff(b"220 " + b"x" * 500 + b"\r\n").greeting
    assert long.endswith("...") and len(long) == 123


def test_nothing_yet_is_more() -> None:
    assert sniff(b"").kind is Kind.MORE
    for partial in (b"2", b"22", b"220", b"*", b"* O", b"+", b"-E", b'"IMPL', b"\x16\x03\x03"):
        assert sniff(partial).kind is Kind.MORE, partial


@given(st.binary(max_size=200))
def test_any_bytes_and_their_prefixes_agree(data: bytes) -> None:
    final = sniff(data)
    if final.kind is Kind.MORE:
        assert len(data) < 64  # undecided only while short: the caller's buffer is bounded
        return
    for end in range(len(data)):
        seen = sniff(data[:end])
        assert seen.kind is Kind.MORE or (seen.kind, seen.protocol) == (
            final.kind,
            final.protocol,
        ), data[:end]


@pytest.mark.parametrize(
    ("target", "suggested"),
    [
        (Target("smtp", "mx.example", 465), "smtps://mx.example:465"),
        (Target("submission", "mx.example", 465), "smtps://mx.example:465"),
        (Target("imap", "imap.example", 993), "imaps://imap.example:993"),
        (Target("pop3", "pop.example", 995), "pop3s://pop.example:995"),
        (Target("sieve", "mail.example", 993), "sieve://mail.example:4190"),
        (Target("smtp", "::1", 465), "smtps://[::1]:465"),
    ],
)
def test_suggest_tls(target: Target, suggested: str) -> None:
    assert suggest_tls(target).url == suggested


@pytest.mark.parametrize(
    ("target", "protocol", "suggested"),
    [
        (Target("smtps", "mx.example", 587), "smtp", "submission://mx.example:587"),
        (Target("smtps", "mx.example", 25), "smtp", "smtp://mx.example:25"),
        (Target("smtps", "mx.example", 2525), "smtp", "smtp://mx.example:2525"),
        (Target("imaps", "imap.example", 143), "imap", "imap://imap.example:143"),
        (Target("pop3s", "pop.example", 110), "pop3", "pop3://pop.example:110"),
        (Target("imaps", "mail.example", 4190), "sieve", "sieve://mail.example:4190"),
        (Target("smtps", "mail.example", 110, "127.0.0.1"), "pop3", "pop3://mail.example:110"),
    ],
)
def test_suggest_plain(target: Target, protocol: str, suggested: str) -> None:
    assert suggest_plain(target, protocol).url == suggested
