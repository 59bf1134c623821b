"""Small hostile peers for the client tests, on loopback, in the test's own event loop.

``Proxy`` stands between the client and a real Postfix and rewrites what the server says
before TLS (a STARTTLS-stripping or response-injecting man in the middle). ``FakeSMTP`` is
a scripted SMTP server with STARTTLS (the lab's certificate) that can misbehave: refuse
STARTTLS, speak only TLS 1.1, refuse a recipient, drop the connection after DATA.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
Transform = Callable[[bytes], bytes]


def strip_starttls(data: bytes) -> bytes:
    return re.sub(rb"250[- ]STARTTLS\r\n", b"", data)


def inject_after_220(data: bytes) -> bytes:
    if data.startswith(b"220 2.0.0"):  # Postfix's reply to STARTTLS
        return data + b"250-injected\r\n250 AUTH PLAIN\r\n"
    return data


class Proxy:
    """Forward to ``port``; the server's bytes go through ``transform`` until STARTTLS."""

    def __init__(self, port: int, transform: Transform) -> None:
        self.port = port
        self.transform = transform
        self.server: asyncio.base_events.Server | None = None
        self.listen_port = 0

    async def __aenter__(self) -> Proxy:
        self.server = await asyncio.start_server(self._handle, LOOPBACK, 0)
        self.listen_port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        sr, sw = await asyncio.open_connection(LOOPBACK, self.port)
        state = {"tls": False}

        async def up() -> None:
            while data := await cr.read(65536):
                if data.upper().startswith(b"STARTTLS"):
                    state["starttls_sent"] = True
                sw.write(data)
                await sw.drain()
            sw.close()

        async def down() -> None:
            while data := await sr.read(65536):
                if not state["tls"]:
                    out = self.transform(data)
                    if state.get("starttls_sent") and data.startswith(b"220"):
                        state["tls"] = True
                    data = out
                cw.write(data)
                await cw.drain()
            cw.close()

        with contextlib.suppress(OSError):
            await asyncio.gather(up(), down())


@dataclass
class FakeSMTP:
    """A scripted server; ``log`` records (tls, line) for every command received."""

    cert: Path
    key: Path
    tls_max: ssl.TLSVersion | None = None
    starttls_reply: bytes = b"220 2.0.0 go ahead\r\n"
    refuse_rcpt: str | None = None
    drop_after_data: bool = False
    greeting: bytes = b"220 fake ESMTP\r\n"
    pipelining: bool = True
    log: list[tuple[bool, str]] = field(default_factory=list)
    accepted: int = 0
    port: int = 0

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        if self.tls_max is not None:  # an old server, on purpose
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = self.tls_max
        return ctx

    async def __aenter__(self) -> FakeSMTP:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
            await self._session(r, w)
        w.close()

    async def _session(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        tls = False
        w.write(self.greeting)
        if not self.greeting.startswith(b"220"):
            await w.drain()
            return
        while line := await r.readline():
            text = line.decode().rstrip("\r\n")
            self.log.append((tls, text))
            verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "EHLO":
                caps = b"250-SIZE 100000\r\n250-8BITMIME\r\n"
                caps += b"250-PIPELINING\r\n" if self.pipelining else b""
                caps += b"250 AUTH PLAIN LOGIN\r\n" if tls else b"250 STARTTLS\r\n"
                w.write(b"250-fake\r\n" + caps)
            elif verb == "STARTTLS":
                w.write(self.starttls_reply)
                await w.drain()
                if not self.starttls_reply.startswith(b"220"):
                    continue
                await w.start_tls(self._context())
                tls = True
                continue
            elif verb == "AUTH":
                w.write(b"235 2.7.0 ok\r\n")
            elif verb == "RCPT" and self.refuse_rcpt and self.refuse_rcpt in text:
                w.write(b"550 5.1.1 no such user\r\n")
            elif verb in ("MAIL", "RCPT", "RSET"):
                w.write(b"250 2.0.0 ok\r\n")
            elif verb == "DATA":
                w.write(b"354 go\r\n")
                await w.drain()
                await r.readuntil(b"\r\n.\r\n")
                if self.drop_after_data:
                    w.transport.abort()
                    return
                self.accepted += 1
                w.write(b"250 2.0.0 Ok: queued as FAKE1\r\n")
            elif verb == "QUIT":
                w.write(b"221 bye\r\n")
                await w.drain()
                return
            else:
                w.write(b"502 5.5.2 what\r\n")
            await w.drain()
