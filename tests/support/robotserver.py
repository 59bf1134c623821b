"""A small TLS 1.2 responder for the ROBOT tests, with or without a Bleichenbacher oracle.

After the SMTP front (STARTTLS, tlsfakes.smtp_front) it answers a ClientHello that offers
TLS_RSA_WITH_AES_128_CBC_SHA with ServerHello, Certificate (its own RSA certificate) and
ServerHelloDone, then decrypts the ClientKeyExchange with its private key (raw RSA) and
checks the PKCS#1 v1.5 padding itself. What it answers depends on ``mode``:

- "sound": no oracle. Whatever the padding, it waits for the client's Finished and answers
  bad_record_mac (RFC 5246 7.4.7.1); with no Finished it waits in silence.
- "strong": checks only the first two bytes (00 02): wrong ones get decrypt_error at once,
  everything else bad_record_mac after the Finished (the most useful oracle).
- "weak": only a well-formed message with the wrong version in the premaster is told
  apart (decrypt_error); every other padding is answered like a good one.
- "reset": wrong first bytes end the connection with a TCP reset instead of an alert.
- "bare": answers alike when the Finished comes, but without one it closes at once on
  wrong first bytes and waits in silence otherwise (only the second measurement shows it).
- "flaky": like "strong", but the alert for wrong first bytes alternates between
  decrypt_error and handshake_failure from one connection to the next.
- "hasty": wrong first bytes get bad_record_mac at once, every other padding the same
  bad_record_mac after the Finished: only when the answer comes tells them apart.
- "impatient": without a Finished within BARE_GRACE it closes, whatever the padding; with
  one in time it answers like "strong" (decrypt_error for wrong first bytes, else
  bad_record_mac): only the measurement with the Finished sent at once shows the oracle.

``verdicts`` records what the responder decided for each ClientKeyExchange it decrypted.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mailtls.proto.tls import build_record
from support.tlsfakes import (
    TLS12,
    _read_hello,
    alert,
    handshake,
    parse_hello,
    server_hello,
    smtp_front,
)

RSA_AES128_SHA = 0x002F
BAD_MAC, DECRYPT_ERROR, HANDSHAKE_FAILURE = 20, 51, 40
MODES = ("sound", "strong", "weak", "reset", "bare", "flaky", "hasty", "impatient")
BARE_GRACE = 0.1  # "bare": how long it waits for a Finished before judging the padding


def rsa_identity(bits: int = 2048) -> tuple[rsa.RSAPrivateKey, bytes]:
    """A private key and a self-signed certificate (DER) for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "robot.test")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(7)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return key, cert.public_bytes(serialization.Encoding.DER)


def judge_padding(message: bytes, client_version: int) -> str:
    """The padding's verdict: ok, bad prefix, bad separator or bad version."""
    if message[:2] != b"\x00\x02":
        return "bad prefix"
    zero = message.find(b"\x00", 2)
    if zero < 10 or len(message) - zero - 1 != 48:
        return "bad separator"
    if message[zero + 1 : zero + 3] != client_version.to_bytes(2, "big"):
        return "bad version"
    return "ok"


@dataclass
class RobotServer:
    """The responder (see the module docstring); ``serve()`` runs it on 127.0.0.1."""

    key: rsa.RSAPrivateKey
    cert: bytes
    mode: str = "sound"
    client_auth: bool = False  # a CertificateRequest before ServerHelloDone
    connections: int = 0
    verdicts: list[str] = field(default_factory=list)
    _flaky: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Raw RSA with the CRT (4 times faster than c^d mod n: the responder shares the
        event loop with the client, and its answers are timed against the client's wait)."""
        k = self.key.private_numbers()
        c = int.from_bytes(ciphertext, "big")
        m1, m2 = pow(c, k.dmp1, k.p), pow(c, k.dmq1, k.q)
        m = m2 + (k.iqmp * (m1 - m2) % k.p) * k.q
        return m.to_bytes((k.public_numbers.n.bit_length() + 7) // 8, "big")

    def flight(self, data: bytes) -> tuple[bytes, int | None]:
        """The answer to a ClientHello: (bytes, the client's version when it goes on)."""
        hello = parse_hello(data)
        if hello is None or RSA_AES128_SHA not in hello.suites or hello.version < 0x0301:
            return alert(HANDSHAKE_FAILURE), None
        version = min(hello.version, TLS12)
        cert = len(self.cert).to_bytes(3, "big") + self.cert
        body = server_hello(version, RSA_AES128_SHA, hello, b"")
        body += handshake(11, len(cert).to_bytes(3, "big") + cert)
        if self.client_auth:  # rsa_sign; rsa_pkcs1_sha256; no CA names
            body += handshake(13, bytes.fromhex("01 01 0002 0401 0000"))
        body += handshake(14, b"")
        return build_record(22, version, body), hello.version

    def first_alert(self, verdict: str, version: int) -> bytes | None:
        """The alert this mode sends right after the ClientKeyExchange (None: none yet)."""
        if self.mode in ("strong", "reset") and verdict == "bad prefix":
            return alert(DECRYPT_ERROR, version)
        if self.mode == "weak" and verdict == "bad version":
            return alert(DECRYPT_ERROR, version)
        if self.mode == "hasty" and verdict == "bad prefix":
            return alert(BAD_MAC, version)
        if self.mode == "flaky" and verdict == "bad prefix":
            self._flaky += 1
            return alert(DECRYPT_ERROR if self._flaky % 2 else HANDSHAKE_FAILURE, version)
        return None

    async def serve_tls(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        out, client_version = self.flight(await _read_hello(reader))
        writer.write(out)
        await writer.drain()
        if client_version is None:
            return
        buf = await _read_record(reader, b"")
        if buf[:1] != b"\x16" or buf[5:6] != b"\x10":
            writer.write(alert(10))  # unexpected_message
            return
        ciphertext = buf[11 : 5 + int.from_bytes(buf[3:5], "big")]
        verdict = judge_padding(self.decrypt(ciphertext), client_version)
        self.verdicts.append(verdict)
        version = min(client_version, TLS12)
        early = self.first_alert(verdict, version)
        if self.mode == "reset" and early is not None:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if early is not None:
            writer.write(early)
            await writer.drain()
            await _drain(reader)
            return
        await self._after_key_exchange(reader, writer, buf, verdict, version)

    async def _after_key_exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, buf: bytes,
        verdict: str, version: int,
    ) -> None:  # fmt: skip
        rest = buf[5 + int.from_bytes(buf[3:5], "big") :]
        if not rest and self.mode in ("bare", "impatient"):
            with contextlib.suppress(TimeoutError):
                rest = await asyncio.wait_for(reader.read(65536), BARE_GRACE)
            if not rest and (verdict == "bad prefix" or self.mode == "impatient"):
                return  # closes at once
        while not rest:  # the Finished decides; without one, silence until the client leaves
            rest = await reader.read(65536)
            if not rest:
                return
        late = self.mode == "impatient" and verdict == "bad prefix"
        writer.write(alert(DECRYPT_ERROR if late else BAD_MAC, version))
        await writer.drain()
        await _drain(reader)


async def _read_record(reader: asyncio.StreamReader, buf: bytes) -> bytes:
    while len(buf) < 5 or len(buf) < 5 + int.from_bytes(buf[3:5], "big"):
        more = await reader.read(65536)
        if not more:
            return buf
        buf += more
    return buf


async def _drain(reader: asyncio.StreamReader) -> None:
    """Read what the client still sends (briefly), so that closing sends no reset."""
    with contextlib.suppress(TimeoutError, OSError):
        while await asyncio.wait_for(reader.read(65536), 0.2):
            pass


@contextlib.asynccontextmanager
async def serve(server: RobotServer) -> AsyncIterator[int]:
    """``server`` behind an SMTP front on 127.0.0.1; yields the port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.connections += 1
        try:
            if await smtp_front(reader, writer):
                await server.serve_tls(reader, writer)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with listener:
        yield listener.sockets[0].getsockname()[1]
