"""The client's byte layer: an asyncio protocol with its own buffer over proto's reply reader.

Why not ``asyncio.StreamReader``: bytes that a server (or a man in the middle) sends
right after the ``220`` to STARTTLS would sit in the reader's buffer, and after
``start_tls`` be read as if they had come over TLS (CVE-2011-0411, "response injection").
Here the buffer is ours: :meth:`Connection.start_tls` refuses to start while a single byte
is buffered, and hands the transport to TLS in the same step (``loop.start_tls`` switches
the protocol before it yields), so a byte that arrives later is TLS input and fails the
handshake instead.

Replies are parsed by :class:`mailtls.proto.smtp.ReplyReader`, the grammar the scan's
probes use (RFC 5321 4.2; one grammar, one fuzz test): lines longer than 8 KiB, replies
longer than 1 MiB and anything else raise :class:`mailtls.errors.ProtocolError`.
"""

from __future__ import annotations

import asyncio
import ssl

from ..proto.smtp import Reply, ReplyReader

__all__ = ["MAX_BUFFER", "Connection", "InjectedBytes", "PeerClosed", "Reply"]

MAX_LINE = 8192
MAX_REPLY = 1 << 20
MAX_BUFFER = 1 << 20


class PeerClosed(Exception):
    """The server closed the connection (or it was lost)."""


class InjectedBytes(Exception):
    """Bytes were buffered when TLS was to start; ``count`` of them."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} bytes after the STARTTLS reply")
        self.count = count


class Connection(asyncio.Protocol):
    """One TCP (then TLS) connection: write bytes, await replies, switch to TLS safely."""

    def __init__(self, *, max_line: int = MAX_LINE, max_reply: int = MAX_REPLY) -> None:
        self.replies = ReplyReader(max_line=max_line, max_reply_bytes=max_reply)
        self.transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._closed = False
        self._reading_paused = False

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.replies.feed(data)
        if self.replies.buffered > MAX_BUFFER and self.transport is not None:
            self.transport.pause_reading()
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self._closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        if self._drain is None or self._drain.done():
            self._drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- what the client uses -----------------------------------------------------------

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        timeout: float,
    ) -> Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(
            cls,
            host,
            port,
            ssl=context,
            server_hostname=server_hostname if context is not None else None,
            ssl_handshake_timeout=timeout if context is not None else None,
        )
        return protocol

    @property
    def ssl_object(self) -> object | None:
        if self.transport is None:
            return None
        obj: object | None = self.transport.get_extra_info("ssl_object")
        return obj

    async def read_reply(self) -> Reply:
        """The next complete reply; PeerClosed, ProtocolError (no timeout here)."""
        while True:
            reply = self.replies.next_reply()
            if self._reading_paused and self.replies.buffered < MAX_BUFFER // 2:
                self._reading_paused = False
                if self.transport is not None:
                    self.transport.resume_reading()
            if reply is not None:
                return reply
            if self._closed:
                raise PeerClosed()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def write(self, data: bytes) -> None:
        if self._closed or self.transport is None or self.transport.is_closing():
            raise PeerClosed()
        self.transport.write(data)
        if self._drain is not None and not self._drain.done():
            await self._drain
        if self._closed:
            raise PeerClosed()

    async def start_tls(
        self, context: ssl.SSLContext, server_hostname: str, timeout: float
    ) -> None:
        """Hand the connection to TLS; InjectedBytes if anything is buffered (see above)."""
        if self.replies.buffered:
            raise InjectedBytes(self.replies.buffered)
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        transport = await loop.start_tls(
            self.transport,
            self,
            context,
            server_hostname=server_hostname,
            ssl_handshake_timeout=timeout,
        )
        if transport is None:
            raise PeerClosed()
        self.transport = transport

    def abort(self) -> None:
        """Drop the connection at once (no QUIT): a server discards an unfinished message."""
        self._closed = True
        if self.transport is not None:
            self.transport.abort()

    async def aclose(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
        self._closed = True
