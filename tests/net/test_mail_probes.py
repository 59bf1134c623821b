"""Mail-specific probes against small real socket servers: one vulnerable to STARTTLS
command injection (it answers what was buffered before the handshake), one sound."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtls.lab.pki import build_lab_pki
from mailtls.model import Target
from mailtls.net.mailprobe import probe_injection, probe_mail_without_tls
from mailtls.proto.injection import InjectionReader, Verdict


class TinySMTP:
    """A one-connection-at-a-time SMTP server in a thread; ``vulnerable`` keeps the
    plaintext pipelined after STARTTLS and answers it inside TLS, as CVE-2011-0411 did."""

    def __init__(
        self, directory: Path, vulnerable: bool, require_tls: bool = False,
        everything: bytes | None = None,
    ) -> None:
        issued = build_lab_pki().situations["good"].issued
        cert, key = issued.write(directory, "tiny")
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.vulnerable = vulnerable
        self.require_tls = require_tls
        self.everything = everything  # inside TLS, the one reply to every command
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            try:
                self._session(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def _session(self, conn: socket.socket) -> None:
        conn.sendall(b"220 tiny ESMTP\r\n")
        buffer = b""
        tls: ssl.SSLSocket | None = None
        io: socket.socket = conn
        while True:
            while b"\r\n" not in buffer:
                data = io.recv(4096)
                if not data:
                    return
                buffer += data
            line, _, buffer = buffer.partition(b"\r\n")
            verb = line.split(b" ", 1)[0].upper()
            if tls is not None and self.everything is not None:
                io.sendall(self.everything + b"\r\n")
            elif verb == b"EHLO":
                caps = b"250-tiny\r\n250-PIPELINING\r\n" + (b"" if tls else b"250-STARTTLS\r\n")
                io.sendall(caps + b"250 8BITMIME\r\n")
            elif verb == b"STARTTLS":
                io.sendall(b"220 go ahead\r\n")
                tls = self.ctx.wrap_socket(conn, server_side=True)
                io = tls
                if not self.vulnerable:
                    buffer = b""  # the fix: forget what came before TLS
            elif verb == b"MAIL":
                io.sendall(
                    b"530 5.7.0 Must issue a STARTTLS command first\r\n"
                    if self.require_tls and tls is None
                    else b"250 2.1.0 Ok\r\n"
                )
            elif verb in (b"NOOP", b"RSET"):
                io.sendall(b"250 2.0.0 Ok\r\n")
            elif verb == b"QUIT":
                io.sendall(b"221 Bye\r\n")
                return
            else:
                io.sendall(b"502 5.5.2 Error: command not recognized\r\n")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TinySMTP]:
    s = TinySMTP(tmp_path, **request.param)
    yield s
    s.close()


@pytest.mark.parametrize(
    ("server", "verdict"),
    [({"vulnerable": True}, Verdict.VULNERABLE), ({"vulnerable": False}, Verdict.NOT_VULNERABLE)],
    indirect=["server"],
)
def test_injection_probe(server: TinySMTP, verdict: Verdict) -> None:
    result = asyncio.run(probe_injection(Target("smtp", "127.0.0.1", server.port), timeout=5))
    assert result.verdict is verdict, result


EVERYTHING = [b"250 2.0.0 Ok", b"503 5.5.1 Error: send HELO/EHLO first", b"354 go on"]


@pytest.mark.parametrize("reply", EVERYTHING)
@pytest.mark.parametrize("vulnerable", [True, False])
def test_injection_probe_counts_replies_whatever_the_codes(
    tmp_path: Path, reply: bytes, vulnerable: bool
) -> None:
    """A server that answers every command inside TLS with the same reply: two replies to
    one probe command are the proof, at once (it used to wait 5 s and say inconclusive)."""
    server = TinySMTP(tmp_path, vulnerable=vulnerable, everything=reply)
    try:
        started = time.monotonic()
        result = asyncio.run(probe_injection(Target("smtp", "127.0.0.1", server.port), timeout=2))
        took = time.monotonic() - started
    finally:
        server.close()
    print(f"{reply[:3].decode()} vulnerable={vulnerable}: {result.verdict.value} in {took:.3f} s")
    if vulnerable:
        assert result.verdict is Verdict.VULNERABLE, result
        assert result.evidence == (reply.decode(), reply.decode())
    elif reply.startswith(b"5"):  # one probe-like reply, no second one
        assert result.verdict is Verdict.NOT_VULNERABLE, result
    else:  # one 2xx/3xx reply to an unknown command: cannot be told apart, never "vulnerable"
        assert result.verdict is Verdict.INCONCLUSIVE, result


@pytest.mark.parametrize(
    ("server", "code"),
    [({"vulnerable": False, "require_tls": True}, 530), ({"vulnerable": False}, 250)],
    indirect=["server"],
)
def test_mail_without_tls(server: TinySMTP, code: int) -> None:
    result = asyncio.run(probe_mail_without_tls(Target("submission", "127.0.0.1", server.port)))
    assert result.code == code and result.starttls_offered is True


def _verdict(reader: InjectionReader, chunks: list[bytes]) -> Verdict:
    """Feed ``chunks`` (b"" is EOF); when the bytes leave it open, the wait ends."""
    got = None
    for c in chunks:
        got = reader.feed(c)
    return got or reader.expire()


@pytest.mark.parametrize(
    ("protocol", "chunks", "verdict"),
    [
        ("smtp", [b"250 2.0.0 Ok\r\n502 5.5.2 no\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"502 5.5.2 no\r\n"], Verdict.NOT_VULNERABLE),
        ("smtp", [b"250-a\r\n250 b\r\n", b"500 x\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"250 ok\r\n", b""], Verdict.INCONCLUSIVE),  # one reply proves nothing
        ("smtp", [b""], Verdict.INCONCLUSIVE),
        ("imap", [b"mtls1 OK NOOP done\r\n", b"mtls2 OK NOOP done\r\n"], Verdict.VULNERABLE),
        ("imap", [b"* 3 EXISTS\r\nmtls2 OK NOOP\r\n"], Verdict.NOT_VULNERABLE),
        ("pop3", [b"+OK\r\n-ERR unknown\r\n"], Verdict.VULNERABLE),
        ("pop3", [b"-ERR unknown command\r\n"], Verdict.NOT_VULNERABLE),
        ("smtp", [b"x" * 5000], Verdict.INCONCLUSIVE),
        # counting: two replies to one command, whatever the codes (issue 9, item 6)
        ("smtp", [b"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"503 5.5.1 EHLO first\r\n503 5.5.1 EHLO first\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"354 go\r\n", b"354 go\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"250-a\r\n250 b\r\n", b"250-a\r\n250 b\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"250 2.0.0 Ok\r\n"], Verdict.INCONCLUSIVE),  # one 250, then silence
        ("pop3", [b"+OK\r\n+OK\r\n"], Verdict.VULNERABLE),
        ("pop3", [b"-ERR no\r\n-ERR no\r\n"], Verdict.VULNERABLE),
        ("imap", [b"mtls1 BAD what\r\n"], Verdict.VULNERABLE),  # the tag says it all
        ("imap", [b"mtls2 OK\r\nmtls1 OK\r\n"], Verdict.NOT_VULNERABLE),  # decided at mtls2
    ],
)
def test_injection_reader(protocol: str, chunks: list[bytes], verdict: Verdict) -> None:
    assert _verdict(InjectionReader(protocol), chunks) is verdict
    if all(chunks):  # the same bytes one at a time give the same verdict
        bytewise = [bytes([b]) for b in b"".join(chunks)]
        assert _verdict(InjectionReader(protocol), bytewise) is verdict


@pytest.mark.parametrize(
    ("protocol", "replies"),
    [("smtp", b"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"), ("smtp", b"503 EHLO first\r\n" * 2),
     ("pop3", b"+OK\r\n+OK\r\n"), ("pop3", b"-ERR\r\n-ERR\r\n")],
)
def test_two_replies_decide_at_once_without_waiting(protocol: str, replies: bytes) -> None:
    """The second reply ends the read: no wait, no expire() needed."""
    reader = InjectionReader(protocol)
    first, second = replies[: len(replies) // 2], replies[len(replies) // 2 :]
    assert reader.feed(first) is None
    assert reader.feed(second) is Verdict.VULNERABLE
    assert reader.replies == 2


def test_a_single_probe_like_reply_lingers_then_is_not_vulnerable() -> None:
    reader = InjectionReader("smtp")
    assert reader.feed(b"502 5.5.2 Error: command not recognized\r\n") is None
    assert reader.lingering
    assert reader.expire() is Verdict.NOT_VULNERABLE


@pytest.mark.parametrize("code", [b"250 2.0.0 Ok", b"502 5.5.2 no", b"421 bye"])
def test_a_reply_before_the_probe_was_sent_is_vulnerable(code: bytes) -> None:
    """Nothing was sent inside TLS yet: any reply answers plaintext from before TLS."""
    reader = InjectionReader("smtp")
    assert reader.early(code + b"\r\n") is Verdict.VULNERABLE
    assert reader.early(b"") is Verdict.VULNERABLE


def test_early_bytes_without_a_whole_reply_decide_nothing() -> None:
    reader = InjectionReader("smtp")
    assert reader.early(b"") is None and reader.early(b"250-partial\r\n") is None
    assert reader.feed(b"250 done\r\n") is None  # the same reply completed after the probe
    assert reader.feed(b"502 no\r\n") is Verdict.VULNERABLE
