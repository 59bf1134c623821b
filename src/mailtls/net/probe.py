"""One probe: connect, run the mail dialogue, do the TLS handshake, record what was seen.

The probe never raises for what a server does: refusals, silence, garbage and
broken handshakes all end as an Observation with ``error_id`` set. Only a
deadline for the whole endpoint applies (``timeout``), so a server that drips one
byte a second cannot hold the scan.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from ..errors import ProbeError
from ..model import Observation, Target
from ..proto import DialogueResult, Failed, Finished, Send, StartTLS, make_dialogue
from .stream import Stream, TCPStream, TLSInfo

Connector = Callable[[str, int], Awaitable[Stream]]


@dataclass
class _Progress:
    """What the probe has seen so far; survives a timeout."""

    phase: str = "resolving the host name"
    address: str | None = None
    tls: TLSInfo | None = None
    failure: tuple[str, str] | None = None
    stream: Stream | None = None
    result: DialogueResult | None = None


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
    addresses: list[str], port: int, progress: _Progress, connector: Connector
) -> Stream:
    last: OSError | None = None
    for addr in addresses:
        progress.address = addr
        try:
            return await connector(addr, port)
        except OSError as exc:
            last = exc
    assert last is not None
    raise ProbeError("conn.refused", _refusal(last))


async def _dialogue(
    target: Target, stream: Stream, ehlo: str, progress: _Progress, server_name: str | None
) -> Observation:
    spec = target.spec
    d = make_dialogue(spec.protocol, implicit_tls=spec.implicit_tls, ehlo=ehlo)
    pending = deque(d.start())
    progress.phase = "waiting for the greeting"
    while True:
        while pending:
            action = pending.popleft()
            if isinstance(action, Send):
                await stream.write(action.data)
            elif isinstance(action, StartTLS):
                progress.phase = "in the TLS handshake"
                progress.tls = await stream.start_tls(server_name)
                progress.phase = "in the dialogue after the TLS handshake"
                pending.extend(d.tls_established())
            elif isinstance(action, Failed | Finished):
                if isinstance(action, Failed):
                    progress.failure = (action.finding_id, action.reason)
                progress.result = d.result
                return _observation(target, progress)
        pending.extend(d.receive_data(await stream.read()))


def _observation(target: Target, progress: _Progress) -> Observation:
    result = progress.result
    tls = progress.tls
    error_id, error = progress.failure or (None, None)
    if result is None:
        result = DialogueResult()
    return Observation(
        target=target,
        address=progress.address,
        tls_version=tls.version if tls else None,
        cipher=tls.cipher if tls else None,
        chain_der=tls.chain_der if tls else (),
        error_id=error_id,
        error=error,
        banner=result.banner,
        capabilities=tuple(result.capabilities_before_tls),
        capabilities_after_tls=tuple(result.capabilities_after_tls),
        starttls_offered=result.starttls_offered,
        bytes_after_starttls=bytes(result.bytes_after_starttls_reply),
        transcript=tuple(result.transcript),
    )


async def probe(
    target: Target,
    *,
    timeout: float = 30.0,
    ehlo: str = "mailtls.invalid",
    connector: Connector | None = None,
    limiter: Callable[[str], asyncio.Semaphore] | None = None,
) -> Observation:
    """Observe one endpoint within ``timeout`` seconds, whatever the server does."""
    progress = _Progress()
    started = time.monotonic()
    server_name = None if _is_ip(target.host) else target.host
    connect = connector or TCPStream.connect
    try:
        async with asyncio.timeout(timeout):
            addresses = await resolve(target)
            progress.phase = "connecting"
            sem = limiter(addresses[0]) if limiter else None
            if sem is not None:
                await sem.acquire()
            try:
                progress.stream = await _connect(addresses, target.port, progress, connect)
                try:
                    obs = await _dialogue(target, progress.stream, ehlo, progress, server_name)
                finally:
                    await _close(progress.stream)
            finally:
                if sem is not None:
                    sem.release()
    except TimeoutError:
        if progress.tls is not None:  # the certificate was seen: keep it
            obs = _observation(target, progress)
        else:
            progress.failure = ("conn.timeout", progress.phase)
            obs = _observation(target, progress)
    except ProbeError as exc:
        progress.failure = (exc.finding_id, exc.message)
        obs = _observation(target, progress)
    except OSError as exc:
        progress.failure = ("conn.closed", f"{progress.phase} ({_refusal(exc)})")
        obs = _observation(target, progress)
    return _with_elapsed(obs, time.monotonic() - started)


async def _close(stream: Stream) -> None:
    try:
        async with asyncio.timeout(1.0):
            await stream.aclose()
    except (OSError, TimeoutError):
        pass


def _with_elapsed(obs: Observation, elapsed: float) -> Observation:
    return replace(obs, elapsed=round(elapsed, 4))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
