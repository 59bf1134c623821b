"""SMTP dialogue: real Postfix and postscreen texts, every split, every failure."""

from __future__ import annotations

import pytest

from mailtls.proto import (
    Failed,
    Finished,
    Send,
    SMTPDialogue,
    StartTLS,
    State,
    make_dialogue,
)

GREETING = b"220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n"
EHLO_LINES = [
    "mail.example.com",
    "PIPELINING",
    "SIZE 10240000",
    "VRFY",
    "ETRN",
    "STARTTLS",
    "ENHANCEDSTATUSCODES",
    "8BITMIME",
    "DSN",
    "SMTPUTF8",
    "CHUNKING",
]
CAPS_BEFORE = (
    "PIPELINING",
    "SIZE 10240000",
    "VRFY",
    "ETRN",
    "STARTTLS",
    "ENHANCEDSTATUSCODES",
    "8BITMIME",
    "DSN",
    "SMTPUTF8",
    "CHUNKING",
)


def reply(code: int, lines: list[str]) -> bytes:
    out = [f"{code}-{line}\r\n" for line in lines[:-1]] + [f"{code} {lines[-1]}\r\n"]
    return "".join(out).encode()


EHLO = reply(250, EHLO_LINES)
READY = b"220 2.0.0 Ready to start TLS\r\n"
EHLO_TLS = reply(
    250,
    [
        "mail.example.com",
        "PIPELINING",
        "SIZE 10240000",
        "VRFY",
        "ETRN",
        "AUTH PLAIN LOGIN",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
        "CHUNKING",
    ],
)
SEND_EHLO = Send(b"EHLO scanner.example\r\n")
SEND_QUIT = Send(b"QUIT\r\n")


def test_postfix_starttls_full_dialogue(run):
    out = run("smtp", GREETING + EHLO + READY, EHLO_TLS, ehlo="scanner.example")
    assert out.actions == [
        SEND_EHLO,
        Send(b"STARTTLS\r\n"),
        StartTLS(),
        SEND_EHLO,
        SEND_QUIT,
        Finished(),
    ]
    r = out.result
    assert r.banner == "mail.example.com ESMTP Postfix (Debian/GNU)"
    assert r.greeting_lines == ["220 mail.example.com ESMTP Postfix (Debian/GNU)"]
    assert r.capabilities_before_tls == CAPS_BEFORE
    assert "AUTH PLAIN LOGIN" in r.capabilities_after_tls
    assert "STARTTLS" not in r.capabilities_after_tls
    assert r.starttls_offered is True
    assert r.tls_started is True
    assert r.bytes_after_starttls_reply == b""
    assert r.last_reply is not None and r.last_reply.endswith("250 CHUNKING")
    assert r.transcript[:3] == [
        ("S", "220 mail.example.com ESMTP Postfix (Debian/GNU)"),
        ("C", "EHLO scanner.example"),
        ("S", "250-mail.example.com"),
    ]
    assert ("C", "STARTTLS") in r.transcript
    assert r.transcript[-1] == ("C", "QUIT")
    assert out.dialogue.state is State.DONE and out.dialogue.finished


def test_postscreen_multiline_greeting(run):
    greeting = (
        b"220-mail.example.com ESMTP Postfix (Debian/GNU)\r\n"
        b"220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n"
    )
    out = run("smtp", greeting + EHLO + READY, EHLO_TLS, ehlo="scanner.example")
    assert out.actions[:2] == [SEND_EHLO, Send(b"STARTTLS\r\n")]
    assert out.last == Finished()
    assert out.result.banner == "mail.example.com ESMTP Postfix (Debian/GNU)"
    assert out.result.greeting_lines == [
        "220-mail.example.com ESMTP Postfix (Debian/GNU)",
        "220 mail.example.com ESMTP Postfix (Debian/GNU)",
    ]


def test_starttls_as_last_ehlo_line_and_bare_lf(run):
    ehlo = b"250-mx.example.net Hello\n250-SIZE 52428800\n250-8BITMIME\n250 STARTTLS\n"
    out = run("smtp", b"220 mx.example.net ESMTP Exim 4.96\n" + ehlo + READY, EHLO_TLS)
    assert out.result.capabilities_before_tls == ("SIZE 52428800", "8BITMIME", "STARTTLS")
    assert out.result.starttls_offered is True
    assert out.actions[0] == Send(b"EHLO mailtls.invalid\r\n")
    assert out.last == Finished()


def test_keywords_upper_cased_parameters_kept(run):
    ehlo = reply(250, ["mx", "auth PLAIN login", "size", "StartTLS"])
    out = run("smtp", GREETING + ehlo + READY, EHLO_TLS)
    assert out.result.capabilities_before_tls == ("AUTH PLAIN login", "SIZE", "STARTTLS")


def test_bare_code_ends_reply(run):
    out = run("smtp", b"220-hello\r\n220\r\n250\r\n")
    assert out.result.banner == "hello"
    assert out.result.capabilities_before_tls == ()
    assert out.actions == [Send(b"EHLO mailtls.invalid\r\n"), SEND_QUIT, Finished()]


def test_starttls_not_offered_quits_without_waiting(run):
    ehlo = reply(250, ["mail.example.com", "PIPELINING", "SIZE 10240000", "8BITMIME"])
    out = run("smtp", GREETING + ehlo, ehlo="scanner.example")
    assert out.actions == [SEND_EHLO, SEND_QUIT, Finished()]
    assert out.result.starttls_offered is False
    assert out.result.tls_started is False
    assert out.result.capabilities_before_tls == ("PIPELINING", "SIZE 10240000", "8BITMIME")


@pytest.mark.parametrize(
    "greeting",
    [
        b"421 4.3.2 All server ports are busy\r\n",
        b"421 4.7.0 mail.example.com Error: too many connections from 192.0.2.1\r\n",
        b"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked\r\n",
        b"450 4.7.1 try again later\r\n",
        b"554-mail.example.com\r\n554 No SMTP service here\r\n",
    ],
)
def test_refused_greeting_is_rate_limited(run, greeting):
    out = run("smtp", greeting)
    expected = " ".join(greeting.decode().split("\r\n")[:-1])
    assert out.actions == [Failed("conn.rate_limited", expected)]
    assert out.result.banner is None


def test_starttls_refused_454(run):
    out = run("smtp", GREETING + EHLO + b"454 4.7.0 TLS not available due to local problem\r\n")
    assert out.actions[-1] == Failed(
        "starttls.refused", "454 4.7.0 TLS not available due to local problem"
    )
    assert out.actions[:-1] == [Send(b"EHLO mailtls.invalid\r\n"), Send(b"STARTTLS\r\n")]
    assert out.result.starttls_offered is True
    assert out.result.tls_started is False


@pytest.mark.parametrize(
    "plain, tls",
    [
        (GREETING + b"421 4.7.0 mail.example.com Error: too many errors\r\n", b""),
        (GREETING + EHLO + b"421 4.7.0 Try again later\r\n", b""),
        (GREETING + EHLO + READY, b"421 4.7.0 mail.example.com Error: timeout\r\n"),
    ],
)
def test_421_anywhere_is_rate_limited(run, plain, tls):
    out = run("smtp", plain, tls)
    assert isinstance(out.last, Failed)
    assert out.last.finding_id == "conn.rate_limited"
    assert out.last.reason.startswith("421 4.7.0")


def test_ehlo_refused_is_protocol_error_and_helo_never_sent(run):
    out = run("smtp", GREETING + b"502 5.5.2 Error: command not recognized\r\n")
    assert out.last.finding_id == "conn.protocol_error"
    assert "502 5.5.2 Error: command not recognized" in out.last.reason
    assert b"HELO" not in out.sent


@pytest.mark.parametrize(
    "plain, tls, phase",
    [
        (b"", b"", "waiting for the greeting"),
        (b"220-mail.example.com\r\n", b"", "waiting for the greeting"),
        (GREETING, b"", "waiting for the capabilities"),
        (GREETING + b"250-mail.example.com\r\n", b"", "waiting for the capabilities"),
        (GREETING + EHLO, b"", "waiting for the reply to STARTTLS"),
        (GREETING + EHLO + READY, b"", "waiting for the capabilities after the TLS handshake"),
    ],
)
def test_eof_names_the_phase(run, plain, tls, phase):
    out = run("smtp", plain, tls)
    assert out.last == Failed("conn.closed", phase)


def test_eof_mid_line_quotes_the_fragment(run):
    out = run("smtp", b"220 mail.exa")
    assert out.last == Failed(
        "conn.closed", "waiting for the greeting (after an incomplete line '220 mail.exa')"
    )


def test_eof_while_waiting_for_handshake():
    d = make_dialogue("smtp", implicit_tls=True)
    assert d.start() == [StartTLS()]
    assert d.receive_data(b"") == [Failed("conn.closed", "waiting for the TLS handshake")]


@pytest.mark.parametrize(
    "banner, shown",
    [
        (b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'"),
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "'HTTP/1.1 400 Bad Request'"),
        (b"\x16\x03\x01\x00\x02\x02\x46\n", "'\\x16\\x03\\x01\\x00\\x02\\x02F'"),
        (b"2200 too many digits\r\n", "'2200 too many digits'"),
        (b"22 too few\r\n", "'22 too few'"),
        ("\u0662\u0662\u0660 arabic digits\r\n".encode(), "'\\u0662\\u0662\\u0660 arabic digits'"),
        (b"220_underscore\r\n", "'220_underscore'"),
        (b"600 out of range\r\n", "'600 out of range'"),  # RFC 5321 4.2: 2xx-5xx
        (b"260 second digit\r\n", "'260 second digit'"),  # second digit 0-5
        (b"199 preliminary\r\n", "'199 preliminary'"),
    ],
)
def test_garbage_banner_is_protocol_error(run, banner, shown):
    out = run("smtp", banner)
    assert out.actions == [
        Failed("conn.protocol_error", f"the unexpected line {shown} while waiting for the greeting")
    ]


def test_garbage_quote_is_cut_at_60_chars(run):
    out = run("smtp", b"X" * 100 + b"\r\n")
    assert out.last.reason == f"the unexpected line '{'X' * 60}' while waiting for the greeting"


def test_code_must_not_change_within_a_reply(run):
    out = run("smtp", b"220-mail.example.com\r\n250 oops\r\n")
    assert out.last.finding_id == "conn.protocol_error"
    assert "from 220 to 250" in out.last.reason


def test_odd_greeting_code_is_protocol_error(run):
    out = run("smtp", b"250 mail.example.com\r\n")
    assert out.last.finding_id == "conn.protocol_error"


def test_bytes_after_starttls_reply_are_kept_not_parsed(run):
    injected = b"250-injected\r\n250 AUTH PLAIN\r\n"
    out = run("smtp", GREETING + EHLO + READY + injected, EHLO_TLS)
    assert out.result.bytes_after_starttls_reply == injected
    assert out.actions[2] == StartTLS()
    assert out.last == Finished()
    assert "AUTH PLAIN LOGIN" in out.result.capabilities_after_tls
    assert ("S", "250-injected") not in out.result.transcript


def test_bytes_arriving_while_awaiting_handshake_are_kept():
    d = make_dialogue("smtp", implicit_tls=False)
    d.start()
    d.receive_data(GREETING + EHLO)
    assert d.receive_data(READY + b"AB") == [StartTLS()]
    assert d.receive_data(b"CD") == []
    assert d.result.bytes_after_starttls_reply == b"ABCD"
    assert d.tls_established() == [Send(b"EHLO mailtls.invalid\r\n")]


def test_post_tls_capabilities_off_quits_at_once(run):
    out = run("smtp", GREETING + EHLO + READY, post_tls_capabilities=False)
    assert out.actions[-3:] == [StartTLS(), SEND_QUIT, Finished()]
    assert out.result.capabilities_after_tls == ()
    assert out.result.tls_started is True


def test_implicit_tls_smtps(run):
    out = run("smtp", b"", GREETING + EHLO_TLS, implicit_tls=True, ehlo="scanner.example")
    assert out.actions == [StartTLS(), SEND_EHLO, SEND_QUIT, Finished()]
    r = out.result
    assert r.starttls_offered is None
    assert r.tls_started is True
    assert r.capabilities_before_tls == ()
    assert "AUTH PLAIN LOGIN" in r.capabilities_after_tls
    assert r.banner == "mail.example.com ESMTP Postfix (Debian/GNU)"


def test_implicit_tls_without_post_tls_capabilities_reads_greeting_then_quits(run):
    out = run("smtp", b"", GREETING, implicit_tls=True, post_tls_capabilities=False)
    assert out.actions == [StartTLS(), SEND_QUIT, Finished()]
    assert out.result.banner == "mail.example.com ESMTP Postfix (Debian/GNU)"


def test_implicit_tls_greeting_421(run):
    out = run("smtp", b"", b"421 4.3.2 All server ports are busy\r\n", implicit_tls=True)
    assert out.actions == [
        StartTLS(),
        Failed("conn.rate_limited", "421 4.3.2 All server ports are busy"),
    ]


def test_post_tls_ehlo_refused(run):
    out = run("smtp", GREETING + EHLO + READY, b"554 5.5.1 Error: no valid recipients\r\n")
    assert out.last.finding_id == "conn.protocol_error"
    assert out.result.tls_started is True


def test_nothing_after_terminal_actions():
    d = make_dialogue("smtp", implicit_tls=False)
    d.start()
    d.receive_data(GREETING)
    assert d.receive_data(reply(250, ["mx", "SIZE 1"])) == [
        Send(b"QUIT\r\n"),
        Finished(),
    ]
    assert d.receive_data(b"221 2.0.0 Bye\r\n") == []
    assert d.receive_data(b"") == []
    assert d.tls_established() == []

    d = make_dialogue("smtp", implicit_tls=False)
    d.start()
    assert d.receive_data(b"HTTP/1.0 200 OK\r\n220 late\r\n")[0].finding_id == (
        "conn.protocol_error"
    )
    assert d.receive_data(b"220 ok\r\n") == []
    assert d.state is State.FAILED


def test_transcript_is_capped():
    d = make_dialogue("smtp", implicit_tls=False)
    d.start()
    d.receive_data(b"".join(b"220-" + b"x" * 1000 + b"\r\n" for _ in range(300)))
    assert len(d.result.transcript) == 200
    assert all(len(line) == 500 for _, line in d.result.transcript)


def test_utf8_and_latin1_lines_decode():
    d = make_dialogue("smtp", implicit_tls=False)
    d.start()
    d.receive_data("220-mx.例え.jp ESMTP\r\n".encode() + b"220 caf\xe9\r\n")
    assert d.result.banner == "mx.例え.jp ESMTP"
    assert d.result.greeting_lines[1] == "220 café"


def test_bad_arguments():
    with pytest.raises(ValueError):
        make_dialogue("smtp", implicit_tls=False, ehlo="a\r\nRCPT TO:<x>")
    with pytest.raises(ValueError):
        make_dialogue("smtp", implicit_tls=False, ehlo="")
    with pytest.raises(ValueError):
        make_dialogue("http", implicit_tls=False)
    with pytest.raises(ValueError):
        make_dialogue("smtp", implicit_tls=False, max_line=0)
    assert isinstance(make_dialogue("smtp", implicit_tls=False), SMTPDialogue)


def test_caller_misuse_raises():
    d = make_dialogue("smtp", implicit_tls=False)
    with pytest.raises(RuntimeError):
        d.receive_data(GREETING)
    d.start()
    with pytest.raises(RuntimeError):
        d.start()
    with pytest.raises(RuntimeError):
        d.tls_established()
