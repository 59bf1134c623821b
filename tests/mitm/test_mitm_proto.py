"""The rogue servers' dialogues, sans-I/O, fed byte by byte."""

from __future__ import annotations

import base64

from mailtls.proto.server_base import Close, Send, ServerAction, ServerOptions, StartTLS
from mailtls.proto.server_imap import IMAPServer
from mailtls.proto.server_pop3 import POP3Server
from mailtls.proto.server_smtp import INJECTED, SMTPServer


def feed(server: SMTPServer | IMAPServer | POP3Server, data: bytes) -> list[ServerAction]:
    out: list[ServerAction] = []
    for i in range(len(data)):
        out += server.receive_data(data[i:i + 1])
    return out


def sent(actions: list[ServerAction]) -> bytes:
    return b"".join(a.data for a in actions if isinstance(a, Send))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_smtp_plain_login_in_clear_text_is_captured_masked() -> None:
    s = SMTPServer(ServerOptions(offer_starttls=False))
    s.start()
    out = feed(s, b"EHLO c\r\nAUTH PLAIN " + b64("\0alice\0pw-1").encode() + b"\r\n"
               b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\nSubject: s\r\n"
               b"..dot\r\n.\r\nQUIT\r\n")
    assert b"STARTTLS" not in sent(out) and isinstance(out[-1], Close)
    cap = s.capture
    assert [(a.mechanism, a.user, a.password_captured, a.over_tls) for a in cap.auth] == [
        ("PLAIN", "alice", True, False)]
    assert cap.mail_from == ["a@x.test"] and cap.recipients == ["b@x.test"]
    assert cap.message == b"Subject: s\r\n.dot\r\n" and cap.credentials_sent
    assert "pw-1" not in repr(cap)


def test_smtp_auth_login_two_steps() -> None:
    s = SMTPServer(ServerOptions())
    s.start()
    out = feed(s, f"AUTH LOGIN\r\n{b64('bob')}\r\n{b64('pw')}\r\n".encode())
    assert sent(out) == b"334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication " \
        b"successful\r\n"
    assert (s.capture.auth[0].user, s.capture.auth[0].password_captured) == ("bob", True)


def test_smtp_starttls_rejected_and_injected() -> None:
    s = SMTPServer(ServerOptions(starttls="reject"))
    s.start()
    assert sent(feed(s, b"STARTTLS\r\n")).startswith(b"454 ")
    s = SMTPServer(ServerOptions(starttls="inject"))
    s.start()
    out = feed(s, b"STARTTLS\r\nEHLO pipelined-in-clear\r\n")
    assert out == [Send(b"220 2.0.0 Ready to start TLS\r\n" + INJECTED), StartTLS()]
    assert s.capture.commands_before_tls == ["STARTTLS"]  # the pipelined line is dropped
    s.tls_established("TLSv1.3 X")
    assert feed(s, b"EHLO c\r\n") == [] and s.holding  # the reply is held back
    out = feed(s, b"AUTH PLAIN " + b64("\0u\0p").encode() + b"\r\n")
    assert s.capture.desync and sent(out).startswith(b"250-")


def test_injection_without_desync_releases_the_reply() -> None:
    s = SMTPServer(ServerOptions(starttls="inject"))
    s.start()
    feed(s, b"STARTTLS\r\n")
    s.tls_established("TLSv1.3 X")
    feed(s, b"EHLO c\r\n")
    assert sent(s.release()).startswith(b"250-") and not s.capture.desync


def test_garbage_and_overlong_lines_close() -> None:
    s = SMTPServer(ServerOptions())
    s.start()
    out = feed(s, b"\x00\xff junk\r\n")
    assert sent(out).startswith(b"500") and s.capture.garbage == 1
    assert isinstance(s.receive_data(b"A" * 9000)[-1], Close)
    many = SMTPServer(ServerOptions())
    many.start()
    assert isinstance(many.receive_data(b"x\r\n" * 30)[-1], Close)


def test_imap_login_quoted_literal_and_authenticate() -> None:
    s = IMAPServer(ServerOptions())
    s.start()
    feed(s, b'a1 LOGIN "al\\"ice" "pw"\r\n')
    out = feed(s, b"a2 LOGIN bob {2}\r\n")
    assert sent(out) == b"+ Ready\r\n"
    feed(s, b"pw\r\na3 AUTHENTICATE PLAIN\r\n" + b64("\0carol\0pw").encode() + b"\r\n")
    assert [(a.mechanism, a.user, a.password_captured) for a in s.capture.auth] == [
        ("LOGIN", 'al"ice', True), ("LOGIN", "bob", True), ("PLAIN", "carol", True)]
    assert b"STARTTLS" in s.greeting()
    assert b"STARTTLS" not in IMAPServer(ServerOptions(offer_starttls=False)).greeting()


def test_pop3_user_pass_and_stls() -> None:
    s = POP3Server(ServerOptions())
    s.start()
    out = feed(s, b"CAPA\r\nUSER alice\r\nPASS pw\r\nSTLS\r\n")
    assert b"STLS\r\n" in sent(out) and isinstance(out[-1], StartTLS)
    assert (s.capture.auth[0].user, s.capture.auth[0].password_captured) == ("alice", True)
    implicit = POP3Server(ServerOptions(implicit_tls=True))
    assert implicit.start() == [StartTLS()]
    assert sent(implicit.tls_established("TLSv1.2 X")).startswith(b"+OK")
