"""``mailtls scan`` against real TLS servers presenting certificates stranger than the lab.

One invocation scans them all (as a user would, in a subprocess): every target is
reported, each with its own primary cause, and no traceback reaches the user. The
servers are OpenSSL (Python's ssl) on loopback, serving what a test made.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from mailtls.lab.servers import server_context
from support.chains import NOW, Authority, cached_key

BAD_SAN = (
    bytes([0x30, 0x1D, 0x82, 0x11]) + b"mail.example.test" + bytes([0x82, 0x08]) + b"m\xe9l.test"
)


@dataclass
class Wild:
    name: str
    host: str
    chain: list[x509.Certificate]
    key: object
    expect: str


def _situations() -> list[Wild]:
    root = Authority.root("Wild CLI Root")
    key = cached_key("ec", 256, 999)  # Authority.leaf's default key
    old_root = Authority.root("Wild Old Root")
    migrating = old_root.sub("Wild Migrating CA")
    cross = root.cross(migrating)
    constrained = root.sub("Wild Constrained CA", excluded=("example.test",))
    weak = cached_key("rsa", 1024)
    empty_eku = x509.UnrecognizedExtension(ExtensionOID.EXTENDED_KEY_USAGE, b"\x30\x00")
    san_ext = x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, BAD_SAN)
    deep = [root]
    for i in range(12):
        deep.append(deep[-1].sub(f"Wild Deep CA {i}"))
    many = [f"h{i}.example.test" for i in range(10_000)]
    return [
        Wild("underscore", "mail_relay.corp.test", [root.leaf(("mail_relay.corp.test",))], key,
             "cert.verified"),
        Wild("cross-signed", "mail.example.test",
             [migrating.leaf(), migrating.cert, cross], key, "cert.verified"),
        Wild("weak-key-and-name-constraints", "mail.example.test",
             [constrained.leaf(key=weak), constrained.cert], weak, "cert.invalid"),
        Wild("malformed-san", "mail.example.test",
             [root.leaf((), cn="mail.example.test", extra=[(san_ext, False)])], key,
             "cert.malformed"),
        Wild("empty-extended-key-usage", "mail.example.test",
             [root.leaf(eku=None, extra=[(empty_eku, False)])], key, "cert.malformed"),
        Wild("too-long", "mail.example.test",
             [deep[-1].leaf(), *(c.cert for c in reversed(deep[1:]))], key, "cert.invalid"),
        Wild("ten-thousand-names", "nomatch.example.test", [root.leaf(many, cn="h0.example.test")],
             key, "tls.handshake_failed"),  # over OpenSSL's 100 KiB: named as such
    ], root  # fmt: skip


async def _smtps(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        writer.write(b"220 wild.test ESMTP\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            writer.write(b"221 bye\r\n" if verb == b"QUIT" else b"250 wild.test\r\n")
            await writer.drain()
            if verb == b"QUIT":
                break
    except (OSError, ssl.SSLError):
        pass
    finally:
        writer.close()


class Servers:
    def __init__(self, directory: Path, wilds: list[Wild]) -> None:
        self.loop = asyncio.new_event_loop()
        self.ports: dict[str, int] = {}
        self.contexts = {}
        for w in wilds:
            cert = directory / f"{w.name}.pem"
            cert.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in w.chain))
            keyfile = directory / f"{w.name}.key"
            keyfile.write_bytes(w.key.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))  # fmt: skip
            self.contexts[w.name] = server_context(cert, keyfile)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Servers:
        self.thread.start()
        for name, ctx in self.contexts.items():
            fut = asyncio.run_coroutine_threadsafe(
                asyncio.start_server(_smtps, "127.0.0.1", 0, ssl=ctx), self.loop
            )
            self.ports[name] = fut.result(10).sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def wild(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Wild], Servers, Path]]:
    wilds, root = _situations()  # type: ignore[misc]
    directory = tmp_path_factory.mktemp("wild")
    ca = directory / "ca.pem"
    ca.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    with Servers(directory, wilds) as servers:
        yield wilds, servers, ca


def test_one_scan_reports_every_strange_certificate(wild) -> None:  # type: ignore[no-untyped-def]
    wilds, servers, ca = wild
    args = ["--trust", "none", "--ca-file", str(ca), "--json", "--at", NOW.isoformat()]
    for w in wilds:
        port = servers.ports[w.name]
        args += ["--resolve", f"{w.host}:{port}:127.0.0.1", f"smtps://{w.host}:{port}"]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "mailtls", "scan", *args], capture_output=True,
                          text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    doc = json.loads(done.stdout)
    results = {r["target"]: r for r in doc["results"]}
    assert len(results) == len(wilds)
    for w in wilds:
        r = results[f"smtps://{w.host}:{servers.ports[w.name]}"]
        primary = [f["id"] for f in r["findings"] if f.get("primary")]
        ids = [f["id"] for f in r["findings"]]
        if w.expect == "cert.verified":
            assert ("cert.verified" in ids and not primary) or primary == ["cert.name_not_ldh"], (
                w.name,
                ids,
            )
        else:
            assert primary == [w.expect], (w.name, ids, r["findings"][0].get("detail"))
            if w.expect == "tls.handshake_failed":
                assert "100 KiB" in r["findings"][0]["detail"]
    cross = results[f"smtps://mail.example.test:{servers.ports['cross-signed']}"]
    assert [p["subject"] for p in cross["path"]] == [
        "CN=mail.example.test", "CN=Wild Migrating CA", "CN=Wild CLI Root"]
    assert [p["from"] for p in cross["path"]] == ["server", "server", "store"]
    assert cross["path"][1]["sha256"] == cross["chain"][2]["sha256"]  # the cross-sign, sent last
    assert done.returncode == 2  # critical findings among them
