"""Servers that misbehave: each ends in a clear finding within the deadline, never a hang.

Every server here is a real socket server on 127.0.0.1, started in the test's loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable

import pytest

from mailtls.checks import CheckContext, evaluate
from mailtls.model import ScanResult, Target
from mailtls.net.probe import probe
from mailtls.scan import ScanOptions, exit_status, scan
from mailtls.verify import TrustStore

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
STORE = TrustStore("empty", ())


async def _serve(handler: Handler) -> tuple[asyncio.base_events.Server, int]:
    async def wrapped(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            await handler(r, w)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            w.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def run_probe(
    handler: Handler, scheme: str = "smtp", timeout: float = 3.0
) -> tuple[ScanResult, float]:
    async def main() -> tuple[ScanResult, float]:
        server, port = await _serve(handler)
        async with server:
            start = time.monotonic()
            obs = await probe(Target(scheme, "127.0.0.1", port), timeout=timeout)
            took = time.monotonic() - start
        ctx = CheckContext(STORE, dt.datetime.now(dt.UTC), 30, timeout)
        return evaluate(obs, ctx), took

    return asyncio.run(main())


def primary(r: ScanResult) -> str:
    return next(f.id for f in r.findings if f.primary)


async def silent(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await asyncio.sleep(60)


async def garbage(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    w.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    await w.drain()
    await asyncio.sleep(5)


async def rate_limited(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    w.write(b"421 4.7.0 mx.example Error: too many connections from 127.0.0.1\r\n")
    await w.drain()


async def huge_greeting(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    chunk = b"220-" + b"x" * 1000 + b"\r\n"
    for _ in range(100 * 1024):  # 100 MB of greeting lines
        w.write(chunk)
        await w.drain()


async def endless_line(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    for _ in range(100 * 1024):
        w.write(b"A" * 1024)
        await w.drain()


async def drip(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    for ch in b"220 slow.example ESMTP a greeting that takes forever\r\n":
        w.write(bytes([ch]))
        await w.drain()
        await asyncio.sleep(1)


async def closes_mid_handshake(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    w.write(b"220 mx ESMTP\r\n")
    await r.readline()
    w.write(b"250-mx\r\n250 STARTTLS\r\n")
    await r.readline()
    w.write(b"220 go ahead\r\n")
    await w.drain()
    await r.read(10)  # part of the ClientHello, then gone


async def tls_garbage(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    w.write(b"220 mx ESMTP\r\n")
    await r.readline()
    w.write(b"250-mx\r\n250 STARTTLS\r\n")
    await r.readline()
    w.write(b"220 go ahead\r\n")
    await w.drain()
    await r.read(4096)
    w.write(b"this is not a TLS record at all\r\n" * 10)
    await w.drain()
    await asyncio.sleep(2)


async def no_starttls(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    w.write(b"220 mx ESMTP\r\n")
    await r.readline()
    w.write(b"250-mx\r\n250 PIPELINING\r\n")
    await w.drain()
    await r.readline()


async def closes_at_once(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    return


@pytest.mark.parametrize(
    ("handler", "finding", "scheme"),
    [
        (garbage, "conn.protocol_error", "smtp"),
        (rate_limited, "conn.rate_limited", "smtp"),
        (huge_greeting, "conn.protocol_error", "smtp"),
        (endless_line, "conn.protocol_error", "imap"),
        (closes_mid_handshake, "tls.handshake_failed", "smtp"),
        (tls_garbage, "tls.handshake_failed", "smtp"),
        (no_starttls, "starttls.not_offered", "smtp"),
        (closes_at_once, "conn.closed", "pop3"),
        (silent, "conn.timeout", "smtps"),
    ],
)
def test_misbehaving_server_gets_a_clear_finding(
    handler: Handler, finding: str, scheme: str
) -> None:
    result, took = run_probe(handler, scheme, timeout=3.0)
    assert primary(result) == finding
    assert took < 3.0 + 1.5


def test_silence_and_drip_are_cut_at_the_deadline() -> None:
    for handler in (silent, drip):
        result, took = run_probe(handler, "smtp", timeout=1.5)
        assert primary(result) == "conn.timeout"
        f = next(f for f in result.findings if f.primary)
        assert f.params["phase"] == "waiting for the greeting" and f.params["seconds"] == "1.5"
        assert not result.tested
        assert took < 3.0


def test_refused_and_unresolvable() -> None:
    async def main() -> list[ScanResult]:
        server, port = await _serve(closes_at_once)
        server.close()
        await server.wait_closed()
        targets = [Target("smtp", "127.0.0.1", port), Target("smtp", "nonexistent.invalid", 25)]
        return await scan(targets, ScanOptions(store=STORE, timeout=5))

    refused, unresolved = asyncio.run(main())
    assert primary(refused) == "conn.refused"
    assert "connection refused" in refused.findings[0].params["reason"]
    assert primary(unresolved) == "conn.resolve_failed"
    assert exit_status([refused]) == 3


def test_one_bad_server_does_not_lose_the_others() -> None:
    async def main() -> list[ScanResult]:
        s1, p1 = await _serve(silent)
        s2, p2 = await _serve(no_starttls)
        s3, p3 = await _serve(garbage)
        async with s1, s2, s3:
            targets = [Target("smtp", "127.0.0.1", p) for p in (p1, p2, p3)]
            return await scan(targets, ScanOptions(store=STORE, timeout=2))

    results = asyncio.run(main())
    assert [primary(r) for r in results] == [
        "conn.timeout",
        "starttls.not_offered",
        "conn.protocol_error",
    ]
