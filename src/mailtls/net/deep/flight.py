"""One raw probe: write our ClientHello, read the server's first flight as events.

The hook runs on the raw stream (before any real handshake). It never raises for what the
server does: silence ends at ``read_timeout``, garbage and oversized records end at the
first bad header (proto/tls/records.py), a close ends the read; ``Flight.error`` says why
the flight is unreadable (an unknown result), while an alert or a close right after the
hello is a refusal (a negative result).

After a complete TLS <= 1.2 flight (ServerHelloDone) the hook may send one more probe on
the same connection (Heartbleed or CCS injection, see proto/tls/probes.py) and classify
the reply: the enumeration pays for those two checks with connections it opens anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ...errors import TLSRecordError
from ...proto.tls import (
    Alert,
    CertificateMsg,
    CertificateStatus,
    CipherSuite,
    Event,
    HandshakeReader,
    HelloRetryRequest,
    ProbeResult,
    ProtocolVersion,
    RecordSplitter,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    SSLv2Error,
    SSLv2ServerHello,
    build_ccs_injection_probe,
    build_heartbeat_request,
    classify_ccs_reply,
    classify_heartbeat_reply,
)
from ...proto.tls.registry import ContentType
from ..stream import Stream

AFTER_TIMEOUT = 2.0
MAX_AFTER_BYTES = 64 * 1024
#: Chooses the after-flight probe for a complete flight: "heartbleed", "ccs" or None.
AfterPicker = Callable[[ServerHello], str | None]


@dataclass
class Flight:
    """What the server answered to one ClientHello."""

    events: list[Event] = field(default_factory=list)
    error: str | None = None  # unreadable: silence, garbage, too much (result unknown)
    closed: bool = False  # the server closed the connection
    after_kind: str | None = None
    after: ProbeResult | None = None
    offered_groups: tuple[int, ...] = ()  # the supported_groups our hello listed

    def first(self, kind: type) -> object | None:
        return next((e for e in self.events if isinstance(e, kind)), None)

    @property
    def hello(self) -> ServerHello | None:
        found = self.first(ServerHello)
        return found if isinstance(found, ServerHello) else None

    @property
    def hrr(self) -> HelloRetryRequest | None:
        found = self.first(HelloRetryRequest)
        return found if isinstance(found, HelloRetryRequest) else None

    @property
    def sslv2(self) -> SSLv2ServerHello | None:
        found = self.first(SSLv2ServerHello)
        return found if isinstance(found, SSLv2ServerHello) else None

    @property
    def alert(self) -> Alert | None:
        found = self.first(Alert)
        return found if isinstance(found, Alert) else None

    @property
    def ske(self) -> ServerKeyExchange | None:
        found = self.first(ServerKeyExchange)
        return found if isinstance(found, ServerKeyExchange) else None

    @property
    def certificates(self) -> tuple[bytes, ...]:
        found = self.first(CertificateMsg)
        return found.certificates if isinstance(found, CertificateMsg) else ()

    @property
    def stapled(self) -> bool:
        return self.first(CertificateStatus) is not None

    @property
    def complete(self) -> bool:
        """A whole TLS <= 1.2 first flight arrived (ServerHelloDone)."""
        return self.first(ServerHelloDone) is not None

    @property
    def version(self) -> ProtocolVersion | None:
        if self.hello is not None:
            return self.hello.version
        if self.hrr is not None:
            return self.hrr.version
        if self.sslv2 is not None:
            return ProtocolVersion.SSLv2
        return None

    @property
    def chosen(self) -> CipherSuite | None:
        if self.hello is not None:
            return self.hello.cipher_suite
        if self.hrr is not None:
            return self.hrr.cipher_suite
        return None

    @property
    def answered(self) -> bool:
        return self.version is not None

    @property
    def refused(self) -> bool:
        """A clear "no": an alert, an SSLv2 error, or a close, and no hello."""
        if self.answered or self.error is not None:
            return False
        return self.alert is not None or self.closed or self.first(SSLv2Error) is not None

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.alert is not None:
            return f"alert {self.alert.name}"
        if self.closed:
            return "closed"
        version = self.version.label if self.version else "?"
        return f"{version} {self.chosen.name if self.chosen else ''}"


async def _read(stream: Stream, deadline: float) -> bytes | None:
    """One read before the deadline; None on timeout."""
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    try:
        return await asyncio.wait_for(stream.read(), left)
    except TimeoutError:
        return None


async def read_flight(
    stream: Stream, reader: HandshakeReader, flight: Flight, read_timeout: float
) -> None:
    deadline = time.monotonic() + read_timeout
    while not reader.done:
        try:
            data = await _read(stream, deadline)
        except OSError as exc:
            flight.closed = True
            if not flight.events:
                flight.error = f"connection error after the ClientHello ({exc})"
            return
        if data is None:
            flight.error = f"no complete answer within {read_timeout:g} s"
            return
        if not data:
            flight.closed = True
            if reader.bytes_seen and not flight.events:
                flight.error = "the server closed the connection in the middle of a record"
            return
        try:
            flight.events += reader.feed(data)
        except TLSRecordError as exc:
            flight.error = str(exc)
            return


def hello_hook(
    hello: bytes,
    *,
    read_timeout: float,
    expect_sslv2: bool = False,
    after: AfterPicker | None = None,
) -> Callable[[Stream], Awaitable[Flight]]:
    """The raw_tls hook of one probe: send ``hello``, read the first flight, maybe probe."""

    async def hook(stream: Stream) -> Flight:
        flight = Flight()
        reader = HandshakeReader(expect_sslv2=expect_sslv2)
        try:
            await stream.write(hello)
        except OSError as exc:
            flight.closed = True
            flight.error = f"could not send the ClientHello ({exc})"
            return flight
        await read_flight(stream, reader, flight, read_timeout)
        hello_msg = flight.hello
        if after is not None and hello_msg is not None and flight.complete and not flight.error:
            kind = after(hello_msg)
            if kind is not None:
                flight.after_kind = kind
                flight.after = await after_probe(stream, kind, hello_msg.version)
        return flight

    return hook


async def after_probe(stream: Stream, kind: str, version: int) -> ProbeResult:
    """Send the Heartbleed or CCS-injection probe and classify what comes back."""
    if kind == "heartbleed":
        data, classify = build_heartbeat_request(version), classify_heartbeat_reply
    else:
        data, classify = build_ccs_injection_probe(version), classify_ccs_reply
    try:
        await stream.write(data)
    except OSError:
        return classify(b"", timed_out=False)
    reply, timed_out = await _collect_reply(stream)
    return classify(reply, timed_out=timed_out)


async def _collect_reply(stream: Stream) -> tuple[bytes, bool]:
    """Read until an alert or heartbeat record, EOF, 64 KiB, or the timeout."""
    deadline = time.monotonic() + AFTER_TIMEOUT
    reply = b""
    while len(reply) < MAX_AFTER_BYTES:
        try:
            data = await _read(stream, deadline)
        except OSError:
            return reply, False
        if data is None:
            return reply, True
        if not data:
            return reply, False
        reply += data
        if _has_verdict(reply):
            return reply, False
    return reply, False


def _has_verdict(reply: bytes) -> bool:
    try:
        records = RecordSplitter().feed(reply)
    except TLSRecordError:
        return True
    wanted = (ContentType.ALERT, ContentType.HEARTBEAT)
    return any(r.content_type in wanted for r in records)
