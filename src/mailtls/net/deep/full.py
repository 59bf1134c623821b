"""Complete handshakes with pyOpenSSL over the raw stream, for what needs one.

Resumption (by session id, by ticket), client-initiated renegotiation, OCSP stapling and
the certificates of a TLS 1.3-only server need a finished handshake: pyOpenSSL (OpenSSL 3,
security level 0, any certificate) runs it over memory BIOs on the stream the mail dialogue
handed over, and a small tap reads the server's ServerHello from the same bytes (its
session id, its session_ticket extension).

The first full handshake of TLS <= 1.2 also decides the server's preference order: its
cipher list is the accepted suites reversed (as OpenSSL names them). It also carries the
STARTTLS injection probe (a command pipelined with STARTTLS, then a probe command inside
TLS, proto/injection.py), whose reply also ends the wait for TLS 1.3 tickets; without it a
harmless command (ELICIT) does: no wait ends on a timer for a server that answers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL
from OpenSSL._util import lib as _lib

from ...errors import TLSRecordError
from ...proto.injection import SUPPORTED, InjectionReader, Verdict, injected_bytes, probe_bytes
from ...proto.tls import (
    CipherSuite,
    ContentType,
    HandshakeReader,
    ProtocolVersion,
    RecordSplitter,
    ServerHello,
    build_record,
    by_name,
)
from ...proto.tls.registry import ExtensionType, HandshakeType
from ..stream import READ_SIZE, Stream
from .runner import Runner

V = ProtocolVersion
LIB: Any = _lib
PROTO = {
    V.TLSv1_0: SSL.TLS1_VERSION,
    V.TLSv1_1: SSL.TLS1_1_VERSION,
    V.TLSv1_2: SSL.TLS1_2_VERSION,
    V.TLSv1_3: SSL.TLS1_3_VERSION,
}
RENEGOTIATION_TIMEOUT = 3.0
INJECTION_WAIT = 5.0
#: after a single probe-like reply to the injection probe, how long to wait for a second one
#: (a server that answers everything with the same code): twice the handshake's round
#: trip, within these bounds
LINGER = (0.05, 1.0)
TICKET_WAIT = 2.0  # bound only: the reply to ELICIT (after the tickets) ends the wait
#: a harmless command per STARTTLS protocol, answered after the server's TLS 1.3 tickets
ELICIT = {"smtp": b"NOOP\r\n", "imap": b"mtls0 NOOP\r\n", "pop3": b"NOOP\r\n"}
ECDSA_SIGALGS = "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ed25519:ed448"
RSA_SIGALGS = "RSA-PSS+SHA256:RSA-PSS+SHA384:RSA-PSS+SHA512:RSA+SHA256:RSA+SHA384:RSA+SHA512"


class _Stop(Exception):
    """The server went silent or away during a full handshake."""


@dataclass
class FullResult:
    """One complete handshake (or how far it got)."""

    version: V
    cipher: CipherSuite | None = None
    chain: tuple[bytes, ...] = ()
    session: SSL.Session | None = None
    session_id: bool = False  # the ServerHello carried a session id
    ticket: bool = False  # session_ticket extension (TLS <= 1.2) or a NewSessionTicket
    resumed: bool = False
    ocsp: bool | None = None
    renegotiation: bool | None = None
    error: str | None = None
    events: list[object] = field(default_factory=list)
    injection: Verdict | None = None  # STARTTLS injection, when this connection probed it
    injection_evidence: tuple[str, ...] = ()


class _Tap:
    """Reads the server's plaintext handshake from the bytes pyOpenSSL is fed."""

    def __init__(self) -> None:
        self._splitter = RecordSplitter()
        self._reader = HandshakeReader()
        self.hello: ServerHello | None = None
        self.ticket_message = False
        self._stopped = False

    def feed(self, data: bytes) -> None:
        if self._stopped:
            return
        try:
            for rec in self._splitter.feed(data):
                if rec.content_type == ContentType.CHANGE_CIPHER_SPEC:
                    self._stopped = True
                    return
                raw = build_record(rec.content_type, rec.version, rec.fragment)
                for event in self._reader.feed(raw):
                    self._event(event)
        except TLSRecordError:
            self._stopped = True

    def _event(self, event: object) -> None:
        if isinstance(event, ServerHello):
            self.hello = event
        msg_type = getattr(event, "msg_type", None)
        if msg_type == HandshakeType.NEW_SESSION_TICKET:
            self.ticket_message = True


def make_context(
    version: V, ciphers: str | None = None, *, sigalgs: str | None = None
) -> SSL.Context:
    """A client context for exactly ``version`` that accepts any certificate."""
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *args: True)
    ctx.set_min_proto_version(PROTO[version])
    ctx.set_max_proto_version(PROTO[version])
    ctx.set_cipher_list(((ciphers or "ALL:COMPLEMENTOFALL") + ":@SECLEVEL=0").encode())
    ctx.set_options(SSL.OP_LEGACY_SERVER_CONNECT)
    ctx.set_session_cache_mode(SSL.SESS_CACHE_CLIENT)
    if sigalgs:
        LIB.SSL_CTX_set1_sigalgs_list(ctx._context, sigalgs.encode())
    ctx.set_ocsp_client_callback(_on_ocsp)
    return ctx


def _on_ocsp(conn: SSL.Connection, data: bytes, _: object) -> bool:
    """Keep the stapled OCSP response (b"" when none) in the connection's app data."""
    stapled = conn.get_app_data()
    if isinstance(stapled, list):
        stapled.append(data)
    return True


class _Driver:
    """pyOpenSSL over memory BIOs on a raw stream."""

    def __init__(self, stream: Stream, conn: SSL.Connection, tap: _Tap) -> None:
        self.stream = stream
        self.conn = conn
        self.tap = tap
        self.started = time.monotonic()  # the driver is made just before the handshake
        self.first_answer: float | None = None

    async def flush(self) -> None:
        out = bytearray()
        while True:
            try:
                out += self.conn.bio_read(READ_SIZE)
            except SSL.WantReadError:
                break
        if out:
            await self.stream.write(bytes(out))

    async def pump(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Stop("no answer in time")
        try:
            data = await asyncio.wait_for(self.stream.read(), left)
        except TimeoutError:
            raise _Stop("no answer in time") from None
        if not data:
            raise _Stop("the server closed the connection")
        if self.first_answer is None:
            self.first_answer = time.monotonic()
        self.tap.feed(data)
        self.conn.bio_write(data)

    @property
    def round_trip(self) -> float:
        """From our ClientHello to the server's first bytes (0 when not measured)."""
        if self.first_answer is None:
            return 0.0
        return self.first_answer - self.started

    def linger(self) -> float:
        """How long to wait for a second reply: twice the round trip, within LINGER."""
        low, high = LINGER
        return max(low, min(high, 2 * self.round_trip))

    async def handshake(self, deadline: float) -> None:
        while True:
            try:
                self.conn.do_handshake()
                await self.flush()
                return
            except SSL.WantReadError:
                pass
            await self.flush()
            await self.pump(deadline)

    async def _send_and_read(self, data: bytes, deadline: float) -> bytes:
        """Send ``data`` inside TLS (if any), then the next application data the server sends."""
        if data:
            self.conn.sendall(data)
            await self.flush()
        while True:
            try:
                return bytes(self.conn.recv(READ_SIZE))
            except SSL.WantReadError:
                await self.pump(deadline)

    async def settle(self, seconds: float, elicit: bytes) -> bytes:
        """After a TLS 1.3 handshake: send ``elicit`` (a harmless command; nothing for a
        server that speaks first) and read until the first application data, which comes
        after the server's tickets. Returns that data (b"" when none came in time)."""
        deadline = time.monotonic() + seconds
        try:
            data = await self._send_and_read(elicit, deadline)
            while not data:
                data = await self._send_and_read(b"", deadline)
            return data
        except (_Stop, SSL.Error, OSError):
            return b""

    def _ready(self) -> bytes:
        """Application data already decrypted, without waiting (b"" when none)."""
        try:
            return bytes(self.conn.recv(READ_SIZE))
        except SSL.WantReadError:
            return b""

    async def injection(self, reader: InjectionReader, protocol: str, seconds: float) -> Verdict:
        """Send the probe command inside TLS; read until the reader has a verdict (see
        proto/injection.py: replies are counted; after a single probe-like reply, a short
        linger for a second one)."""
        deadline = time.monotonic() + seconds
        try:
            verdict = reader.early(self._ready())
            if verdict is not None:
                return verdict
            verdict = reader.feed(await self._send_and_read(probe_bytes(protocol), deadline))
            lingered = False
            while verdict is None:
                if reader.lingering and not lingered:
                    lingered = True
                    deadline = min(deadline, time.monotonic() + self.linger())
                verdict = reader.feed(await self._send_and_read(b"", deadline))
            return verdict
        except (_Stop, SSL.Error, OSError):  # the wait ended, EOF, or a broken connection
            return reader.expire()

    async def close(self) -> None:
        """close_notify: OpenSSL spoils the session of a connection freed without it."""
        try:
            self.conn.shutdown()
            await self.flush()
        except (SSL.Error, OSError):
            self.conn.set_shutdown(SSL.SENT_SHUTDOWN)

    async def renegotiate(self) -> bool | None:
        """Client-initiated renegotiation: True accepted, False refused, None no answer."""
        try:
            if not self.conn.renegotiate():
                return False
            await self.handshake(time.monotonic() + RENEGOTIATION_TIMEOUT)
        except SSL.Error:
            return False
        except _Stop as exc:
            return None if "in time" in str(exc) else False
        except OSError:
            return False
        return bool(self.conn.total_renegotiations())


def _chain(conn: SSL.Connection) -> tuple[bytes, ...]:
    chain = conn.get_peer_cert_chain(as_cryptography=True) or []
    return tuple(c.public_bytes(serialization.Encoding.DER) for c in chain)


def _suite(conn: SSL.Connection) -> CipherSuite | None:
    name = conn.get_cipher_name()
    if not name:
        return None
    try:
        return by_name(name)
    except KeyError:
        return None


async def full_handshake(
    runner: Runner,
    ctx: SSL.Context,
    version: V,
    server_name: str | None,
    *,
    session: SSL.Session | None = None,
    no_ticket: bool = False,
    renegotiate: str = "never",
    tickets: bool = False,
    injection: bool = False,
    what: str,
) -> FullResult | None:
    """One connection with a complete handshake; None when TLS was never reached.
    ``renegotiate``: "never", "always", or "unless-resumable" (the session is kept);
    ``tickets``: in TLS 1.3, wait for the server's tickets (to resume with one later);
    ``injection``: pipeline a command with STARTTLS and see whether it is answered inside
    TLS (proto/injection.py; only for the schemes it supports)."""
    stapled: list[bytes] = []
    spec = runner.target.spec
    elicit = b"" if spec.implicit_tls else ELICIT.get(spec.protocol, b"")
    injection = injection and not spec.implicit_tls and spec.protocol in SUPPORTED

    async def hook(stream: Stream) -> FullResult:
        conn = SSL.Connection(ctx, None)
        conn.set_app_data(stapled)
        conn.set_connect_state()
        if server_name:
            conn.set_tlsext_host_name(server_name.encode("idna"))
        conn.request_ocsp()
        if no_ticket:
            conn.set_options(SSL.OP_NO_TICKET)
        if session is not None:
            conn.set_session(session)
        tap = _Tap()
        driver = _Driver(stream, conn, tap)
        result = FullResult(version)
        try:
            await driver.handshake(time.monotonic() + runner.budget.read_timeout)
        except (SSL.Error, _Stop, OSError) as exc:
            result.error = str(exc) or type(exc).__name__
            return result
        wait_tickets = tickets
        if injection:  # the reply to the probe command also comes after any ticket
            reader = InjectionReader(spec.protocol)
            result.injection = await driver.injection(reader, spec.protocol, INJECTION_WAIT)
            result.injection_evidence = tuple(reader.evidence)
            wait_tickets = False
        await _fill(result, driver, stapled, renegotiate)
        if wait_tickets and result.version == V.TLSv1_3 and not result.resumed:
            await driver.settle(TICKET_WAIT, elicit)  # tickets come after the handshake,
            result.session = conn.get_session()  # encrypted: a resumption attempt tells
        await driver.close()
        return result

    inject = injected_bytes(spec.protocol) if injection else b""
    out, _ = await runner.session(hook, what=what, inject=inject)
    return out if isinstance(out, FullResult) else None


async def _fill(
    result: FullResult, driver: _Driver, stapled: list[bytes], renegotiate: str
) -> None:
    conn, tap = driver.conn, driver.tap
    result.cipher = _suite(conn)
    result.chain = _chain(conn)
    result.resumed = bool(LIB.SSL_session_reused(conn._ssl))
    result.ocsp = bool(stapled and stapled[0])
    hello = tap.hello
    if hello is not None and hello.version != V.TLSv1_3:
        result.session_id = bool(hello.session_id)
        result.ticket = hello.extension(ExtensionType.SESSION_TICKET) is not None
    elif hello is not None:
        result.ticket = True  # TLS 1.3: only a resumption attempt can tell
    result.session = conn.get_session()
    # a refused renegotiation is a fatal error that spoils the session for resumption: it
    # is tried here only when no resumption will follow (else on the resuming connection)
    resumable = not result.resumed and (result.session_id or result.ticket)
    wanted = renegotiate == "always" or (renegotiate == "unless-resumable" and not resumable)
    if wanted and result.version != V.TLSv1_3:
        result.renegotiation = await driver.renegotiate()

