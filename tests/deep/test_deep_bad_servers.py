"""scan --deep against small loopback servers that misbehave after STARTTLS: garbage,
truncated records, a 16 MB handshake message, alerts at every step, silence, and a server
that answers 421 to everything. Each probe must end within its timeout with a clear result;
nothing hangs, nothing raises, unknown stays unknown (never "not offered")."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from mailtls.checks.tls import tls_findings
from mailtls.model import PROTOCOLS, DeepObservation, ProbeOutcome, Target
from mailtls.net.deep import Budget, deep_probe
from mailtls.proto.tls import build_record
from support.tlsfakes import smtp_front

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
FAST = Budget(timeout=3.0, read_timeout=0.5, retries=1, backoff=0.05, max_backoff=0.1)
ALERT = build_record(21, 0x0303, bytes([2, 40]))  # fatal handshake_failure


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")


async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    writer.write(b"\x16\x03\x03\x00\x64" + bytes(10))  # 100 announced, 10 sent, then EOF


async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    writer.write(build_record(22, 0x0303, b"\x02\xff\xff\xff" + bytes(16000)))
    for _ in range(64):  # keeps sending; the reader must stop at the header
        writer.write(build_record(22, 0x0303, bytes(16384)))
        await writer.drain()


async def alerts(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(65536)
    writer.write(ALERT)


async def silence(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client gives up


BEHAVIOURS: dict[str, Behaviour] = {
    "garbage": garbage, "truncated": truncated, "huge": huge, "alerts": alerts,
    "silence": silence,
}  # fmt: skip


async def _serve(behaviour: Behaviour, *, throttle: bool = False) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if throttle:
                writer.write(b"421 4.7.0 too many connections\r\n")
            elif await smtp_front(reader, writer, b"250-AUTH PLAIN\r\n"):
                await behaviour(reader, writer)
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _scan(behaviour: Behaviour, budget: Budget = FAST, **kw: bool) -> tuple[DeepObservation, float]:
    async def main() -> tuple[DeepObservation, float]:
        server, port = await _serve(behaviour, **kw)
        async with server:
            started = time.monotonic()
            target = Target("smtp", "bad.test", port, "127.0.0.1")
            obs = await asyncio.wait_for(deep_probe(target, budget=budget), 60)
            return obs, time.monotonic() - started

    return asyncio.run(main())


@pytest.mark.parametrize("name", list(BEHAVIOURS))
def test_misbehaving_server_gives_a_clear_result(name: str) -> None:
    obs, took = _scan(BEHAVIOURS[name])
    assert took < 20, f"{name}: {took:.1f} s"
    assert not obs.cipher_suites and not obs.groups and not obs.certificates
    assert not any(obs.protocols.values()), obs.protocols  # nothing is claimed as offered
    assert obs.connections >= 3
    if name == "alerts":  # a clear refusal is a clear "no"
        assert obs.protocols["TLSv1.2"] is False and obs.protocols["TLSv1.3"] is False
    else:  # garbage, silence, broken records: unknown, never "not offered"
        assert obs.protocols["TLSv1.3"] is None and obs.protocols["TLSv1.2"] is None
        assert obs.incomplete and obs.notes
    assert obs.mail_without_tls == 250  # the mail part of the report stands


def test_throttling_server_is_unknown_and_incomplete_never_negative() -> None:
    obs, took = _scan(silence, throttle=True)
    assert all(obs.protocols.get(p) is None for p in PROTOCOLS), obs.protocols
    assert obs.incomplete and obs.notes
    causes = {(o.outcome, o.cause) for o in obs.outcomes}
    assert causes == {(ProbeOutcome.THROTTLED, "conn.rate_limited")}, obs.outcomes
    assert {f.id for f in tls_findings(obs)} == {"scan.incomplete"}
    (finding,) = tls_findings(obs)
    assert "the server throttled" in finding.params["reasons"]
    assert obs.heartbleed is None and obs.secure_renegotiation is None
    # every probe retried once after a back-off, and gave up
    assert obs.connections >= 2 * 3
    assert took < 20


def test_gentle_mode_opens_one_connection_at_a_time() -> None:
    active = 0
    peak = 0

    async def counting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            await alerts(reader, writer)
            await writer.drain()
        finally:
            active -= 1

    gentle = Budget(timeout=3.0, read_timeout=0.5, gentle=True, pause=0.01, retries=1)
    obs, _ = _scan(counting, gentle)
    assert peak == 1 and obs.protocols["TLSv1.2"] is False
