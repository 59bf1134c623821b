"""ManageSieve dialogue: real Dovecot Pigeonhole texts, every split, every failure."""

from __future__ import annotations

import pytest

from mailtls.proto import Failed, Finished, Send, StartTLS, make_dialogue
from mailtls.proto.sieve import capability, strings

GREETING = (
    b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SIEVE" "fileinto reject"\r\n'
    b'"NOTIFY" "mailto"\r\n"SASL" ""\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\n'
    b'OK "Dovecot (Debian) ready."\r\n'
)
CAPS = (
    'IMPLEMENTATION "Dovecot Pigeonhole"',
    'SIEVE "fileinto reject"',
    'NOTIFY "mailto"',
    'SASL ""',
    "STARTTLS",
    'VERSION "1.0"',
)
BEGIN = b'OK "Begin TLS negotiation now."\r\n'
TLS_GREETING = (
    b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SIEVE" "fileinto reject"\r\n'
    b'"NOTIFY" "mailto"\r\n"SASL" "PLAIN LOGIN"\r\n"VERSION" "1.0"\r\n'
    b'OK "TLS negotiation successful."\r\n'
)
TLS_CAPS = (
    'IMPLEMENTATION "Dovecot Pigeonhole"',
    'SIEVE "fileinto reject"',
    'NOTIFY "mailto"',
    'SASL "PLAIN LOGIN"',
    'VERSION "1.0"',
)
LOGOUT = Send(b"LOGOUT\r\n")


def test_dovecot_full_dialogue(run):
    out = run("sieve", GREETING + BEGIN, TLS_GREETING)
    assert out.actions == [Send(b"STARTTLS\r\n"), StartTLS(), LOGOUT, Finished()]
    r = out.result
    assert r.banner == "Dovecot (Debian) ready."
    assert r.greeting_lines == GREETING.decode().split("\r\n")[:-1]
    assert r.capabilities_before_tls == CAPS
    assert r.capabilities_after_tls == TLS_CAPS
    assert r.starttls_offered is True
    assert r.tls_started is True
    assert r.last_reply == TLS_GREETING.decode().replace("\r\n", "\n").rstrip("\n")
    assert r.transcript[-1] == ("C", "LOGOUT")


def test_starttls_not_offered(run):
    greeting = b'"IMPLEMENTATION" "Cyrus timsieved"\r\n"SASL" "PLAIN"\r\nOK\r\n'
    out = run("sieve", greeting)
    assert out.actions == [LOGOUT, Finished()]
    assert out.result.starttls_offered is False
    assert out.result.capabilities_before_tls == (
        'IMPLEMENTATION "Cyrus timsieved"',
        'SASL "PLAIN"',
    )
    assert out.result.banner == ""


def test_starttls_refused(run):
    out = run("sieve", GREETING + b'NO "TLS support isn\'t enabled."\r\n')
    assert out.actions == [
        Send(b"STARTTLS\r\n"),
        Failed("starttls.refused", 'NO "TLS support isn\'t enabled."'),
    ]


def test_bye_during_starttls(run):
    out = run("sieve", GREETING + b'BYE "Shutting down"\r\n')
    assert out.last.finding_id == "conn.closed"
    assert out.last.reason.startswith("waiting for the reply to STARTTLS (the server said")


@pytest.mark.parametrize(
    "line",
    [b'BYE "Too many connections from your IP"', b'NO "Service unavailable"'],
)
def test_refused_greeting_is_rate_limited(run, line):
    out = run("sieve", b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n' + line + b"\r\n")
    assert out.actions == [Failed("conn.rate_limited", line.decode())]


def test_response_codes_and_escapes(run):
    greeting = (
        b'"implementation" "Quote \\" and \\\\ backslash"\r\n"starttls"\r\n'
        b'OK (SASL "x") "ready \\"now\\""\r\n'
    )
    out = run("sieve", greeting + b"ok\r\n", TLS_GREETING)
    assert out.result.capabilities_before_tls == (
        'IMPLEMENTATION "Quote \\" and \\\\ backslash"',
        "STARTTLS",
    )
    assert out.result.banner == 'ready "now"'
    assert out.last == Finished()


@pytest.mark.parametrize(
    "line, what",
    [
        (b'"SIEVE" {12}', "a literal, which this client does not read, in '\"SIEVE\" {12}'"),
        (b"{8+}", "a literal, which this client does not read, in '{8+}'"),
        (b'"A" "B" "C"', 'the unexpected line \'"A" "B" "C"\''),
        (b'"unterminated', "the unexpected line '\"unterminated'"),
        (b'"A""B"', 'the unexpected line \'"A""B"\''),
        (b"SSH-2.0-OpenSSH_9.2p1", "the unexpected line 'SSH-2.0-OpenSSH_9.2p1'"),
        (b"HTTP/1.1 400 Bad Request", "the unexpected line 'HTTP/1.1 400 Bad Request'"),
        (b"OKAY", "the unexpected line 'OKAY'"),
    ],
)
def test_bad_lines_are_protocol_errors(run, line, what):
    out = run("sieve", line + b"\r\n")
    assert out.actions == [Failed("conn.protocol_error", f"{what} while waiting for the greeting")]


def test_capability_line_during_starttls_is_garbage(run):
    out = run("sieve", GREETING + b'"STARTTLS"\r\n')
    assert out.last.finding_id == "conn.protocol_error"


@pytest.mark.parametrize(
    "plain, tls, phase",
    [
        (b"", b"", "waiting for the greeting"),
        (b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n', b"", "waiting for the greeting"),
        (GREETING, b"", "waiting for the reply to STARTTLS"),
        (GREETING + BEGIN, b"", "waiting for the capabilities after the TLS handshake"),
        (
            GREETING + BEGIN,
            b'"SIEVE" "x"\r\n',
            "waiting for the capabilities after the TLS handshake",
        ),
    ],
)
def test_eof_names_the_phase(run, plain, tls, phase):
    assert run("sieve", plain, tls).last == Failed("conn.closed", phase)


def test_after_tls_no_and_bye(run):
    out = run("sieve", GREETING + BEGIN, b'NO "TLS broke"\r\n')
    assert out.last.finding_id == "conn.protocol_error"
    out = run("sieve", GREETING + BEGIN, b'BYE "TLS broke"\r\n')
    assert out.last.finding_id == "conn.closed"


def test_bytes_after_starttls_reply(run):
    out = run("sieve", GREETING + BEGIN + b'"SASL" "PLAIN"\r\nOK\r\n', TLS_GREETING)
    assert out.result.bytes_after_starttls_reply == b'"SASL" "PLAIN"\r\nOK\r\n'
    assert out.result.capabilities_after_tls == TLS_CAPS


def test_post_tls_capabilities_off(run):
    out = run("sieve", GREETING + BEGIN, post_tls_capabilities=False)
    assert out.actions == [Send(b"STARTTLS\r\n"), StartTLS(), LOGOUT, Finished()]


def test_implicit_tls(run):
    out = run("sieve", b"", TLS_GREETING, implicit_tls=True)
    assert out.actions == [StartTLS(), LOGOUT, Finished()]
    assert out.result.capabilities_after_tls == TLS_CAPS
    assert out.result.banner == "TLS negotiation successful."
    assert out.result.starttls_offered is None


def test_helpers():
    assert strings('"a" "b\\"c"') == ["a", 'b"c']
    assert strings('"a"x') is None
    assert capability(["sasl", 'a"b']) == 'SASL "a\\"b"'


def test_nothing_after_finished():
    d = make_dialogue("sieve", implicit_tls=False)
    d.start()
    assert d.receive_data(b'"SASL" "PLAIN"\r\nOK\r\nOK more\r\n') == [LOGOUT, Finished()]
    assert d.receive_data(b"OK\r\n") == []
