"""POP3 dialogue: real Dovecot texts, every split, every failure."""

from __future__ import annotations

import pytest

from mailtls.proto import Failed, Finished, Send, StartTLS, make_dialogue

GREETING = b"+OK Dovecot (Debian) ready.\r\n"
CAPA = (
    b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n"
    b"USER\r\nSASL PLAIN\r\n.\r\n"
)
CAPS = (
    "CAPA",
    "TOP",
    "UIDL",
    "RESP-CODES",
    "PIPELINING",
    "AUTH-RESP-CODE",
    "STLS",
    "USER",
    "SASL PLAIN",
)
STLS_OK = b"+OK Begin TLS negotiation now.\r\n"
TLS_CAPA = (
    b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\n"
    b"SASL PLAIN LOGIN\r\n.\r\n"
)
TLS_CAPS = (
    "CAPA",
    "TOP",
    "UIDL",
    "RESP-CODES",
    "PIPELINING",
    "AUTH-RESP-CODE",
    "USER",
    "SASL PLAIN LOGIN",
)
CAPA_CMD = Send(b"CAPA\r\n")
QUIT = Send(b"QUIT\r\n")


def test_dovecot_full_dialogue(run):
    out = run("pop3", GREETING + CAPA + STLS_OK, TLS_CAPA)
    assert out.actions == [CAPA_CMD, Send(b"STLS\r\n"), StartTLS(), CAPA_CMD, QUIT, Finished()]
    r = out.result
    assert r.banner == "Dovecot (Debian) ready."
    assert r.greeting_lines == ["+OK Dovecot (Debian) ready."]
    assert r.capabilities_before_tls == CAPS
    assert r.capabilities_after_tls == TLS_CAPS
    assert r.starttls_offered is True
    assert r.tls_started is True
    assert r.bytes_after_starttls_reply == b""
    assert r.last_reply == TLS_CAPA.decode().replace("\r\n", "\n").rstrip("\n")
    assert r.transcript[0] == ("S", "+OK Dovecot (Debian) ready.")
    assert r.transcript[-1] == ("C", "QUIT")


def test_dot_unstuffing_and_keyword_case(run):
    capa = b"+OK Capability list follows\r\n..DOTTED thing\r\nstls\r\n\r\nsasl PLAIN\r\n.\r\n"
    out = run("pop3", GREETING + capa + STLS_OK, TLS_CAPA)
    assert out.result.capabilities_before_tls == (".DOTTED thing", "STLS", "SASL PLAIN")
    assert out.result.starttls_offered is True


def test_capa_err_means_no_capabilities_and_stls_not_tried(run):
    out = run("pop3", GREETING + b"-ERR Unknown command: CAPA\r\n")
    assert out.actions == [CAPA_CMD, QUIT, Finished()]
    assert out.result.capabilities_before_tls == ()
    assert out.result.starttls_offered is False
    assert b"STLS" not in out.sent


def test_stls_not_offered(run):
    out = run("pop3", GREETING + b"+OK\r\nUSER\r\nTOP\r\n.\r\n")
    assert out.actions == [CAPA_CMD, QUIT, Finished()]
    assert out.result.starttls_offered is False


def test_stls_refused(run):
    out = run("pop3", GREETING + CAPA + b"-ERR TLS support isn't enabled.\r\n")
    assert out.actions == [
        CAPA_CMD,
        Send(b"STLS\r\n"),
        Failed("starttls.refused", "-ERR TLS support isn't enabled."),
    ]


def test_err_greeting_is_rate_limited(run):
    line = "-ERR [SYS/TEMP] Too many connections from your IP address"
    out = run("pop3", line.encode() + b"\r\n")
    assert out.actions == [Failed("conn.rate_limited", line)]


@pytest.mark.parametrize(
    "banner",
    [
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
        b"HTTP/1.1 400 Bad Request\r\n",
        b"* OK IMAP ready\r\n",
        b"+OKAY\r\n",
        b"\xff\xfe\x00garbage\n",
    ],
)
def test_garbage_greeting(run, banner):
    out = run("pop3", banner)
    assert len(out.actions) == 1
    assert out.last.finding_id == "conn.protocol_error"
    assert out.last.reason.startswith("the unexpected line '")
    assert out.last.reason.endswith("while waiting for the greeting")


def test_garbage_reply_to_stls(run):
    out = run("pop3", GREETING + CAPA + b"220 ready\r\n")
    assert out.last == Failed(
        "conn.protocol_error",
        "the unexpected line '220 ready' while waiting for the reply to STARTTLS",
    )


@pytest.mark.parametrize(
    "plain, tls, phase",
    [
        (b"", b"", "waiting for the greeting"),
        (GREETING, b"", "waiting for the capabilities"),
        (GREETING + b"+OK\r\nSTLS\r\n", b"", "waiting for the capabilities"),
        (GREETING + CAPA, b"", "waiting for the reply to STARTTLS"),
        (
            GREETING + CAPA + STLS_OK,
            b"+OK\r\nUSER\r\n",
            "waiting for the capabilities after the TLS handshake",
        ),
    ],
)
def test_eof_names_the_phase(run, plain, tls, phase):
    assert run("pop3", plain, tls).last == Failed("conn.closed", phase)


def test_bytes_after_stls_reply(run):
    out = run("pop3", GREETING + CAPA + STLS_OK + b"+OK injected\r\n", TLS_CAPA)
    assert out.result.bytes_after_starttls_reply == b"+OK injected\r\n"
    assert out.last == Finished()


def test_post_tls_capa_err(run):
    out = run("pop3", GREETING + CAPA + STLS_OK, b"-ERR no\r\n")
    assert out.actions[-2:] == [QUIT, Finished()]
    assert out.result.capabilities_after_tls == ()


def test_post_tls_capabilities_off(run):
    out = run("pop3", GREETING + CAPA + STLS_OK, post_tls_capabilities=False)
    assert out.actions[-3:] == [StartTLS(), QUIT, Finished()]


def test_implicit_tls_pop3s(run):
    out = run("pop3", b"", GREETING + TLS_CAPA, implicit_tls=True)
    assert out.actions == [StartTLS(), CAPA_CMD, QUIT, Finished()]
    assert out.result.capabilities_after_tls == TLS_CAPS
    assert out.result.starttls_offered is None
    assert out.result.banner == "Dovecot (Debian) ready."


def test_nothing_after_failed():
    d = make_dialogue("pop3", implicit_tls=False)
    d.start()
    assert d.receive_data(b"-ERR busy\r\n+OK late\r\n") == [
        Failed("conn.rate_limited", "-ERR busy")
    ]
    assert d.receive_data(b"+OK\r\n") == []
