"""One line -> one event: every kind, from the real lines the lab's Postfix and Dovecot wrote
(tests/logs/data/), in each header format; and no input ever makes the parser raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mailtls.logs.parse import openssl_reason, parse_line, verify_reason

DATA = Path(__file__).parent / "data"
VERIFIED = (b"Dec 02 08:22:05 sender postfix/smtp[10362]: Verified TLS connection established "
            b"to localhost[127.0.0.1]:45165: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
            b"(256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) "
            b"server-digest SHA256")
MESSAGE = VERIFIED.partition(b"]: ")[2]


def real_lines() -> list[bytes]:
    return [x for p in sorted(DATA.glob("*.log")) for x in p.read_bytes().splitlines()]


def test_outbound_verified_tls_line() -> None:
    ev = parse_line(VERIFIED)
    assert ev is not None and ev.kind == "tls"
    assert (ev.direction, ev.trust, ev.protocol, ev.cipher, ev.bits, ev.kex, ev.signature) == (
        "outbound", "verified", "TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, "X25519", "ECDSA")
    assert (ev.peer, ev.peer_addr, ev.peer_port) == ("localhost[127.0.0.1]:45165", "127.0.0.1",
                                                     45165)
    assert (ev.host, ev.program, ev.pid, ev.stamp) == ("sender", "postfix/smtp", "10362",
                                                       b"Dec 02 08:22:05")


def test_every_header_format_gives_the_same_event() -> None:
    """syslog (day padded with a space), maillog_file, rsyslog RFC 3339, journalctl
    short-iso, and journalctl -o cat (no header at all)."""
    heads = [b"Dec  2 08:22:05 mx postfix/smtp[10362]: ",
             b"Dec 02 08:22:05 mx postfix/smtp[10362]: ",
             b"2026-12-02T08:22:05.123456+00:00 mx postfix/smtp[10362]: ",
             b"2026-12-02T08:22:05+0000 mx postfix/smtp[10362]: ", b""]
    for head in heads:
        ev = parse_line(head + MESSAGE)
        assert ev is not None, head
        assert (ev.kind, ev.trust, ev.peer, ev.direction) == (
            "tls", "verified", "localhost[127.0.0.1]:45165", "outbound"), head
    assert parse_line(heads[2] + MESSAGE).stamp == b"2026-12-02T08:22:05.123456+00:00"
    assert parse_line(heads[0] + MESSAGE).stamp == b"Dec 2 08:22:05"


def test_kinds_in_the_real_logs() -> None:
    kinds: dict[str, int] = {}
    for line in real_lines():
        ev = parse_line(line)
        if ev is not None:
            kinds[ev.kind] = kinds.get(ev.kind, 0) + 1
    assert {"tls", "verify_failed", "handshake_failed", "tls_problem", "lost_starttls",
            "disconnect", "client", "delivery", "login", "login_failed"} <= set(kinds)


def test_failures_are_named() -> None:
    lines = {parse_line(x).kind: parse_line(x) for x in real_lines()  # type: ignore[union-attr]
             if parse_line(x) is not None}
    assert lines["verify_failed"].reason == "untrusted issuer"
    assert lines["verify_failed"].peer == "127.0.0.1[127.0.0.1]:48249"
    assert lines["tls_problem"].reason == "unsupported protocol"
    assert lines["handshake_failed"].direction == "inbound"
    assert lines["login_failed"].reason
    assert verify_reason(b"num=10:certificate has expired") == "certificate has expired"
    assert openssl_reason(b"SSL_accept() failed: error:0A000102:SSL routines::unsupported "
                          b"protocol") == "unsupported protocol"


def test_disconnect_counters_and_sasl_client() -> None:
    ev = parse_line(b"Dec 02 08:22:06 r postfix/rx-tls12/smtpd[10112]: disconnect from "
                    b"unknown[127.0.0.1] ehlo=1 starttls=0/1 commands=1/2")
    assert ev is not None and ev.starttls == (0, 1) and ev.commands == 1 and ev.auth is None
    ev = parse_line(b"Dec 02 08:22:05 s postfix/submission/smtpd[10358]: disconnect from "
                    b"unknown[127.0.0.1] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 "
                    b"commands=8")
    assert ev is not None and ev.starttls == (1, 1) and ev.auth == (1, 1)
    assert ev.direction == "inbound"
    ev = parse_line(b"Dec 02 08:22:05 s postfix/submission/smtpd[10358]: BE3E621A1F0: "
                    b"client=unknown[127.0.0.1], sasl_method=PLAIN, sasl_username=alice")
    assert ev is not None and (ev.kind, ev.queue_id, ev.method) == ("client", "BE3E621A1F0",
                                                                    "PLAIN")


def test_delivery_lines() -> None:
    ev = parse_line(b"Dec 02 08:23:23 s postfix/smtp[12941]: E350521A8A5: to=<alice@f.test>, "
                    b"relay=127.0.0.1[127.0.0.1]:48249, delay=0.01, delays=0/0/0/0, dsn=4.7.5, "
                    b"status=deferred (Server certificate not verified)")
    assert ev is not None
    assert (ev.kind, ev.status, ev.reason, ev.peer) == (
        "delivery", "deferred", "Server certificate not verified", "127.0.0.1[127.0.0.1]:48249")
    local = parse_line(b"Dec 02 08:22:05 r postfix/virtual[10367]: DB41D218C91: "
                       b"to=<alice@v.test>, relay=virtual, delay=0.03, dsn=2.0.0, "
                       b"status=sent (delivered to maildir)")
    assert local is not None and local.peer is None  # no network: not counted


def test_dovecot_syslog_and_own_log_formats() -> None:
    body = (b"Login: user=<alice>, method=PLAIN, rip=192.0.2.7, lip=127.0.0.1, mpid=10379, "
            b"TLS, session=<Q4ieVqJhLpB/AAAB>")
    for line in (b"Dec 02 08:22:06 imap-login: Info: " + body,
                 b"Dec  2 08:22:06 mx dovecot: imap-login: " + body,
                 b"2026-12-02T08:22:06+0000 mx dovecot[77]: pop3-login: " + body):
        ev = parse_line(line)
        assert ev is not None and ev.kind == "login" and ev.tls is True, line
        assert (ev.user, ev.method, ev.peer_addr) == ("alice", "PLAIN", "192.0.2.7")
    ev = parse_line(b"Dec 02 08:22:06 imap-login: Info: " + body.replace(b"TLS", b"secured"))
    assert ev is not None and ev.tls is False
    ev = parse_line(b"Dec 02 08:22:06 mx dovecot: pop3-login: " + body)
    assert ev is not None and ev.service == "pop3"


def test_lines_without_tls_meaning_give_nothing() -> None:
    for line in (b"Dec 02 08:22:05 s postfix/qmgr[1]: BE3E621A1F0: removed",
                 b"Dec 02 08:22:05 s postfix/smtpd[1]: connect from unknown[127.0.0.1]",
                 b"Dec 02 08:22:06 imap(alice)<1><x>: Info: Disconnected: Logged out in=12",
                 b"", b"TLS", b"status=", b"Login:"):
        assert parse_line(line) is None, line


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    parse_line(data)


@given(st.sampled_from(real_lines()), st.integers(0, 400), st.binary(max_size=12))
def test_damaged_real_lines_never_raise(line: bytes, at: int, junk: bytes) -> None:
    at = min(at, len(line))
    parse_line(line[:at] + junk + line[at:])
    parse_line(line[:at])
    parse_line(line[at:])
