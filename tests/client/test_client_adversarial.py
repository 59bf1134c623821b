"""Hostile networks and servers: stripping, injection, old TLS, drops, refusals, silence."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from clientlab import ADDRESS, SubmitLab

from mailtls.client import (
    AsyncClient,
    ConnectionFailed,
    DeliveryUnconfirmed,
    MessageRejected,
    ResponseInjection,
    StartTLSUnavailable,
    TLSVersionTooOld,
    build_message,
)
from support.smtpfakes import FakeSMTP, Proxy, inject_after_220, strip_starttls

MSG = build_message("alice@localhost", ["alice@localhost", "bob@localhost"], "hi", "body\n")


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def _fake_client(fake: FakeSMTP, ca_file: object, **kw: Any) -> AsyncClient:
    options: dict[str, Any] = {"address": ADDRESS, "ca_file": ca_file, "timeout": 5}
    options.update(kw)
    return AsyncClient(f"submission://localhost:{fake.port}", **options)


async def _send(client: AsyncClient) -> Any:
    async with client as c:
        return await c.send_message(MSG)


# -- men in the middle before a real Postfix ----------------------------------------------


@pytest.mark.servers
@pytest.mark.parametrize(("transform", "error", "finding"), [
    (strip_starttls, StartTLSUnavailable, "starttls.not_offered"),
    (inject_after_220, ResponseInjection, "client.response_injection"),
], ids=["stripping", "injection"])
def test_man_in_the_middle_is_refused(submit_lab: SubmitLab, transform: Callable[[bytes], bytes],
                                      error: type[Exception], finding: str) -> None:
    before, mark = len(submit_lab.disconnects("good")), submit_lab.mark("good")

    async def go() -> None:
        async with Proxy(submit_lab.port("good"), transform) as proxy:
            c = AsyncClient(f"submission://localhost:{proxy.listen_port}", address=ADDRESS,
                            ca_file=submit_lab.ca_file, username=submit_lab.user,
                            password=submit_lab.password, timeout=10)
            with pytest.raises(error) as info:
                await _send(c)
            assert info.value.id == finding  # type: ignore[attr-defined]
            await asyncio.sleep(0.2)

    run(go())
    submit_lab.wait_disconnects("good", before + 1)
    submit_lab.assert_nothing_sent("good", mark)


# -- scripted servers ---------------------------------------------------------------------


def test_tls_1_1_only_server(lab_files: Any) -> None:
    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"], tls_max=ssl.TLSVersion.TLSv1_1) as fake:
            with pytest.raises(TLSVersionTooOld) as info:
                await _send(_fake_client(fake, lab_files.ca_file, username="u", password="p"))
            assert info.value.finding.params["version"] == "TLSv1.1"
            assert not any(line.startswith(("AUTH", "MAIL")) for _, line in fake.log)

    run(go())


def test_starttls_refused(lab_files: Any) -> None:
    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"],
                            starttls_reply=b"454 4.7.0 TLS not available\r\n") as fake:
            with pytest.raises(StartTLSUnavailable) as info:
                await _send(_fake_client(fake, lab_files.ca_file, username="u", password="p"))
            assert info.value.id == "starttls.refused"
            assert "454" in info.value.detail()
            assert [line for _, line in fake.log if not line.startswith(("EHLO", "QUIT"))] == [
                "STARTTLS"]

    run(go())


@pytest.mark.parametrize(("reply", "error", "finding", "count"), [
    (b"220 2.0.0 go\r\n250-injected\r\n250 AUTH PLAIN\r\n", ResponseInjection,
     "client.response_injection", len(b"250-injected\r\n250 AUTH PLAIN\r\n")),
    (b"220 2.0.0 go\r\n2", ResponseInjection, "client.response_injection", 1),
    (b"220-2.0.0 go\r\n220 ahead\r\n\r\n", ResponseInjection, "client.response_injection", 2),
    (b"250 2.0.0 injected\r\n220 2.0.0 go\r\n", StartTLSUnavailable, "starttls.refused", None),
], ids=["reply-after-220", "one-byte", "multiline-220", "reply-before-220"])
def test_plaintext_pipelined_with_the_220_is_refused(
        lab_files: Any, reply: bytes, error: type[Exception], finding: str,
        count: int | None) -> None:
    """A scripted server writes its STARTTLS reply and more in one write: the client
    reads them through proto's reply reader and never starts TLS over the extra bytes."""
    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"], starttls_reply=reply) as fake:
            with pytest.raises(error) as info:
                await _send(_fake_client(fake, lab_files.ca_file, username="u", password="p"))
            assert info.value.id == finding  # type: ignore[attr-defined]
            if count is not None:
                assert info.value.finding.params["bytes"] == str(count)  # type: ignore[attr-defined]
            assert not any(line.startswith(("AUTH", "MAIL")) for _, line in fake.log)

    run(go())


def test_drop_after_data_is_not_a_success(lab_files: Any) -> None:
    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"], drop_after_data=True) as fake:
            with pytest.raises(DeliveryUnconfirmed) as info:
                await _send(_fake_client(fake, lab_files.ca_file))
            assert "closed" in info.value.detail()
            assert "不要" in info.value.remediation("zh_CN") or info.value.remediation("zh_CN")

    run(go())


@pytest.mark.parametrize("pipelining", [True, False])
def test_one_refused_recipient_stops_the_message(lab_files: Any, pipelining: bool) -> None:
    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"], refuse_rcpt="bob@",
                            pipelining=pipelining) as fake:
            with pytest.raises(MessageRejected) as info:
                await _send(_fake_client(fake, lab_files.ca_file))
            assert "bob@localhost" in info.value.detail()
            verbs = [line.split(":")[0].split(" ")[0] for _, line in fake.log]
            assert fake.accepted == 0
            if pipelining:  # DATA went with the envelope; 354 -> connection dropped, no "."
                assert "DATA" in verbs
            else:
                assert "DATA" not in verbs and "RSET" in verbs

    run(go())


def test_auth_only_after_tls_and_password_not_logged(
    lab_files: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cret-never-logged"
    caplog.set_level(logging.DEBUG, logger="mailtls.client")

    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"]) as fake:
            result = await _send(_fake_client(fake, lab_files.ca_file, username="alice",
                                              password=secret))
            assert result.queue_id == "FAKE1"
            for tls, line in fake.log:
                if line.startswith(("AUTH", "MAIL", "RCPT", "DATA")):
                    assert tls, line
            verbs = [line.split(" ")[0] for _, line in fake.log]
            assert verbs.index("AUTH") > verbs.index("STARTTLS")

    run(go())
    assert "AUTH PLAIN ***" in caplog.text
    assert secret not in caplog.text
    import base64
    assert base64.b64encode(f"\0alice\0{secret}".encode()).decode() not in caplog.text


@pytest.mark.parametrize(("greeting", "finding"), [
    (b"421 4.7.0 too many connections\r\n", "conn.rate_limited"),
    (b"HTTP/1.1 400 Bad Request\r\n", "conn.protocol_error"),
])
def test_bad_greetings(lab_files: Any, greeting: bytes, finding: str) -> None:
    async def go() -> None:
        async with FakeSMTP(*lab_files.certs["good"], greeting=greeting) as fake:
            with pytest.raises(ConnectionFailed) as info:
                await _send(_fake_client(fake, lab_files.ca_file))
            assert info.value.id == finding

    run(go())


def test_silent_server_times_out() -> None:
    async def go() -> None:
        async def silent(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)
            w.close()

        server = await asyncio.start_server(silent, ADDRESS, 0)
        port = server.sockets[0].getsockname()[1]
        try:
            c = AsyncClient(f"submission://localhost:{port}", address=ADDRESS, timeout=0.3)
            with pytest.raises(ConnectionFailed) as info:
                await c.connect()
            assert info.value.id == "conn.timeout"
            assert "greeting" in info.value.detail()
        finally:
            server.close()

    run(go())


def test_connection_refused() -> None:
    from servers.ports import free_ports

    [port] = free_ports(1)
    c = AsyncClient(f"submission://localhost:{port}", address=ADDRESS, timeout=2)
    with pytest.raises(ConnectionFailed) as info:
        run(c.connect())
    assert info.value.id == "conn.refused"
