"""Mail-specific probes against small real socket servers: one vulnerable to STARTTLS
command injection (it answers what was buffered before the handshake), one sound."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
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

    def __init__(self, directory: Path, vulnerable: bool, require_tls: bool = False) -> None:
        issued = build_lab_pki().situations["good"].issued
        cert, key = issued.write(directory, "tiny")
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.vulnerable = vulnerable
        self.require_tls = require_tls
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
            if verb == b"EHLO":
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


@pytest.mark.parametrize(
    ("server", "code"),
    [({"vulnerable": False, "require_tls": True}, 530), ({"vulnerable": False}, 250)],
    indirect=["server"],
)
def test_mail_without_tls(server: TinySMTP, code: int) -> None:
    result = asyncio.run(probe_mail_without_tls(Target("submission", "127.0.0.1", server.port)))
    assert result.code == code and result.starttls_offered is True


@pytest.mark.parametrize(
    ("protocol", "chunks", "verdict"),
    [
        ("smtp", [b"250 2.0.0 Ok\r\n502 5.5.2 no\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"502 5.5.2 no\r\n"], Verdict.NOT_VULNERABLE),
        ("smtp", [b"250-a\r\n250 b\r\n", b"500 x\r\n"], Verdict.VULNERABLE),
        ("smtp", [b"250 ok\r\n", b""], Verdict.VULNERABLE),
        ("smtp", [b""], Verdict.INCONCLUSIVE),
        ("imap", [b"mtls1 OK NOOP done\r\n", b"mtls2 OK NOOP done\r\n"], Verdict.VULNERABLE),
        ("imap", [b"* 3 EXISTS\r\nmtls2 OK NOOP\r\n"], Verdict.NOT_VULNERABLE),
        ("pop3", [b"+OK\r\n-ERR unknown\r\n"], Verdict.VULNERABLE),
        ("pop3", [b"-ERR unknown command\r\n"], Verdict.NOT_VULNERABLE),
        ("smtp", [b"x" * 5000], Verdict.INCONCLUSIVE),
    ],
)
def test_injection_reader(protocol: str, chunks: list[bytes], verdict: Verdict) -> None:
    whole = InjectionReader(protocol)
    result = None
    for c in chunks:
        result = whole.feed(c)
    assert result is verdict
    if all(chunks):  # the same bytes one at a time give the same verdict
        bytewise = InjectionReader(protocol)
        data = b"".join(chunks)
        got = None
        for i in range(len(data)):
            got = bytewise.feed(data[i : i + 1])
            if got is not None:
                break
        assert got is verdict
