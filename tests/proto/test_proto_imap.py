"""IMAP dialogue: real Dovecot texts, every split, every failure."""

from __future__ import annotations

import pytest

from mailtls.proto import Failed, Finished, Send, StartTLS, make_dialogue

DOVECOT_GREETING = (
    b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
    b"LOGINDISABLED AUTH=PLAIN] Dovecot (Debian) ready.\r\n"
)
DOVECOT_CAPS = (
    "IMAP4REV1",
    "SASL-IR",
    "LOGIN-REFERRALS",
    "ID",
    "ENABLE",
    "IDLE",
    "LITERAL+",
    "STARTTLS",
    "LOGINDISABLED",
    "AUTH=PLAIN",
)


def tls_caps(tag: str) -> bytes:
    return (
        b"* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN "
        b"AUTH=LOGIN\r\n"
        + tag.encode()
        + b" OK Pre-login capabilities listed, post-login capabilities have more.\r\n"
    )


TLS_CAPS = (
    "IMAP4REV1",
    "SASL-IR",
    "LOGIN-REFERRALS",
    "ID",
    "ENABLE",
    "IDLE",
    "LITERAL+",
    "AUTH=PLAIN",
    "AUTH=LOGIN",
)


def test_dovecot_greeting_with_capabilities_skips_capability_command(run):
    out = run("imap", DOVECOT_GREETING + b"a1 OK Begin TLS negotiation now.\r\n", tls_caps("a2"))
    assert out.actions == [
        Send(b"a1 STARTTLS\r\n"),
        StartTLS(),
        Send(b"a2 CAPABILITY\r\n"),
        Send(b"a3 LOGOUT\r\n"),
        Finished(),
    ]
    r = out.result
    assert r.banner == "Dovecot (Debian) ready."
    assert r.greeting_lines == [DOVECOT_GREETING.decode().rstrip("\r\n")]
    assert r.capabilities_before_tls == DOVECOT_CAPS
    assert r.capabilities_after_tls == TLS_CAPS
    assert r.starttls_offered is True
    assert r.tls_started is True
    assert r.bytes_after_starttls_reply == b""
    assert r.last_reply is not None and r.last_reply.startswith("* CAPABILITY IMAP4rev1")
    assert r.transcript[-1] == ("C", "a3 LOGOUT")


def test_greeting_without_capabilities_asks_for_them(run):
    plain = (
        b"* OK IMAP4 server ready\r\n"
        b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\n"
        b"* OK [ALERT] untagged lines before the tagged one are collected\r\n"
        b"a1 OK CAPABILITY completed\r\n"
        b"a2 OK Begin TLS negotiation now\r\n"
    )
    out = run("imap", plain, tls_caps("a3"))
    assert out.actions == [
        Send(b"a1 CAPABILITY\r\n"),
        Send(b"a2 STARTTLS\r\n"),
        StartTLS(),
        Send(b"a3 CAPABILITY\r\n"),
        Send(b"a4 LOGOUT\r\n"),
        Finished(),
    ]
    assert out.result.banner == "IMAP4 server ready"
    assert out.result.capabilities_before_tls == (
        "IMAP4REV1",
        "STARTTLS",
        "AUTH=GSSAPI",
        "LOGINDISABLED",
    )
    assert out.result.capabilities_after_tls == TLS_CAPS
    assert ("S", "* OK [ALERT] untagged lines before the tagged one are collected") in (
        out.result.transcript
    )


def test_capabilities_from_tagged_response_code(run):
    plain = b"* OK ready\r\na1 OK [CAPABILITY IMAP4rev1 STARTTLS] done\r\na2 OK go\r\n"
    out = run("imap", plain, b"a3 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] done\r\n")
    assert out.result.capabilities_before_tls == ("IMAP4REV1", "STARTTLS")
    assert out.result.capabilities_after_tls == ("IMAP4REV1", "AUTH=PLAIN")
    assert out.last == Finished()


def test_preauth_greeting(run):
    out = run("imap", b"* PREAUTH [CAPABILITY IMAP4rev1] Logged in as joe\r\n")
    assert out.actions == [Send(b"a1 LOGOUT\r\n"), Finished()]
    assert out.result.banner == "Logged in as joe"
    assert out.result.greeting_lines == ["* PREAUTH [CAPABILITY IMAP4rev1] Logged in as joe"]
    assert out.result.starttls_offered is False


def test_bye_greeting_is_rate_limited(run):
    out = run("imap", b"* BYE Too many connections from your IP, try again later\r\n")
    assert out.actions == [
        Failed("conn.rate_limited", "* BYE Too many connections from your IP, try again later")
    ]


def test_starttls_not_offered(run):
    out = run("imap", b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
    assert out.actions == [Send(b"a1 LOGOUT\r\n"), Finished()]
    assert out.result.starttls_offered is False
    assert out.result.capabilities_before_tls == ("IMAP4REV1", "AUTH=PLAIN")


@pytest.mark.parametrize("status", ["NO", "BAD"])
def test_starttls_refused(run, status):
    line = f"a1 {status} TLS support isn't enabled."
    out = run("imap", DOVECOT_GREETING + line.encode() + b"\r\n")
    assert out.actions == [Send(b"a1 STARTTLS\r\n"), Failed("starttls.refused", line)]


def test_bye_during_starttls_is_conn_closed(run):
    out = run("imap", DOVECOT_GREETING + b"* BYE Server shutting down.\r\n")
    assert out.last == Failed(
        "conn.closed",
        "waiting for the reply to STARTTLS (the server said '* BYE Server shutting down.')",
    )


def test_capability_failure_is_protocol_error(run):
    out = run("imap", b"* OK ready\r\na1 BAD unknown command\r\n")
    assert out.last.finding_id == "conn.protocol_error"
    assert "a1 BAD unknown command" in out.last.reason


@pytest.mark.parametrize(
    "line, what",
    [
        (b"a7 OK wrong tag\r\n", "the unexpected line 'a7 OK wrong tag'"),
        (b"+ go ahead\r\n", "the unexpected line '+ go ahead'"),
        (b"a1 MAYBE\r\n", "the unexpected line 'a1 MAYBE'"),
        (b"* ID {12}\r\n", "a literal, which this client does not read, in '* ID {12}'"),
    ],
)
def test_bad_responses_are_protocol_errors(run, line, what):
    out = run("imap", DOVECOT_GREETING + line)
    assert out.last == Failed(
        "conn.protocol_error", f"{what} while waiting for the reply to STARTTLS"
    )


@pytest.mark.parametrize(
    "banner",
    [
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
        b"HTTP/1.1 400 Bad Request\r\n",
        b"220 mail.example.com ESMTP Postfix\r\n",
        b"+OK Dovecot ready.\r\n",
        b"*OK no space\r\n",
        b"\x00\x01\x02\xff\n",
    ],
)
def test_garbage_greeting(run, banner):
    out = run("imap", banner)
    assert out.last.finding_id == "conn.protocol_error"
    assert out.last.reason.endswith("while waiting for the greeting")
    assert out.last.reason.startswith("the unexpected line '")
    assert len(out.actions) == 1


@pytest.mark.parametrize(
    "plain, tls, phase",
    [
        (b"", b"", "waiting for the greeting"),
        (b"* OK ready\r\n", b"", "waiting for the capabilities"),
        (b"* OK ready\r\n* CAPABILITY IMAP4rev1\r\n", b"", "waiting for the capabilities"),
        (DOVECOT_GREETING, b"", "waiting for the reply to STARTTLS"),
        (
            DOVECOT_GREETING + b"a1 OK go\r\n",
            b"* CAPABILITY X\r\n",
            "waiting for the capabilities after the TLS handshake",
        ),
    ],
)
def test_eof_names_the_phase(run, plain, tls, phase):
    assert run("imap", plain, tls).last == Failed("conn.closed", phase)


def test_bytes_after_starttls_reply(run):
    injected = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"
    out = run(
        "imap",
        DOVECOT_GREETING + b"a1 OK Begin TLS negotiation now.\r\n" + injected,
        tls_caps("a2"),
    )
    assert out.result.bytes_after_starttls_reply == injected
    assert out.result.capabilities_after_tls == TLS_CAPS


def test_post_tls_capabilities_off(run):
    out = run("imap", DOVECOT_GREETING + b"a1 OK go\r\n", post_tls_capabilities=False)
    assert out.actions == [Send(b"a1 STARTTLS\r\n"), StartTLS(), Send(b"a2 LOGOUT\r\n"), Finished()]


def test_implicit_tls_imaps_with_greeting_capabilities(run):
    greeting = b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] Dovecot (Debian) ready.\r\n"
    out = run("imap", b"", greeting, implicit_tls=True)
    assert out.actions == [StartTLS(), Send(b"a1 LOGOUT\r\n"), Finished()]
    assert out.result.capabilities_after_tls == ("IMAP4REV1", "SASL-IR", "AUTH=PLAIN")
    assert out.result.capabilities_before_tls == ()
    assert out.result.starttls_offered is None
    assert out.result.banner == "Dovecot (Debian) ready."


def test_implicit_tls_imaps_asks_for_capabilities(run):
    out = run("imap", b"", b"* OK ready\r\n" + tls_caps("a1"), implicit_tls=True)
    assert out.actions == [
        StartTLS(),
        Send(b"a1 CAPABILITY\r\n"),
        Send(b"a2 LOGOUT\r\n"),
        Finished(),
    ]
    assert out.result.capabilities_after_tls == TLS_CAPS


def test_implicit_tls_bye(run):
    out = run("imap", b"", b"* BYE go away\r\n", implicit_tls=True)
    assert out.actions == [StartTLS(), Failed("conn.rate_limited", "* BYE go away")]


def test_nothing_after_finished():
    d = make_dialogue("imap", implicit_tls=False)
    d.start()
    assert d.receive_data(b"* OK [CAPABILITY IMAP4rev1] hi\r\n* BYE bye\r\n") == [
        Send(b"a1 LOGOUT\r\n"),
        Finished(),
    ]
    assert d.receive_data(b"a1 OK bye\r\n") == []
