"""STARTTLS command injection in ``scan --deep``: the verdict comes from counting replies
(proto/injection.py), so a server that answers every command with the same code is caught
at once. The fake (starttls_fake.py) is a real SMTP server with real TLS."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from pathlib import Path

import pytest
from OpenSSL import SSL
from starttls_fake import InjectableSMTP, server_context

from mailtls.checks.mail import mail_findings
from mailtls.lab.pki import build_lab_pki
from mailtls.model import DeepObservation, Observation, Target
from mailtls.net.deep import Budget, Runner, deep_probe
from mailtls.net.deep import full as full_mod
from mailtls.net.deep.full import _Driver, _Tap, full_handshake, make_context
from mailtls.proto.injection import InjectionReader, Verdict
from mailtls.proto.tls import ProtocolVersion

FAST = Budget(timeout=3.0, read_timeout=1.0, retries=1, backoff=0.05, max_backoff=0.1)


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return server_context(tmp_path_factory.mktemp("inject"))


def _run(fake: InjectableSMTP, body):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            return await asyncio.wait_for(body(Target("smtp", "fake.test", port, "127.0.0.1")), 60)

    return asyncio.run(main())


def _deep(fake: InjectableSMTP) -> DeepObservation:
    return _run(fake, lambda target: deep_probe(target, budget=FAST))  # type: ignore[no-any-return]


V12, V13 = ProtocolVersion.TLSv1_2, ProtocolVersion.TLSv1_3


def _injection_handshake(
    fake: InjectableSMTP, v: ProtocolVersion = V12
) -> tuple[str | None, float]:
    """The one connection of the deep scan that carries the probe: (verdict, seconds).
    In TLS 1.2 the server speaks last in the handshake, so a vulnerable server's reply can
    be there before the probe command is sent; in TLS 1.3 it comes after (counted)."""

    async def body(target: Target) -> tuple[str | None, float]:
        runner = Runner(target, FAST)
        started = time.monotonic()
        full = await full_handshake(runner, make_context(v), v, None, injection=True, what="t")
        took = time.monotonic() - started
        assert full is not None and full.error is None, full
        return (full.injection.value if full.injection else None), took

    return _run(fake, body)  # type: ignore[no-any-return]


def _finding_ids(deep: DeepObservation, port: int = 25) -> set[str]:
    obs = Observation(target=Target("smtp", "fake.test", port), address="127.0.0.1")
    return {f.id for f in mail_findings(obs, deep)}


EVERYTHING = [b"250 2.0.0 Ok", b"503 5.5.1 Error: send HELO/EHLO first", b"421 4.3.0 later"]


@pytest.mark.parametrize("reply", EVERYTHING)
def test_a_server_that_answers_everything_alike_is_vulnerable_in_the_deep_scan(
    tls_context: ssl.SSLContext, reply: bytes
) -> None:
    """Issue 9, item 6: two replies to one command are the proof, whatever the code."""
    fake = InjectableSMTP(tls_context, vulnerable=True, everything=reply)
    started = time.monotonic()
    deep = _deep(fake)
    took = time.monotonic() - started
    print(f"deep scan, everything {reply[:3].decode()}: {deep.starttls_injection} "
          f"({took:.2f} s, {deep.connections} connections)")
    assert deep.starttls_injection == "vulnerable", (deep.starttls_injection_evidence, deep.notes)
    assert deep.starttls_injection_evidence[0] == reply.decode()
    assert "starttls.command_injection" in _finding_ids(deep)
    assert deep.cipher_suites.get("TLSv1.2"), "the rest of the scan stands"


@pytest.mark.parametrize("version", [V12, V13], ids=["TLSv1.2", "TLSv1.3"])
@pytest.mark.parametrize("reply", EVERYTHING)
def test_the_injection_connection_decides_without_waiting(
    tls_context: ssl.SSLContext, reply: bytes, version: ProtocolVersion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a 60 s bound on the wait (and 60 s for the whole test), the verdict still
    comes: from the count, not from a timer (the time is printed for the record; speed
    is measured in bench/, not asserted)."""
    monkeypatch.setattr(full_mod, "INJECTION_WAIT", 60.0)
    fake = InjectableSMTP(tls_context, vulnerable=True, everything=reply)
    verdict, took = _injection_handshake(fake, version)
    print(f"injection connection, {version.label}, everything {reply[:3].decode()}: "
          f"{verdict} in {took:.3f} s")
    assert verdict == "vulnerable"


def test_the_classic_vulnerable_server_is_still_vulnerable(tls_context: ssl.SSLContext) -> None:
    fake = InjectableSMTP(tls_context, vulnerable=True, everything=None)
    deep = _deep(fake)
    assert deep.starttls_injection == "vulnerable", deep.starttls_injection_evidence
    assert b"NOOP" in fake.after_tls


@pytest.mark.parametrize("everything", [None, b"503 5.5.1 Error: send HELO/EHLO first"])
def test_a_sound_server_is_not_vulnerable(
    tls_context: ssl.SSLContext, everything: bytes | None
) -> None:
    fake = InjectableSMTP(tls_context, vulnerable=False, everything=everything)
    deep = _deep(fake)
    assert deep.starttls_injection == "not vulnerable", deep.starttls_injection_evidence
    assert "starttls.command_injection" not in _finding_ids(deep)
    assert b"NOOP" not in fake.after_tls


def test_a_sound_server_that_answers_250_to_everything_is_never_called_vulnerable(
    tls_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One 250 to the one probe command: it cannot be told apart, so inconclusive."""
    monkeypatch.setattr(full_mod, "INJECTION_WAIT", 0.5)
    fake = InjectableSMTP(tls_context, vulnerable=False, everything=b"250 2.0.0 Ok")
    for version in (V12, V13):
        verdict, _ = _injection_handshake(fake, version)
        assert verdict == "inconclusive", version



class _Quiet:
    """A stream that records writes and never delivers another byte."""

    tls_head = b""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def read(self) -> bytes:
        await asyncio.Event().wait()
        return b""

    async def write(self, data: bytes) -> None:
        self.written.append(data)


def _connected_pair(directory: Path) -> tuple[SSL.Connection, SSL.Connection]:
    """A TLS 1.2 client and server, handshake done, over memory BIOs."""
    cert, key = build_lab_pki().situations["good"].issued.write(directory, "pair")
    server_ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    server_ctx.use_certificate_chain_file(str(cert))
    server_ctx.use_privatekey_file(str(key))
    server = SSL.Connection(server_ctx, None)
    server.set_accept_state()
    client = SSL.Connection(make_context(V12), None)
    client.set_connect_state()
    for _ in range(10):
        for a, b in ((client, server), (server, client)):
            with contextlib.suppress(SSL.WantReadError):
                a.do_handshake()
            with contextlib.suppress(SSL.WantReadError):
                b.bio_write(a.bio_read(65536))
    return client, server


def test_a_reply_already_there_before_the_probe_is_vulnerable(tmp_path: Path) -> None:
    """A server that answered the injected command with 503 before the probe command was
    written, then went quiet: not the probe's answer, whatever its code. Counted after the
    probe instead, the same 503 would pass for the probe's answer (not vulnerable)."""
    client, server = _connected_pair(tmp_path)
    server.sendall(b"503 5.5.1 Error: send HELO/EHLO first\r\n")
    client.bio_write(server.bio_read(65536))
    stream = _Quiet()
    driver = _Driver(stream, client, _Tap())
    reader = InjectionReader("smtp")
    verdict = asyncio.run(driver.injection(reader, "smtp", 2.0))
    assert verdict is Verdict.VULNERABLE, reader.evidence
    assert not stream.written, "decided before the probe command was sent"
