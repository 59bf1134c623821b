"""``AsyncClient``: an SMTP submission client that cannot be told to trust just anyone.

The session, step by step (RFC 5321, 3207, 4954, 1870, 2920, 6152, 6531):

    connect      TCP (smtps: TLS at once)                   conn.refused, conn.resolve_failed
    greeting     220                                        conn.rate_limited, conn.protocol_error
    EHLO         250; STARTTLS must be listed               starttls.not_offered (stripped or not)
    STARTTLS     220, NOTHING buffered after it   starttls.refused, client.response_injection
    handshake    OpenSSL verifies chain, dates, name         cert.*, protocol.no_tls1_2_or_later
    session      verified for real (getpeercert), pin       client.pin_mismatch
    EHLO again   capabilities after TLS (the only ones used)
    AUTH         PLAIN or LOGIN, verified TLS only  client.auth_failed, client.auth_unavailable
    per message  SIZE checked first; MAIL + RCPT (pipelined if offered); DATA; dot-stuffed
                 body; 250 -> queue id                      client.rejected, client.size_exceeded,
                                                            client.delivery_unconfirmed
    QUIT

There is no plaintext fallback, no opportunistic mode and no way to skip a check: the
class cannot be subclassed, and its context comes only from :mod:`mailtls.client.trust`.
Any refused recipient aborts the whole message (RSET) before DATA: a partial send is never
reported as a success. ``timeout`` bounds every single step (connect, handshake, each reply).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email
import email.policy
import functools
import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage, Message
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from cryptography import x509

from ..catalog import new_finding
from ..errors import ProtocolError, TargetError
from ..model import CertInfo, Target
from ..targets import parse_target
from ..verify import cert_info
from . import message as msgs
from .errors import (
    AuthenticationFailed,
    ConnectionFailed,
    DeliveryUnconfirmed,
    MailTLSClientError,
    MessageRejected,
    MessageTooLarge,
    ResponseInjection,
    StartTLSUnavailable,
)
from .trust import (
    TrustPolicy,
    check_session,
    classify_lost_handshake,
    classify_refusal,
    fetch_anchor,
    verifying_context,
)
from .wire import Connection, InjectedBytes, PeerClosed, Reply

log = logging.getLogger("mailtls.client")
T = TypeVar("T")
SMTP_SCHEMES = ("smtp", "submission", "smtps")
_QUEUE_ID = re.compile(r"queued as ([^\s;,]+)", re.IGNORECASE)


class Secret:
    """A password that never shows itself in repr, str, logs or exceptions."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("the password must be a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class SendResult:
    """The server accepted the message for every recipient."""

    queue_id: str | None
    reply: str
    recipients: tuple[str, ...]
    size: int


def _b64(text: str) -> bytes:
    return base64.b64encode(text.encode("utf-8"))


class AsyncClient:
    """One SMTP session to ``url`` (smtp://, submission:// with STARTTLS; smtps://)."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | Secret | None = None,
        ca_file: str | Path | Sequence[str | Path] | None = None,
        pin_sha256: str | None = None,
        trust: str = "mozilla",
        ssl_context: ssl.SSLContext | None = None,
        address: str | None = None,
        timeout: float = 30.0,
        ehlo: str | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self._secret = password if isinstance(password, Secret | None) else Secret(password)
        del password  # no plain local left for a traceback that shows locals
        self.target = _smtp_target(url, address)
        if (username is None) != (self._secret is None):
            raise ValueError("give both username and password, or neither")
        self.username = username
        self._policy = TrustPolicy.make(trust, ca_file, pin_sha256, ssl_context)
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout
        self.ehlo_name = ehlo or _local_name()
        if any(c in self.ehlo_name for c in " \r\n\0"):
            raise ValueError("invalid EHLO name")
        self._now = now
        self._anchor: x509.Certificate | None = None
        self._verified = False
        self._context: ssl.SSLContext | None = None
        self._conn: Connection | None = None
        self.capabilities: dict[str, str] = {}
        self.certificate: CertInfo | None = None
        self.tls_version: str | None = None
        self.cipher: str | None = None
        self.authenticated = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError(
            "mailtls.client.AsyncClient cannot be subclassed: no hook may change how it "
            "verifies; wrap it instead"
        )

    def __repr__(self) -> str:
        return f"AsyncClient({self.target.url!r}, username={self.username!r})"

    # -- steps ------------------------------------------------------------------------

    async def _step(self, phase: str, work: Awaitable[T], timeout: float | None = None) -> T:
        """One bounded step; the network's failures become ConnectionFailed for ``phase``."""
        limit = timeout or self.timeout
        try:
            async with asyncio.timeout(limit):
                return await work
        except TimeoutError:
            self._drop()
            raise ConnectionFailed.make("conn.timeout", seconds=f"{limit:g}", phase=phase) from None
        except PeerClosed:
            self._drop()
            raise ConnectionFailed.make("conn.closed", phase=phase) from None
        except ProtocolError as exc:
            self._drop()
            raise ConnectionFailed.make(
                "conn.protocol_error", protocol="SMTP", reason=f"{exc} ({phase})"
            ) from None

    async def _command(self, line: str, phase: str, *, shown: str | None = None) -> Reply:
        conn = self._live()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("C: %s", shown or line)
        await self._step(phase, conn.write(line.encode("utf-8") + b"\r\n"))
        return await self._reply(phase)

    async def _reply(self, phase: str, timeout: float | None = None) -> Reply:
        reply = await self._step(phase, self._live().read_reply(), timeout)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("S: %s", reply.message)
        return reply

    def _live(self) -> Connection:
        if self._conn is None:
            raise ConnectionFailed.make("conn.closed", phase="in the mail dialogue")
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.abort()
        self._conn = None
        self._verified = False
        self.authenticated = False

    # -- connecting -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def connect(self) -> None:
        """Connect, verify TLS, EHLO, and log in if credentials were given."""
        if self._conn is not None:
            return
        t = self.target
        if self._policy.pin_only and self._anchor is None:
            assert self._policy.pin is not None
            self._anchor = await fetch_anchor(t, self._policy.pin, self._clock())
        if self._context is None:
            self._context = verifying_context(self._policy, self._anchor)
        await self._open(self._context)
        try:
            if not t.spec.implicit_tls:
                await self._starttls(self._context)
            self._check_session()
            await self._ehlo("in the dialogue after the TLS handshake")
            if self.username is not None:
                await self._login()
        except BaseException:
            self._drop()
            raise

    async def _open(self, ctx: ssl.SSLContext) -> None:
        t = self.target
        host = t.address or t.host
        implicit = t.spec.implicit_tls
        try:
            async with asyncio.timeout(self.timeout):
                self._conn = await Connection.open(
                    host, t.port, context=ctx if implicit else None,
                    server_hostname=t.host, timeout=self.timeout,
                )
        except ssl.SSLError as exc:
            raise await self._refusal(exc) from None
        except TimeoutError:
            raise ConnectionFailed.make(
                "conn.timeout", seconds=f"{self.timeout:g}",
                phase="in the TLS handshake" if implicit else "connecting",
            ) from None
        except ConnectionResetError:
            if not implicit:
                raise ConnectionFailed.make("conn.closed", phase="connecting") from None
            raise await classify_lost_handshake(t) from None
        except socket.gaierror as exc:
            raise ConnectionFailed.make(
                "conn.resolve_failed", host=t.host, reason=exc.strerror or str(exc)
            ) from None
        except OSError as exc:
            raise ConnectionFailed.make(
                "conn.refused", address=host, port=str(t.port),
                reason=exc.strerror or str(exc) or type(exc).__name__,
            ) from None
        greeting = await self._reply("waiting for the greeting")
        if greeting.code != 220:
            self._drop()
            if 400 <= greeting.code < 600:
                raise ConnectionFailed.make("conn.rate_limited", reply=greeting.message)
            raise ConnectionFailed.make(
                "conn.protocol_error", protocol="SMTP", reason=f"greeting {greeting.message}"
            )
        await self._ehlo("waiting for the greeting")

    async def _ehlo(self, phase: str) -> None:
        reply = await self._command(f"EHLO {self.ehlo_name}", phase)
        if reply.code != 250:
            self._drop()
            raise ConnectionFailed.make(
                "conn.protocol_error", protocol="SMTP", reason=f"EHLO answered {reply.message}"
            )
        caps: dict[str, str] = {}
        for text in reply.texts[1:]:
            keyword, _, params = text.strip().partition(" ")
            if keyword:
                caps[keyword.upper()] = params.strip()
        self.capabilities = caps

    async def _starttls(self, ctx: ssl.SSLContext) -> None:
        if "STARTTLS" not in self.capabilities:
            offered = ", ".join(self.capabilities) or "(none)"
            await self._quit_quietly()
            raise StartTLSUnavailable.make(
                "starttls.not_offered", protocol="SMTP", capabilities=offered
            )
        reply = await self._command("STARTTLS", "in the TLS handshake")
        if reply.code != 220:
            await self._quit_quietly()
            raise StartTLSUnavailable.make("starttls.refused", reply=reply.message)
        self.capabilities = {}  # nothing learnt before TLS is used after it
        conn = self._live()
        try:
            async with asyncio.timeout(self.timeout):
                await conn.start_tls(ctx, self.target.host, self.timeout)
        except InjectedBytes as exc:
            self._drop()
            raise ResponseInjection.make(bytes=str(exc.count)) from None
        except ssl.SSLError as exc:
            self._drop()
            raise await self._refusal(exc) from None
        except TimeoutError:
            self._drop()
            raise ConnectionFailed.make(
                "conn.timeout", seconds=f"{self.timeout:g}", phase="in the TLS handshake"
            ) from None
        except (PeerClosed, ConnectionError):
            self._drop()
            raise await classify_lost_handshake(self.target) from None

    async def _refusal(self, exc: ssl.SSLError) -> MailTLSClientError:
        store = self._policy.store(self._anchor)
        return await classify_refusal(exc, self.target, store, self._clock())

    def _check_session(self) -> None:
        conn = self._live()
        leaf = check_session(conn.ssl_object, self.target.host, self._policy.pin)
        sslobj = conn.ssl_object
        assert isinstance(sslobj, ssl.SSLObject)
        self.certificate = cert_info(leaf)
        self.tls_version = sslobj.version()
        cipher = sslobj.cipher()
        self.cipher = cipher[0] if cipher else None
        self._verified = True

    def _clock(self) -> dt.datetime:
        return self._now or dt.datetime.now(dt.UTC)

    def _require_verified(self) -> Connection:
        conn = self._live()
        if not self._verified or self.certificate is None:
            raise ConnectionFailed.make("conn.closed", phase="in the TLS handshake")
        return conn

    # -- login ------------------------------------------------------------------------

    async def _login(self) -> None:
        self._require_verified()
        assert self.username is not None and self._secret is not None
        offered = self.capabilities.get("AUTH", "").upper().split()
        if "PLAIN" in offered:
            reply = await self._command(
                "AUTH PLAIN " + _b64(f"\0{self.username}\0{self._secret.reveal()}").decode(),
                "logging in", shown="AUTH PLAIN ***",
            )
        elif "LOGIN" in offered:
            reply = await self._command("AUTH LOGIN", "logging in")
            if reply.code == 334:
                reply = await self._command(_b64(self.username).decode(), "logging in",
                                            shown="***")
            if reply.code == 334:
                reply = await self._command(_b64(self._secret.reveal()).decode(), "logging in",
                                            shown="***")
        else:
            await self._quit_quietly()
            raise AuthenticationFailed.make(
                "client.auth_unavailable", mechanisms=" ".join(offered) or "(none)"
            )
        if reply.code != 235:
            await self._quit_quietly()
            raise AuthenticationFailed(
                new_finding("client.auth_failed", user=self.username, reply=reply.message),
                reply=reply.message, code=reply.code,
            )
        self.authenticated = True

    # -- sending ----------------------------------------------------------------------

    async def send_message(
        self,
        message: EmailMessage | Message | bytes,
        *,
        sender: str | None = None,
        recipients: Iterable[str] | None = None,
    ) -> SendResult:
        """Send one message; a SendResult once the server accepted it, else an exception."""
        if isinstance(message, bytes | bytearray):
            raw = bytes(message)
            msgs.check_raw_headers(raw)
            if sender is None or recipients is None:
                parsed = email.message_from_bytes(raw, policy=email.policy.SMTP)
                sender, rcpts = msgs.envelope_of(parsed, sender, recipients)
            else:
                sender, rcpts = msgs.envelope_of(Message(), sender, recipients)
        else:
            msgs.check_headers(message)
            sender, rcpts = msgs.envelope_of(message, sender, recipients)
            raw = b""
        for a in (sender, *rcpts):
            msgs.check_address(a)
        await self.connect()
        utf8 = "SMTPUTF8" in self.capabilities
        for a in (sender, *rcpts):
            msgs.check_address(a, smtputf8=utf8)
        eight_bit_ok = "8BITMIME" in self.capabilities
        if not raw:
            assert not isinstance(message, bytes | bytearray)
            raw = msgs.message_bytes(message, eight_bit_ok)
        data = msgs.wire_data(raw)
        return await self._transaction(sender, rcpts, data, msgs.is_eight_bit(raw))

    def _mail_command(self, sender: str, rcpts: Sequence[str], size: int, eight: bool) -> str:
        params = []
        if "SIZE" in self.capabilities:
            params.append(f"SIZE={size}")
        if eight and "8BITMIME" in self.capabilities:
            params.append("BODY=8BITMIME")
        if not all(a.isascii() for a in (sender, *rcpts)):
            params.append("SMTPUTF8")
        return " ".join([f"MAIL FROM:<{sender}>", *params])

    def _check_size(self, size: int) -> None:
        limit = self.capabilities.get("SIZE", "").strip()
        if limit.isdigit() and int(limit) > 0 and size > int(limit):
            raise MessageTooLarge.make(size=str(size), limit=limit)

    async def _transaction(
        self, sender: str, rcpts: list[str], data: bytes, eight: bool
    ) -> SendResult:
        conn = self._require_verified()
        size = len(data)
        self._check_size(size)
        mail = self._mail_command(sender, rcpts, size, eight)
        lines = [mail, *(f"RCPT TO:<{r}>" for r in rcpts)]
        phase = "in the mail dialogue"
        pipelined = "PIPELINING" in self.capabilities
        if pipelined:  # RFC 2920: MAIL, every RCPT and DATA in one write
            lines.append("DATA")
            if log.isEnabledFor(logging.DEBUG):
                for line in lines:
                    log.debug("C: %s", line)
            await self._step(phase, conn.write("".join(f"{x}\r\n" for x in lines).encode()))
            replies = [await self._reply(phase) for _ in lines]
        else:
            replies = []
            for line in lines:
                replies.append(await self._command(line, phase))
                if replies[0].code != 250:
                    break
        data_reply = replies.pop() if pipelined else None
        problem = self._envelope_problem(sender, rcpts, replies, size)
        if problem is not None:
            await self._abandon(data_reply)
            raise problem
        reply = data_reply or await self._command("DATA", phase)
        if reply.code != 354:
            await self._reset()
            raise self._rejected(reply, "the message (DATA)", size)
        return await self._data(conn, data, rcpts, size)

    async def _data(
        self, conn: Connection, data: bytes, rcpts: list[str], size: int
    ) -> SendResult:
        try:
            await self._step("sending the message", conn.write(data))
            reply = await self._reply("waiting for the reply to the message",
                                      max(self.timeout, 60.0))
        except ConnectionFailed as exc:
            problem = ("no reply in time" if exc.id == "conn.timeout"
                       else "the server closed the connection")
            raise DeliveryUnconfirmed.make(problem=problem) from None
        if reply.code != 250:
            raise self._rejected(reply, "the message after it was sent", size)
        match = _QUEUE_ID.search(" ".join(reply.texts))
        return SendResult(match.group(1) if match else None, reply.message, tuple(rcpts), size)

    def _envelope_problem(
        self, sender: str, rcpts: list[str], replies: list[Reply], size: int
    ) -> MailTLSClientError | None:
        if replies[0].code != 250:
            return self._rejected(replies[0], "the sender (MAIL FROM)", size)
        refused = [(r, rep) for r, rep in zip(rcpts, replies[1:], strict=False)
                   if rep.code not in (250, 251)]
        if not refused:
            return None
        text = "; ".join(f"<{r}> {rep.message}" for r, rep in refused)
        return MessageRejected(
            new_finding("client.rejected", stage="the recipients (RCPT TO)", reply=text),
            reply=text, code=refused[0][1].code,
        )

    async def _abandon(self, data_reply: Reply | None) -> None:
        """Give up the transaction: RSET, or (after a 354 to a pipelined DATA, when no
        RSET can be sent) drop the connection, so that the server discards the message."""
        if data_reply is not None and data_reply.code == 354:
            self._drop()
        else:
            await self._reset()

    def _rejected(self, reply: Reply, stage: str, size: int) -> MailTLSClientError:
        if reply.code == 552 or " 5.3.4" in f" {reply.message}":
            limit = self.capabilities.get("SIZE") or "?"
            return MessageTooLarge(new_finding("client.size_exceeded", size=str(size),
                                               limit=limit), reply=reply.message, code=reply.code)
        return MessageRejected(new_finding("client.rejected", stage=stage, reply=reply.message),
                               reply=reply.message, code=reply.code)

    async def _reset(self) -> None:
        try:
            await self._command("RSET", "in the mail dialogue")
        except ConnectionFailed:
            self._drop()

    # -- closing ----------------------------------------------------------------------

    async def _quit_quietly(self) -> None:
        if self._conn is None:
            return
        try:
            await self._step("in the mail dialogue", self._conn.write(b"QUIT\r\n"), 2.0)
            await self._reply("in the mail dialogue", 2.0)
        except ConnectionFailed:
            pass
        self._drop()

    async def quit(self) -> None:
        """QUIT and close."""
        await self._quit_quietly()

    async def aclose(self) -> None:
        await self._quit_quietly()

    async def __aenter__(self) -> AsyncClient:
        await self.connect()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _smtp_target(url: str, address: str | None) -> Target:
    try:
        target = parse_target(url)
    except TargetError as exc:
        raise ValueError(str(exc)) from None
    if target.scheme not in SMTP_SCHEMES:
        raise ValueError(f"{url!r}: the client speaks smtp://, submission:// and smtps:// only")
    if address is not None:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise ValueError(f"address {address!r} is not an IP address") from None
        target = Target(target.scheme, target.host, target.port, address)
    return target


@functools.cache
def _local_name() -> str:
    """This machine's name for EHLO if it is a dotted host name (no DNS lookup)."""
    name = socket.gethostname()
    if re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", name):
        return name
    return "localhost.localdomain"
