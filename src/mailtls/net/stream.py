"""A small async byte stream over TCP that can switch to TLS in place (httpcore-style).

TLS is driven by pyOpenSSL over memory BIOs, not by Python's ``ssl`` module: the
scanner must complete a handshake with *any* certificate (RSA-1024, SHA-1, expired)
and read the whole chain the server sent, which ``ssl`` on Python 3.11 cannot give.
Verification happens afterwards, offline, in ``mailtls.verify``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from ..errors import ProbeError

READ_SIZE = 65536
MAX_TLS_BYTES = 1 << 20  # a handshake flight larger than this is not a certificate chain
TLS_HEAD_BYTES = 256  # the first bytes of the server's answer to our hello, kept for diagnosis


@dataclass(frozen=True)
class TLSInfo:
    version: str
    cipher: str
    chain_der: tuple[bytes, ...]


class Stream(Protocol):
    #: the first bytes the server sent after start_tls began (a clear-text greeting tells
    #: the wrong scheme from a broken handshake)
    tls_head: bytes

    async def read(self) -> bytes: ...
    async def write(self, data: bytes) -> None: ...
    async def start_tls(self, server_name: str | None) -> TLSInfo: ...
    async def aclose(self) -> None: ...


@cache
def diagnostic_context() -> SSL.Context:
    """A client context that accepts everything, so that the diagnosis can see it."""
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *args: True)
    ctx.set_min_proto_version(SSL.TLS1_VERSION)
    ctx.set_cipher_list(b"ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    ctx.set_options(SSL.OP_LEGACY_SERVER_CONNECT)
    return ctx


def client_hello(server_name: str | None) -> bytes:
    """The ClientHello that start_tls sends, as bytes on the wire (for a raw look at a port)."""
    conn = SSL.Connection(diagnostic_context(), None)
    conn.set_connect_state()
    if server_name:
        conn.set_tlsext_host_name(server_name.encode("ascii"))
    with contextlib.suppress(SSL.WantReadError):
        conn.do_handshake()
    return bytes(conn.bio_read(READ_SIZE))


def _ssl_reason(exc: SSL.Error) -> str:
    parts = []
    for item in exc.args[0] if exc.args and isinstance(exc.args[0], list) else []:
        if isinstance(item, tuple) and item:
            parts.append(str(item[-1]))
    reason = "; ".join(parts) or str(exc) or type(exc).__name__
    if "excessive message size" in reason:  # OpenSSL's default max_cert_list (100 KiB)
        reason += (
            " (the server's certificate chain is larger than the 100 KiB that OpenSSL-based"
            " mail clients accept: they fail here too)"
        )
    return reason


class TCPStream:
    """asyncio reader/writer pair; after start_tls, reads and writes go through TLS."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._tls: SSL.Connection | None = None
        self.tls_head = b""

    @classmethod
    async def connect(cls, address: str, port: int) -> TCPStream:
        reader, writer = await asyncio.open_connection(address, port, limit=READ_SIZE)
        return cls(reader, writer)

    async def _raw_read(self) -> bytes:
        return await self._reader.read(READ_SIZE)

    async def _flush(self) -> None:
        assert self._tls is not None
        out = bytearray()
        while True:
            try:
                out += self._tls.bio_read(READ_SIZE)
            except SSL.WantReadError:
                break
        if out:
            self._writer.write(bytes(out))
            await self._writer.drain()

    async def start_tls(self, server_name: str | None) -> TLSInfo:
        conn = SSL.Connection(diagnostic_context(), None)
        conn.set_connect_state()
        if server_name:
            conn.set_tlsext_host_name(server_name.encode("ascii"))
        self._tls = conn
        received = 0
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                pass
            except SSL.Error as exc:
                await self._flush_quietly()
                raise ProbeError("tls.handshake_failed", _ssl_reason(exc)) from None
            await self._flush()
            data = await self._raw_read()
            if not data:
                raise ProbeError(
                    "tls.handshake_failed", "the server closed the connection during the handshake"
                )
            received += len(data)
            if len(self.tls_head) < TLS_HEAD_BYTES:
                self.tls_head += data[: TLS_HEAD_BYTES - len(self.tls_head)]
            if received > MAX_TLS_BYTES:
                raise ProbeError(
                    "tls.handshake_failed",
                    f"the server sent more than {MAX_TLS_BYTES} bytes of handshake",
                )
            conn.bio_write(data)
        await self._flush()
        chain = conn.get_peer_cert_chain(as_cryptography=True) or []
        return TLSInfo(
            version=conn.get_protocol_version_name(),
            cipher=conn.get_cipher_name() or "",
            chain_der=tuple(c.public_bytes(serialization.Encoding.DER) for c in chain),
        )

    async def _flush_quietly(self) -> None:
        with contextlib.suppress(OSError, SSL.Error):
            await self._flush()

    async def read(self) -> bytes:
        if self._tls is None:
            return await self._raw_read()
        while True:
            try:
                return bytes(self._tls.recv(READ_SIZE))
            except SSL.WantReadError:
                pass
            except (SSL.ZeroReturnError, SSL.SysCallError):
                return b""
            except SSL.Error as exc:
                raise ProbeError("tls.handshake_failed", _ssl_reason(exc)) from None
            await self._flush()
            data = await self._raw_read()
            if not data:
                return b""
            self._tls.bio_write(data)

    async def write(self, data: bytes) -> None:
        if self._tls is None:
            self._writer.write(data)
            await self._writer.drain()
            return
        self._tls.sendall(data)
        await self._flush()

    async def aclose(self) -> None:
        if self._tls is not None:
            try:
                self._tls.shutdown()
                await self._flush()
            except (OSError, SSL.Error):
                pass
        self._writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
