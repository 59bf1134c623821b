"""Wrong scheme (the 465/587 mix-up) against small servers on 127.0.0.1.

A STARTTLS scheme on a port that speaks TLS at once, and an implicit-TLS scheme on a port
that greets in clear text, each end in a finding that names the scheme that fits; a real
tarpit still times out, and a slow greeting is still scanned normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from mailtls.catalog import describe
from mailtls.checks import CheckContext, evaluate
from mailtls.model import Observation, ScanResult, Target
from mailtls.net.probe import probe
from mailtls.scan import exit_status
from mailtls.verify import TrustStore
from support.smtpfakes import FakeSMTP

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
STORE = TrustStore("empty", ())
LOOPBACK = "127.0.0.1"


@contextlib.asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    async def wrapped(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
            await handler(r, w)
        w.close()

    server = await asyncio.start_server(wrapped, LOOPBACK, 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1]


def tls_context(lab_files) -> ssl.SSLContext:  # type: ignore[no-untyped-def]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*lab_files.certs["good"])
    return ctx


def result_of(obs: Observation, timeout: float) -> ScanResult:
    return evaluate(obs, CheckContext(STORE, dt.datetime.now(dt.UTC), 30, timeout))


def scan_one(
    handler: Handler, scheme: str, *, tls: ssl.SSLContext | None = None, timeout: float = 30.0
) -> ScanResult:
    async def main() -> ScanResult:
        async with serving(handler, tls) as port:
            obs = await probe(Target(scheme, LOOPBACK, port), timeout=timeout)
        return result_of(obs, timeout)

    return asyncio.run(main())


def primary(r: ScanResult) -> str:
    return next(f.id for f in r.findings if f.primary)


async def greets_after_tls(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    w.write(b"220 implicit.example ESMTP\r\n")
    await w.drain()
    await r.read(100)


async def alert_on_hello(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    await r.read(5)  # a TLS stack that refuses every hello: handshake_failure
    w.write(b"\x15\x03\x03\x00\x02\x02\x28")
    await w.drain()
    await asyncio.sleep(5)


def greeter(greeting: bytes) -> Handler:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        w.write(greeting)
        await w.drain()
        await r.read(4096)  # the ClientHello, taken as a bad command
        w.write(b"500 5.5.2 Error: bad syntax\r\n")
        await w.drain()
        await asyncio.sleep(5)

    return handler


async def tarpit(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    while await r.read(4096):  # takes everything, says nothing, closes nothing
        pass
    await asyncio.sleep(60)


@pytest.mark.parametrize(
    ("scheme", "suggested"),
    [
        ("smtp", "smtps://127.0.0.1:{port}"),
        ("submission", "smtps://127.0.0.1:{port}"),
        ("imap", "imaps://127.0.0.1:{port}"),
        ("pop3", "pop3s://127.0.0.1:{port}"),
        ("sieve", "sieve://127.0.0.1:4190"),  # ManageSieve has no implicit-TLS scheme
    ],
)
def test_starttls_scheme_on_a_tls_port(lab_files, scheme: str, suggested: str) -> None:  # type: ignore[no-untyped-def]
    async def main() -> tuple[ScanResult, int]:
        async with serving(greets_after_tls, tls_context(lab_files)) as port:
            obs = await probe(Target(scheme, LOOPBACK, port), timeout=30)
        return result_of(obs, 30), port

    result, port = asyncio.run(main())
    f = next(f for f in result.findings if f.primary)
    assert f.id == "conn.wrong_scheme.tls"
    assert f.params["suggested"] == f.fix == suggested.format(port=port)
    assert f.params["url"] == f"{scheme}://127.0.0.1:{port}"
    assert not result.tested and exit_status([result]) == 3
    text = describe(f, "en")
    assert suggested.format(port=port) in text.remediation and "TLS at once" in text.title


def test_a_tls_alert_is_an_answer_in_tls() -> None:
    result = scan_one(alert_on_hello, "smtp")
    assert primary(result) == "conn.wrong_scheme.tls"


@pytest.mark.parametrize(
    ("scheme", "greeting", "suggested", "protocol"),
    [
        ("smtps", b"220 plain.example ESMTP Postfix\r\n", "smtp", "SMTP"),
        ("imaps", b"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n", "imap", "IMAP"),
        ("pop3s", b"+OK Dovecot ready.\r\n", "pop3", "POP3"),
        ("smtps", b"+OK Dovecot ready.\r\n", "pop3", "POP3"),  # what the port speaks wins
        ("imaps", b'"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"STARTTLS"\r\nOK\r\n', "sieve",
         "SIEVE"),
    ],
)
def test_implicit_tls_scheme_on_a_plain_port(
    scheme: str, greeting: bytes, suggested: str, protocol: str
) -> None:
    async def main() -> tuple[ScanResult, int]:
        async with serving(greeter(greeting)) as port:
            obs = await probe(Target(scheme, LOOPBACK, port), timeout=30)
        return result_of(obs, 30), port

    result, port = asyncio.run(main())
    f = next(f for f in result.findings if f.primary)
    assert f.id == "conn.wrong_scheme.plain"
    assert f.params["suggested"] == f"{suggested}://127.0.0.1:{port}"
    assert f.params["protocol"] == protocol
    assert f.params["greeting"] == greeting.split(b"\r\n")[0].decode()
    assert not result.tested and exit_status([result]) == 3
    zh = describe(f, "zh_CN")
    assert f.params["suggested"] in zh.remediation and "明文" in zh.title


def test_a_plain_reply_that_is_no_mail_greeting_stays_a_handshake_failure() -> None:
    result = scan_one(greeter(b"HTTP/1.1 400 Bad Request\r\n\r\n"), "smtps")
    assert primary(result) == "tls.handshake_failed"


def test_a_tarpit_still_times_out() -> None:
    result = scan_one(tarpit, "smtp", timeout=3)
    f = next(f for f in result.findings if f.primary)
    assert f.id == "conn.timeout" and f.params["phase"] == "waiting for the greeting"


def test_grace_none_turns_the_detection_off(lab_files) -> None:  # type: ignore[no-untyped-def]
    async def main() -> ScanResult:
        async with serving(greets_after_tls, tls_context(lab_files)) as port:
            obs = await probe(Target("smtp", LOOPBACK, port), timeout=2, grace=None)
        return result_of(obs, 2)

    assert primary(asyncio.run(main())) == "conn.timeout"


class SlowGreeting(FakeSMTP):
    """A real STARTTLS server that greets after 3 s and, like Exim's greeting delay with
    smtp_enforce_sync, drops a client that talks first (our ClientHello on the second look)."""

    async def _session(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        with contextlib.suppress(TimeoutError):
            if await asyncio.wait_for(r.read(1), 3):
                w.write(b"554 SMTP synchronization error\r\n")
                await w.drain()
                return
        await super()._session(r, w)


def test_a_slow_greeting_is_scanned_normally(lab_files) -> None:  # type: ignore[no-untyped-def]
    async def main() -> tuple[ScanResult, SlowGreeting]:
        async with SlowGreeting(*lab_files.certs["good"]) as fake:
            obs = await probe(Target("smtp", LOOPBACK, fake.port), timeout=30)
        return result_of(obs, 30), fake

    result, fake = asyncio.run(main())
    assert result.error is None and result.tls_version is not None
    assert result.certificate is not None
    assert (True, "EHLO mailtls.invalid") in fake.log  # the dialogue went on inside TLS
    assert not any(f.id.startswith("conn.") for f in result.findings)


def test_deep_scan_is_not_run_on_the_wrong_scheme(lab_files) -> None:  # type: ignore[no-untyped-def]
    """--deep on smtp:// against a TLS port: the finding names the scheme; no deep probes
    (they would speak SMTP to a TLS port for the whole budget)."""
    from mailtls.scan import ScanOptions, scan

    async def main() -> list[ScanResult]:
        async with serving(greets_after_tls, tls_context(lab_files)) as port:
            options = ScanOptions(store=STORE, timeout=30, deep=True)
            return await scan([Target("smtp", LOOPBACK, port)], options)

    (result,) = asyncio.run(main())
    assert primary(result) == "conn.wrong_scheme.tls"
    assert result.deep is None
