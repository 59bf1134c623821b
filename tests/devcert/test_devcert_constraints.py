"""A certificate for a public name, signed by hand with the devcert intermediate key
(outside the tool), is refused by OpenSSL, by Python's ssl and by ``mailtls scan``:
the name constraints, not the tool's own checks, are what stop a leaked key."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from devcert_helpers import mailtls

from mailtls.pki import devca

PUBLIC = "mail.example.com"


def hand_signed(ca_dir: Path, name: str, out: Path) -> tuple[Path, Path]:
    """A leaf for ``name`` made with cryptography and the intermediate key read from DIR."""
    inter = x509.load_pem_x509_certificate((ca_dir / "intermediate.pem").read_bytes())
    inter_key = serialization.load_pem_private_key(
        (ca_dir / "intermediate-key.pem").read_bytes(), None)
    key = devca.new_key()
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(inter.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            inter_key.public_key()), False)  # type: ignore[arg-type]
        .sign(inter_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    chain, key_path = out / f"{name}.pem", out / f"{name}-key.pem"
    chain.write_bytes(devca.pem(cert) + devca.pem(inter))
    key_path.write_bytes(devca.key_pem(key))
    return chain, key_path


@contextlib.contextmanager
def smtps_server(chain: Path, key: Path, host: str) -> Iterator[int]:
    """An implicit-TLS SMTP greeter on 127.0.0.1 presenting ``chain``."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with contextlib.suppress(OSError), conn:
                conn.settimeout(5)
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(f"220 {host} ESMTP\r\n".encode())
                    for line in tls.makefile("rb"):
                        if line.upper().startswith(b"QUIT"):
                            tls.sendall(b"221 bye\r\n")
                            break
                        tls.sendall(f"250 {host}\r\n".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.fixture
def forged(ca_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    return hand_signed(ca_dir, PUBLIC, tmp_path)


def test_issue_refuses_the_public_name(ca_dir: Path) -> None:
    r = mailtls("devcert", "issue", "--dir", str(ca_dir), PUBLIC)
    assert r.status == 64 and "(devcert.name_not_permitted)" in r.err
    assert not (ca_dir / f"{PUBLIC}.pem").exists()


def test_openssl_verify_refuses(ca_dir: Path, forged: tuple[Path, Path],
                                tmp_path: Path) -> None:
    chain, _ = forged
    args = ["openssl", "verify", "-CAfile", str(ca_dir / "ca.pem"),
            "-untrusted", str(ca_dir / "intermediate.pem")]
    bad = subprocess.run([*args, str(chain)], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "permitted subtree violation" in bad.stdout + bad.stderr
    good_chain, _ = hand_signed(ca_dir, "mail.test", tmp_path)  # the same hand, a dev name
    good = subprocess.run([*args, str(good_chain)], capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr


def _python_connect(port: int, ca: Path, host: str) -> None:
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.recv(100)


def test_python_ssl_refuses(ca_dir: Path, forged: tuple[Path, Path], tmp_path: Path) -> None:
    refused = pytest.raises(ssl.SSLCertVerificationError, match="permitted subtree violation")
    with smtps_server(*forged, PUBLIC) as port, refused:
        _python_connect(port, ca_dir / "ca.pem", PUBLIC)
    with smtps_server(*hand_signed(ca_dir, "mail.test", tmp_path), "mail.test") as port:
        _python_connect(port, ca_dir / "ca.pem", "mail.test")  # control: accepted


def _scan(ca: Path, host: str, port: int) -> tuple[int, dict[str, object]]:
    r = mailtls("scan", f"smtps://{host}:{port}", "--resolve", f"{host}:{port}:127.0.0.1",
                "--ca-file", str(ca), "--trust", "none", "--json")
    return r.status, json.loads(r.out)


def _ids(doc: dict[str, object]) -> list[str]:
    results = doc["results"]
    assert isinstance(results, list)
    return [f["id"] for f in results[0]["findings"]]


def test_mailtls_scan_refuses(ca_dir: Path, forged: tuple[Path, Path], tmp_path: Path) -> None:
    with smtps_server(*forged, PUBLIC) as port:
        status, doc = _scan(ca_dir / "ca.pem", PUBLIC, port)
    assert status == 2, doc
    ids = _ids(doc)
    assert "cert.verified" not in ids and "cert.invalid" in ids
    assert "constraint" in json.dumps(doc).lower()
    with smtps_server(*hand_signed(ca_dir, "mail.test", tmp_path), "mail.test") as port:
        status, doc = _scan(ca_dir / "ca.pem", "mail.test", port)
    assert "cert.verified" in _ids(doc), doc
