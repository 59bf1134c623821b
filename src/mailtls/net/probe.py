"""One probe: connect, run the mail dialogue, do the TLS handshake, record what was seen.

The probe never raises for what a server does: refusals, silence, garbage and
broken handshakes all end as an Observation with ``error_id`` set. Only a
deadline for the whole endpoint applies (``timeout``), so a server that drips one
byte a second cannot hold the scan.

Wrong scheme (the 465/587 mix-up): on a STARTTLS scheme, a server that has sent nothing
after ``grace`` seconds gets a ClientHello on a second connection while the first keeps
waiting; a TLS answer there is ``conn.wrong_scheme.tls``. On an implicit-TLS scheme, a
handshake that broke on a clear-text mail greeting is ``conn.wrong_scheme.plain``. The
error of both is the target URL with the scheme that fits the port.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass

from ..errors import ProbeError
from ..model import Observation, Target
from ..proto import Dialogue, DialogueResult, Failed, Finished, Send, StartTLS, State, make_dialogue
from ..proto.sniff import Kind, sniff, suggest_plain, suggest_tls
from .stream import Stream, TCPStream, TLSInfo, client_hello

Connector = Callable[[str, int], Awaitable[Stream]]


AfterTLS = Callable[[Stream], Awaitable[object]]
#: Replaces the handshake: gets the raw stream right after the STARTTLS reply (or at once for
#: implicit TLS), writes its own ClientHello bytes; what it returns lands in Session.after_tls.
RawTLS = Callable[[Stream], Awaitable[object]]
#: seconds a STARTTLS scheme waits for the server's first byte before it also tries TLS
GREETING_GRACE = 1.0


@dataclass
class Session:
    """What one connection has seen so far; survives a timeout."""

    phase: str = "resolving the host name"
    address: str | None = None
    tls: TLSInfo | None = None
    failure: tuple[str, str] | None = None
    stream: Stream | None = None
    result: DialogueResult | None = None
    after_tls: object = None  # what an after_tls hook returned
    elapsed: float = 0.0
    received: int = 0  # bytes read before the handshake (or in the dialogue)
    greeting_seen: str | None = None  # a clear-text greeting that answered our ClientHello


async def resolve(target: Target) -> list[str]:
    """The addresses to try, in the resolver's order (--resolve wins)."""
    if target.address:
        return [target.address]
    try:
        return [str(ipaddress.ip_address(target.host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ProbeError("conn.resolve_failed", exc.strerror or str(exc)) from None
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    if not seen:
        raise ProbeError("conn.resolve_failed", "no address")
    return seen


def _refusal(exc: OSError) -> str:
    if exc.errno == errno.ECONNREFUSED:
        return "connection refused"
    return exc.strerror or str(exc) or type(exc).__name__


async def _connect(
    addresses: list[str], port: int, session: Session, connector: Connector
) -> Stream:
    last: OSError | None = None
    for addr in addresses:
        session.address = addr
        try:
            return await connector(addr, port)
        except OSError as exc:
            last = exc
    assert last is not None
    raise ProbeError("conn.refused", _refusal(last))


async def drive(
    d: Dialogue,
    stream: Stream,
    session: Session,
    server_name: str | None,
    *,
    inject: bytes = b"",
    after_tls: AfterTLS | None = None,
    raw_tls: RawTLS | None = None,
) -> None:
    """Run a dialogue on a stream; ``inject`` rides along with the STARTTLS command,
    ``after_tls`` replaces the dialogue once the handshake is done, and ``raw_tls``
    replaces the handshake itself (and what follows)."""
    pending = deque(d.start())
    session.phase = "waiting for the greeting"
    while True:
        while pending:
            action = pending.popleft()
            if isinstance(action, Send):
                data = action.data + (inject if d.state is State.STARTTLS else b"")
                await stream.write(data)
            elif isinstance(action, StartTLS):
                session.phase = "in the TLS handshake"
                if raw_tls is not None:
                    session.result = d.result
                    session.after_tls = await raw_tls(stream)
                    return
                session.tls = await stream.start_tls(server_name)
                session.phase = "in the dialogue after the TLS handshake"
                if after_tls is not None:
                    session.result = d.result
                    session.after_tls = await after_tls(stream)
                    return
                pending.extend(d.tls_established())
            elif isinstance(action, Failed | Finished):
                if isinstance(action, Failed):
                    session.failure = (action.finding_id, action.reason)
                session.result = d.result
                return
        data = await stream.read()
        session.received += len(data)
        pending.extend(d.receive_data(data))


def observation(target: Target, session: Session) -> Observation:
    result = session.result
    tls = session.tls
    error_id, error = session.failure or (None, None)
    if result is None:
        result = DialogueResult()
    return Observation(
        target=target,
        address=session.address,
        tls_version=tls.version if tls else None,
        cipher=tls.cipher if tls else None,
        chain_der=tls.chain_der if tls else (),
        elapsed=session.elapsed,
        error_id=error_id,
        error=error,
        banner=result.banner or session.greeting_seen,
        capabilities=tuple(result.capabilities_before_tls),
        capabilities_after_tls=tuple(result.capabilities_after_tls),
        starttls_offered=result.starttls_offered,
        bytes_after_starttls=bytes(result.bytes_after_starttls_reply),
        transcript=tuple(result.transcript),
    )


async def open_session(
    target: Target,
    dialogue: Dialogue,
    *,
    timeout: float = 30.0,
    connector: Connector | None = None,
    limiter: Callable[[str], asyncio.Semaphore] | None = None,
    inject: bytes = b"",
    after_tls: AfterTLS | None = None,
    raw_tls: RawTLS | None = None,
    grace: float | None = None,
) -> Session:
    """One connection running ``dialogue`` within ``timeout``, whatever the server does;
    with ``grace`` (seconds), a port that speaks the other kind of TLS than the scheme says
    ends as conn.wrong_scheme.tls or conn.wrong_scheme.plain (see the module docstring)."""
    session = Session()
    started = time.monotonic()
    server_name = None if _is_ip(target.host) else target.host
    connect = connector or TCPStream.connect
    sem: asyncio.Semaphore | None = None
    try:
        async with asyncio.timeout(timeout):
            addresses = await resolve(target)
        session.phase = "connecting"
        if limiter is not None:  # waiting for our own slot does not count against the server
            slot = limiter(addresses[0])
            queued = time.monotonic()
            await slot.acquire()
            sem = slot
            started += time.monotonic() - queued
        async with asyncio.timeout(timeout - (time.monotonic() - started)):
            session.stream = await _connect(addresses, target.port, session, connect)
            try:
                run = drive(
                    dialogue,
                    session.stream,
                    session,
                    server_name,
                    inject=inject,
                    after_tls=after_tls,
                    raw_tls=raw_tls,
                )
                if grace is None or target.spec.implicit_tls:
                    await run
                else:
                    await _watch_greeting(run, target, session, grace, connect, server_name)
            finally:
                await _close(session.stream)
    except TimeoutError:
        if session.tls is None:  # with the certificate seen, a late timeout costs nothing
            session.failure = ("conn.timeout", session.phase)
    except ProbeError as exc:
        plain = _plain_reply(target, session) if grace is not None else None
        session.failure = plain or (exc.finding_id, exc.message)
    except OSError as exc:
        session.failure = ("conn.closed", f"{session.phase} ({_refusal(exc)})")
    finally:
        if sem is not None:
            sem.release()
    if session.result is None:
        session.result = dialogue.result
    session.elapsed = round(time.monotonic() - started, 4)
    return session


async def _watch_greeting(
    run: Coroutine[object, object, None],
    target: Target,
    session: Session,
    grace: float,
    connect: Connector,
    server_name: str | None,
) -> None:
    """Run the dialogue; if the server has sent nothing within ``grace``, ask the port for
    TLS on a second connection meanwhile. A TLS answer while the first connection is still
    silent raises conn.wrong_scheme.tls; anything else leaves the first connection to go on."""
    main = asyncio.ensure_future(run)
    sniffer: asyncio.Future[bool] | None = None
    try:
        done, _ = await asyncio.wait({main}, timeout=max(0.0, grace))
        if main in done or session.received or session.address is None:
            return await main
        sniffer = asyncio.ensure_future(
            _speaks_tls(session.address, target.port, server_name, connect)
        )
        await asyncio.wait({main, sniffer}, return_when=asyncio.FIRST_COMPLETED)
        if sniffer.done() and sniffer.result() and not session.received and not main.done():
            raise ProbeError("conn.wrong_scheme.tls", suggest_tls(target).url)
        return await main
    finally:
        tasks = [t for t in (main, sniffer) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _speaks_tls(
    address: str, port: int, server_name: str | None, connect: Connector
) -> bool:
    """Does this port answer a ClientHello at once with TLS (a ServerHello or an alert)?"""
    try:
        stream = await connect(address, port)
    except OSError:
        return False
    try:
        await stream.write(client_hello(server_name))
        head = b""
        while (seen := sniff(head)).kind is Kind.MORE:
            data = await stream.read()
            if not data:
                return False
            head += data
        return seen.kind is Kind.TLS
    except (OSError, ProbeError):
        return False
    finally:
        await _close(stream)


def _plain_reply(target: Target, session: Session) -> tuple[str, str] | None:
    """conn.wrong_scheme.plain when an implicit-TLS handshake broke on a mail greeting."""
    if not target.spec.implicit_tls or session.tls is not None or session.stream is None:
        return None
    seen = sniff(session.stream.tls_head)
    if seen.kind is not Kind.PLAIN or seen.protocol is None:
        return None
    session.greeting_seen = seen.greeting
    return ("conn.wrong_scheme.plain", suggest_plain(target, seen.protocol).url)


async def probe(
    target: Target,
    *,
    timeout: float = 30.0,
    ehlo: str = "mailtls.invalid",
    connector: Connector | None = None,
    limiter: Callable[[str], asyncio.Semaphore] | None = None,
    grace: float | None = GREETING_GRACE,
) -> Observation:
    """Observe one endpoint: the mail dialogue, the handshake, the chain. ``grace``: seconds
    of silence after which a STARTTLS scheme checks whether the port speaks TLS at once
    (None: never; capped by ``timeout``)."""
    spec = target.spec
    d = make_dialogue(spec.protocol, implicit_tls=spec.implicit_tls, ehlo=ehlo)
    session = await open_session(
        target, d, timeout=timeout, connector=connector, limiter=limiter, grace=grace
    )
    return observation(target, session)


async def _close(stream: Stream) -> None:
    try:
        async with asyncio.timeout(1.0):
            await stream.aclose()
    except (OSError, TimeoutError):
        pass


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
