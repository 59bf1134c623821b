"""Real-OpenSSL fixtures for the TLS engine tests: certificates made here, ``openssl s_server``
on a loopback port, and ``exchange()``, which writes our ClientHello and feeds the answer to
a HandshakeReader until the first flight is complete (tls_helpers.exchange)."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from servers.ports import free_ports

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path
    der: bytes


def _write_cert(tmp: Path, name: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Cert:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.mailtls.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / f"{name}.crt", tmp / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Cert(cert_path, key_path, cert.public_bytes(serialization.Encoding.DER))


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cert]:
    tmp = tmp_path_factory.mktemp("tls-certs")
    return {
        "rsa": _write_cert(tmp, "rsa", rsa.generate_private_key(65537, 2048)),
        "ecdsa": _write_cert(tmp, "ecdsa", ec.generate_private_key(ec.SECP256R1())),
    }


@pytest.fixture(scope="session")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.fail("the openssl command line tool is needed for these tests", pytrace=False)
    return path


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"openssl s_server exited: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("openssl s_server did not start listening")


@pytest.fixture
def s_server(openssl: str, tls_certs: dict[str, Cert]) -> Iterator[Callable[..., int]]:
    """s_server(*args, cert="rsa") -> port: one s_server per call, stopped after the test.
    The first connection (our readiness check) is not counted: -naccept is not used."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, cert: str = "rsa", dual: str | None = None) -> int:
        port = free_ports(1)[0]
        c = tls_certs[cert]
        cmd = [openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(c.cert),
               "-key", str(c.key), "-quiet", *args]  # fmt: skip
        if dual:
            cmd += ["-dcert", str(tls_certs[dual].cert), "-dkey", str(tls_certs[dual].key)]
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        procs.append(proc)
        _wait_listening(port, proc)
        return port

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
