"""A real SMTP server with real TLS (Python's ``ssl``), run by asyncio on loopback, many
connections at once: enough for a whole ``scan --deep`` with complete handshakes.
``vulnerable`` keeps what was pipelined after STARTTLS and answers it inside TLS
(CVE-2011-0411); ``everything`` is its one reply to every command inside TLS."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from mailtls.lab.pki import build_lab_pki


def server_context(directory: Path) -> ssl.SSLContext:
    cert, key = build_lab_pki().situations["good"].issued.write(directory, "fake")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class InjectableSMTP:
    """SMTP with STARTTLS; every connection handled by asyncio (many at once)."""

    def __init__(self, ctx: ssl.SSLContext, *, vulnerable: bool, everything: bytes | None) -> None:
        self.ctx = ctx
        self.vulnerable = vulnerable
        self.everything = everything
        self.after_tls: list[bytes] = []  # commands the server read inside TLS
        self.handshakes = 0  # completed TLS handshakes

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._session(reader, writer)
        except (OSError, ssl.SSLError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 fake.test ESMTP\r\n")
        buffer, tls = b"", False
        while True:
            while b"\r\n" not in buffer:
                data = await asyncio.wait_for(reader.read(4096), 5)
                if not data:
                    return
                buffer += data
            line, _, buffer = buffer.partition(b"\r\n")
            verb = line.split(b" ", 1)[0].upper()
            if tls:
                self.after_tls.append(line)
            if tls and self.everything is not None:
                writer.write(self.everything + b"\r\n")
            elif verb == b"EHLO":
                starttls = b"" if tls else b"250-STARTTLS\r\n"
                writer.write(b"250-fake.test\r\n" + starttls + b"250 PIPELINING\r\n")
            elif verb == b"STARTTLS":
                writer.write(b"220 go ahead\r\n")
                await writer.drain()
                await writer.start_tls(self.ctx)
                self.handshakes += 1
                tls = True
                if not self.vulnerable:
                    buffer = b""  # the fix: forget what came before TLS
            elif verb in (b"NOOP", b"RSET", b"MAIL"):
                writer.write(b"250 2.0.0 Ok\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 Bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 5.5.2 Error: command not recognized\r\n")
            await writer.drain()
