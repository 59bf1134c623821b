"""The lab endpoints, driven by real clients: smtplib, imaplib, poplib, swaks, raw sockets.

Only loopback is used. One lab serves the module; tests that stop a lab start their own.
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import os
import poplib
import select
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from mailtls.lab import servers
from mailtls.lab.pki import build_lab_pki
from mailtls.lab.run import LabThread
from mailtls.lab.servers import Endpoint, Lab

SITUATIONS = list(build_lab_pki().situations)
TIMEOUT = 5.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with LabThread(tmp_path_factory.mktemp("lab")) as running:
        yield running


def endpoint(lab: Lab, name: str) -> Endpoint:
    return next(e for e in lab.endpoints if e.name == name)


def permissive() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def verifying(lab: Lab) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(lab.ca_file))


def leaf_der(lab: Lab, situation: str) -> bytes:
    return lab.pki.situations[situation].issued.cert.public_bytes(Encoding.DER)


def peer_der(sock: object) -> bytes | None:
    assert isinstance(sock, ssl.SSLSocket)
    return sock.getpeercert(binary_form=True)


def smtp(lab: Lab, name: str) -> smtplib.SMTP:
    return smtplib.SMTP("localhost", endpoint(lab, name).port, timeout=TIMEOUT)


def connect(port: int, host: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection((host, port), timeout=TIMEOUT)


def read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) before the read timeout."""
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


# --- the endpoint set -------------------------------------------------------------------------


def test_endpoints_cover_every_situation_and_protocol(lab: Lab) -> None:
    smtp_names = [e.name for e in lab.endpoints if e.scheme == "smtp"]
    assert smtp_names == [*SITUATIONS, "no-starttls"]
    assert {e.scheme for e in lab.endpoints} == {"smtp", "smtps", "imap", "imaps", "pop3", "pop3s"}
    assert len({e.port for e in lab.endpoints}) == len(lab.endpoints)
    for e in lab.endpoints:
        assert e.host == "127.0.0.1"
        assert e.url == f"{e.scheme}://localhost:{e.port}"
        if e.situation == servers.NO_TLS:
            assert e.expect == "starttls.not_offered"
        else:
            assert e.expect == lab.pki.situations[e.situation].expect
    assert endpoint(lab, "pop3s-expired").expect == "cert.expired"


def test_files_written(lab: Lab) -> None:
    assert lab.ca_file == lab.directory / "ca.pem"
    assert lab.ca_file.read_bytes() == lab.pki.ca_pem()
    for name in SITUATIONS:
        assert (lab.directory / f"{name}.pem").read_bytes().startswith(b"-----BEGIN CERT")
        assert (lab.directory / f"{name}.key").stat().st_mode & 0o077 == 0
    lines = (lab.directory / "targets.txt").read_text().splitlines()
    assert [x for x in lines if not x.startswith("#")] == [e.url for e in lab.endpoints]
    comments = [x for x in lines if x.startswith("#")]
    assert comments == [f"# {e.name}: {e.description}" for e in lab.endpoints]


def test_rejects_non_loopback_host_and_bad_base_port(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.0.2.1", "::"):
        with pytest.raises(ValueError, match="loopback"):
            Lab(tmp_path, host=host)
    for base in (80, 65530):
        with pytest.raises(ValueError, match="base port"):
            Lab(tmp_path, base_port=base)
    assert Lab(tmp_path, host="localhost").host == "127.0.0.1"


# --- SMTP --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SITUATIONS)
def test_starttls_serves_the_situation_leaf(lab: Lab, name: str) -> None:
    with smtp(lab, name) as s:
        s.ehlo()
        assert s.has_extn("starttls")
        assert not s.has_extn("auth")  # AUTH only after TLS
        code, reply = s.starttls(context=permissive())
        assert (code, reply) == (220, b"2.0.0 Ready to start TLS")
        assert peer_der(s.sock) == leaf_der(lab, name)
        s.ehlo()
        assert not s.has_extn("starttls")
        assert s.has_extn("auth")
        assert s.noop()[0] == 250


def sent_chain(port: int) -> list[bytes]:
    """The certificates the server sends after STARTTLS, in order (pyOpenSSL shows them)."""
    with connect(port) as sock:
        read_line(sock)
        sock.sendall(b"STARTTLS\r\n")  # no EHLO: like Postfix, the lab allows that
        assert read_line(sock).startswith(b"220 ")
        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        conn = SSL.Connection(ctx, sock)
        conn.set_connect_state()
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                assert select.select([sock], [], [], TIMEOUT)[0], "handshake timed out"
        chain = conn.get_peer_cert_chain(as_cryptography=True)
        return [c.public_bytes(Encoding.DER) for c in chain or []]


@pytest.mark.parametrize("name", ["good", "chain-incomplete", "untrusted"])
def test_chain_is_sent_after_the_leaf(lab: Lab, name: str) -> None:
    issued = lab.pki.situations[name].issued
    expected = [x.public_bytes(Encoding.DER) for x in (issued.cert, *issued.chain)]
    assert sent_chain(endpoint(lab, name).port) == expected
    assert len(expected) == (1 if name == "chain-incomplete" else 2)


def test_greeting_and_starttls_position_varies(lab: Lab) -> None:
    lasts = []
    for name in SITUATIONS:
        with smtp(lab, name) as s:
            code, msg = s.ehlo("client.test")
            assert code == 250
            lasts.append(msg.decode().splitlines()[-1])
    assert "STARTTLS" in lasts
    assert "SMTPUTF8" in lasts
    sock = connect(endpoint(lab, "good").port)
    with sock:
        assert read_line(sock) == b"220 localhost ESMTP mailtls-lab\r\n"


def test_good_verifies_against_the_lab_ca(lab: Lab) -> None:
    with smtp(lab, "good") as s:
        s.starttls(context=verifying(lab))
        assert peer_der(s.sock) == leaf_der(lab, "good")


def test_expired_fails_verification(lab: Lab) -> None:
    with (
        smtp(lab, "expired") as s,
        pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired"),
    ):
        s.starttls(context=verifying(lab))


def test_no_starttls_endpoint(lab: Lab) -> None:
    with smtp(lab, "no-starttls") as s:
        s.ehlo()
        assert "starttls" not in s.esmtp_features
        assert s.docmd("STARTTLS")[0] == 502
        with pytest.raises(smtplib.SMTPNotSupportedError):
            s.starttls(context=permissive())


def test_smtps(lab: Lab) -> None:
    port = endpoint(lab, "smtps-good").port
    with smtplib.SMTP_SSL("localhost", port, context=verifying(lab), timeout=TIMEOUT) as s:
        s.ehlo()
        assert "starttls" not in s.esmtp_features
        assert s.has_extn("auth")
        assert peer_der(s.sock) == leaf_der(lab, "good")


def test_send_a_message_after_starttls(lab: Lab) -> None:
    with smtp(lab, "good") as s:
        s.starttls(context=verifying(lab))
        s.login("user", "secret")  # any credentials, after TLS
        refused = s.sendmail(
            "y@localhost", ["x@localhost", "z@localhost"], b"Subject: lab\r\n\r\nhello\r\n.dot\r\n"
        )
        assert refused == {}
        assert s.docmd("RSET")[0] == 250


def test_smtp_dialogue_errors(lab: Lab) -> None:
    with smtp(lab, "good") as s:
        assert s.docmd("MAIL", "FROM:<a@b>")[0] == 503  # before EHLO
        assert s.docmd("FROBNICATE")[0] == 502
        assert s.docmd("EHLO")[0] == 501
        assert s.docmd("AUTH", "PLAIN")[0] == 530  # before TLS
        s.ehlo()
        assert s.docmd("RCPT", "TO:<a@b>")[0] == 503
        assert s.docmd("DATA")[0] == 503
        assert s.docmd("HELO", "x")[0] == 250
        assert s.docmd("QUIT")[0] == 221


def test_pipelined_commands(lab: Lab) -> None:
    with connect(endpoint(lab, "no-starttls").port) as sock:
        read_line(sock)
        sock.sendall(b"EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n")
        replies = [read_line(sock) for _ in range(9)]
        assert [r[:4] for r in replies[-4:]] == [b"250 ", b"250 ", b"250 ", b"354 "]
        sock.sendall(b"x\r\n.\r\nQUIT\r\n")
        assert read_line(sock).startswith(b"250 2.0.0 Ok: queued as ")
        assert read_line(sock).startswith(b"221")


def test_plain_text_pipelined_after_starttls_is_dropped(lab: Lab) -> None:
    with connect(endpoint(lab, "good").port) as raw:
        read_line(raw)
        raw.sendall(b"STARTTLS\r\nRSET\r\n")  # RSET injected before the handshake
        assert read_line(raw).startswith(b"220 ")
        with permissive().wrap_socket(raw) as sock:
            sock.sendall(b"NOOP\r\n")
            assert read_line(sock) == b"250 2.0.0 Ok\r\n"
            sock.sendall(b"FOO\r\n")
            assert read_line(sock).startswith(b"502 ")  # no stray reply to the RSET before


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_sends_through_the_good_endpoint(lab: Lab) -> None:
    port = endpoint(lab, "good").port
    result = subprocess.run(
        [
            "swaks",
            "--server",
            f"127.0.0.1:{port}",
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            str(lab.ca_file),
            "--to",
            "x@localhost",
            "--from",
            "y@localhost",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ok: queued as" in result.stdout


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_verification_fails_on_untrusted(lab: Lab) -> None:
    port = endpoint(lab, "untrusted").port
    result = subprocess.run(
        [
            "swaks",
            "--server",
            f"127.0.0.1:{port}",
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            str(lab.ca_file),
            "--to",
            "x@localhost",
            "--from",
            "y@localhost",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0


# --- IMAP and POP3 -----------------------------------------------------------------------------


def test_imap_starttls(lab: Lab) -> None:
    with imaplib.IMAP4("localhost", endpoint(lab, "imap-good").port, timeout=TIMEOUT) as m:
        assert m.welcome.startswith(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED]")
        assert m.noop()[0] == "OK"
        m.starttls(ssl_context=verifying(lab))
        assert peer_der(m.sock) == leaf_der(lab, "good")
        assert "STARTTLS" not in m.capabilities
        with pytest.raises(imaplib.IMAP4.error):
            m.select()  # BAD: not supported
        with pytest.raises(imaplib.IMAP4.error):
            m.login("user", "secret")
        assert m.logout()[0] == "BYE"


def test_imaps(lab: Lab) -> None:
    port = endpoint(lab, "imaps-good").port
    with imaplib.IMAP4_SSL("localhost", port, ssl_context=verifying(lab), timeout=TIMEOUT) as m:
        assert peer_der(m.sock) == leaf_der(lab, "good")
        assert m.capability() == ("OK", [b"IMAP4rev1"])


def test_pop3_stls(lab: Lab) -> None:
    p = poplib.POP3("localhost", endpoint(lab, "pop3-good").port, timeout=TIMEOUT)
    try:
        assert p.getwelcome() == b"+OK mailtls lab ready"
        assert "STLS" in p.capa()
        p.stls(context=verifying(lab))
        assert peer_der(p.sock) == leaf_der(lab, "good")
        assert "STLS" not in p.capa()
        with pytest.raises(poplib.error_proto):
            p.stat()
    finally:
        p.quit()


def test_pop3s_expired(lab: Lab) -> None:
    port = endpoint(lab, "pop3s-expired").port
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired"):
        poplib.POP3_SSL("localhost", port, context=verifying(lab), timeout=TIMEOUT)
    p = poplib.POP3_SSL("localhost", port, context=permissive(), timeout=TIMEOUT)
    assert peer_der(p.sock) == leaf_der(lab, "expired")
    p.quit()


# --- robustness --------------------------------------------------------------------------------


async def _greetings(port: int, count: int) -> list[bytes]:
    conns = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(count))
    )
    try:
        return await asyncio.wait_for(asyncio.gather(*(r.readline() for r, _ in conns)), TIMEOUT)
    finally:
        for _, w in conns:
            w.transport.abort()


async def _tls_handshakes(port: int, count: int) -> int:
    ctx = permissive()

    async def one() -> bytes:
        r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
        line = await r.readline()
        w.transport.abort()
        return line

    lines = await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), 3 * TIMEOUT)
    return sum(x.startswith(b"* OK") for x in lines)


async def _starttls_handshakes(ports: list[int], count: int) -> list[str]:
    ctx = permissive()

    async def one(port: int) -> str:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        try:
            await r.readline()
            w.write(b"EHLO scanner\r\nSTARTTLS\r\n")
            while not (line := await r.readline()).startswith(b"220 "):
                assert line.startswith(b"250"), line
            await w.start_tls(ctx, server_hostname="localhost")
            w.write(b"EHLO scanner\r\n")
            await w.drain()
            return (await r.readline()).decode()
        finally:
            w.transport.abort()

    jobs = (one(ports[i % len(ports)]) for i in range(count))
    return await asyncio.wait_for(asyncio.gather(*jobs), 3 * TIMEOUT)


def test_many_concurrent_connections(lab: Lab) -> None:
    lines = asyncio.run(_greetings(endpoint(lab, "good").port, 60))
    assert lines == [b"220 localhost ESMTP mailtls-lab\r\n"] * 60
    assert asyncio.run(_tls_handshakes(endpoint(lab, "imaps-good").port, 60)) == 60
    ports = [endpoint(lab, name).port for name in SITUATIONS]
    replies = asyncio.run(_starttls_handshakes(ports, 66))
    assert replies == ["250-localhost Hello scanner\r\n"] * 66


def test_bad_clients_do_not_hurt_the_server(lab: Lab, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncio")
    good = endpoint(lab, "good").port
    with connect(good) as sock:  # garbage instead of a ClientHello
        read_line(sock)
        sock.sendall(b"STARTTLS\r\n")
        read_line(sock)
        sock.sendall(b"\x16\x03\x01\x00\x05" + os.urandom(600))
        assert closed_by_peer(sock)
    with connect(good) as sock:  # vanishes mid-handshake
        read_line(sock)
        sock.sendall(b"STARTTLS\r\n")
        read_line(sock)
        sock.sendall(bytes.fromhex("160301020001"))
    for name in ("smtps-good", "imaps-good", "pop3s-expired"):
        connect(endpoint(lab, name).port).close()  # implicit TLS: gone before the handshake
        with connect(endpoint(lab, name).port) as sock:
            sock.sendall(b"EHLO plain text on a TLS port\r\n")
            sock.recv(100)
    with connect(good) as sock:  # binary garbage as commands
        read_line(sock)
        sock.sendall(b"\xff\xfe\x00\x80garbage\r\n")
        assert read_line(sock).startswith(b"502")
    time.sleep(0.2)
    with smtp(lab, "good") as s:
        s.starttls(context=verifying(lab))
        assert s.noop()[0] == 250
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(
    ("name", "reply"),
    [
        ("good", b"500 5.5.0 Line too long\r\n"),
        ("imap-good", b"* BAD Line too long\r\n"),
        ("pop3-good", b"-ERR Line too long\r\n"),
    ],
)
def test_overlong_line_is_refused_and_closed(lab: Lab, name: str, reply: bytes) -> None:
    with connect(endpoint(lab, name).port) as sock:
        read_line(sock)
        sock.sendall(b"NOOP " + b"x" * 5000 + b"\r\n")
        assert read_line(sock) == reply
        assert sock.recv(10) == b""


def test_idle_clients_are_dropped(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers, "IDLE_TIMEOUT", 0.3)
    with connect(endpoint(lab, "pop3-good").port) as sock:
        read_line(sock)
        start = time.monotonic()
        assert sock.recv(10) == b""
        assert time.monotonic() - start < 3


def test_ipv6_loopback_listens_on_the_same_port(lab: Lab) -> None:
    if not servers._ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    with connect(endpoint(lab, "good").port, "::1") as sock:
        assert read_line(sock).startswith(b"220 ")


def test_stop_is_prompt_with_clients_connected(tmp_path: Path) -> None:
    thread = LabThread(tmp_path)
    lab = thread.start()
    socks = [connect(e.port) for e in lab.endpoints[:5]]
    tls = smtp(lab, "good")
    tls.starttls(context=verifying(lab))
    half = connect(endpoint(lab, "smtps-good").port)
    half.sendall(bytes.fromhex("160301020001"))  # a handshake that never finishes
    time.sleep(0.1)
    start = time.monotonic()
    thread.stop()
    assert time.monotonic() - start < 2
    for sock in [*socks, half]:
        sock.settimeout(TIMEOUT)
        assert closed_by_peer(sock)
        sock.close()
    with pytest.raises(OSError):
        connect(lab.endpoints[0].port).close()
    tls.close()


def test_consecutive_ports_from_base_port(tmp_path: Path) -> None:
    for attempt in range(5):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        base = min(base, 65000 - 40) + attempt
        try:
            with LabThread(tmp_path, base_port=base) as lab:
                ports = [e.port for e in lab.endpoints]
                assert ports == list(range(base, base + len(ports)))
                with connect(ports[0]) as sock:
                    assert read_line(sock).startswith(b"220 ")
                return
        except OSError:
            continue
    pytest.skip("no free range of consecutive ports")


def test_serve_forever_stops_on_signals(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from mailtls.lab.run import serve_forever;"
        "serve_forever(Path(sys.argv[1]), ready=lambda lab: print(lab.endpoints[0].port,"
        " flush=True))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            port = int(proc.stdout.readline())
            with connect(port) as sock:
                assert read_line(sock).startswith(b"220 ")
                proc.send_signal(sig)
                assert proc.wait(TIMEOUT) == 0
        finally:
            proc.kill()
            _, err = proc.communicate()
        assert err == b""
