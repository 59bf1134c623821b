"""Small loopback servers for the deep-scan tests: an SMTP front end (STARTTLS), then a
scripted TLS "server" that parses our ClientHello and answers with canned bytes.

``FakeTLS`` plays a configurable server: the versions and suites it accepts (client or
server order), its TLS 1.3 groups, how it refuses (an alert or a silent close), Dovecot's
silent close when it picks a DHE suite it cannot serve, connections that drop at random
points (transient failures), and the vulnerable answers no real server here gives: an SSLv2
SERVER-HELLO, an SSLv3 ServerHello, a Heartbleed echo, an accepted early CCS. It never
completes a real handshake (the pyOpenSSL and ``ssl`` handshakes of the scan fail on it).

``CountingProxy`` is a TCP proxy on 127.0.0.1 (in its own thread) that counts the
connections it accepts: what the server behind it sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailtls.proto.tls import build_record

HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
SSL3, TLS10, TLS11, TLS12, TLS13 = 0x0300, 0x0301, 0x0302, 0x0303, 0x0304
HANDSHAKE_FAILURE, PROTOCOL_VERSION, UNEXPECTED, BAD_MAC = 40, 70, 10, 20


def self_signed_der() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake.test")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.DER)


CERT = self_signed_der()


@dataclass
class Hello:
    """The parts of a ClientHello the fake server looks at."""

    version: int
    suites: list[int]
    versions: list[int] = field(default_factory=list)  # supported_versions
    groups: list[int] = field(default_factory=list)
    heartbeat: bool = False
    sslv2: bool = False
    session_id: bytes = b""


def _u16s(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]


def parse_hello(data: bytes) -> Hello | None:
    """A ClientHello in a TLS record or the SSLv2 format (None when it is something else)."""
    if data and data[0] & 0x80:
        body = data[2:]
        if len(body) < 9 or body[0] != 1:
            return None
        specs_len = int.from_bytes(body[3:5], "big")
        specs = body[9 : 9 + specs_len]
        codes = [int.from_bytes(specs[i : i + 3], "big") for i in range(0, len(specs), 3)]
        return Hello(int.from_bytes(body[1:3], "big"), codes, sslv2=True)
    if len(data) < 9 or data[0] != 22 or data[5] != 1:
        return None
    body = data[9:]
    version, pos = int.from_bytes(body[0:2], "big"), 34
    session_id = body[pos + 1 : pos + 1 + body[pos]]
    pos += 1 + body[pos]
    n = int.from_bytes(body[pos : pos + 2], "big")
    hello = Hello(version, _u16s(body[pos + 2 : pos + 2 + n]), session_id=session_id)
    pos += 2 + n
    pos += 1 + body[pos]
    end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big") if pos + 2 <= len(body) else pos
    pos += 2
    while pos + 4 <= end:
        kind, size = int.from_bytes(body[pos : pos + 2], "big"), int.from_bytes(
            body[pos + 2 : pos + 4], "big"
        )
        ext = body[pos + 4 : pos + 4 + size]
        if kind == 43:
            hello.versions = _u16s(ext[1:])
        elif kind == 10:
            hello.groups = _u16s(ext[2:])
        elif kind == 15:
            hello.heartbeat = True
        pos += 4 + size
    return hello


def handshake(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def server_hello(version: int, suite: int, hello: Hello, extensions: bytes = b"") -> bytes:
    wire = min(version, TLS12)
    random = HRR_RANDOM if version == TLS13 else bytes(range(32))
    body = wire.to_bytes(2, "big") + random + bytes([len(hello.session_id)]) + hello.session_id
    body += suite.to_bytes(2, "big") + b"\x00"
    if version >= TLS10:
        body += len(extensions).to_bytes(2, "big") + extensions
    return handshake(2, body)


def _ext(kind: int, data: bytes) -> bytes:
    return kind.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def legacy_flight(version: int, suite: int, hello: Hello, heartbeat: bool) -> bytes:
    exts = b"" if version < TLS10 else _ext(0xFF01, b"\x00") + _ext(23, b"")
    if heartbeat and hello.heartbeat:
        exts += _ext(15, b"\x01")
    cert = len(CERT).to_bytes(3, "big") + CERT
    body = server_hello(version, suite, hello, exts)
    body += handshake(11, len(cert).to_bytes(3, "big") + cert) + handshake(14, b"")
    return build_record(22, version, body)


def hello_retry(suite: int, group: int, hello: Hello) -> bytes:
    exts = _ext(43, TLS13.to_bytes(2, "big")) + _ext(51, group.to_bytes(2, "big"))
    return build_record(22, TLS12, server_hello(TLS13, suite, hello, exts))


def alert(description: int, version: int = TLS12) -> bytes:
    return build_record(21, version, bytes([2, description]))


def sslv2_server_hello(specs: Sequence[int]) -> bytes:
    codes = b"".join(c.to_bytes(3, "big") for c in specs)
    body = bytes([4, 0, 1]) + (2).to_bytes(2, "big") + len(CERT).to_bytes(2, "big")
    body += len(codes).to_bytes(2, "big") + (16).to_bytes(2, "big") + CERT + codes + bytes(16)
    return (0x8000 | len(body)).to_bytes(2, "big") + body


@dataclass
class FakeTLS:
    """The TLS behaviour after STARTTLS (see the module docstring).

    ``suites``: version -> accepted suites, in the server's order; ``server_order``: pick
    by that order (else the client's); ``groups``: TLS 1.3 groups in the server's order;
    ``silent``: refuse by closing instead of an alert; ``dhe_chokes``: close silently when
    the pick is a chosen suite it cannot serve; ``drop``: (kind, n) closes the n-th hello
    of that kind (1-based; kinds "sslv2", "tls13" for hellos with supported_versions,
    "0x0303" etc. by legacy version) silently, as a flaky server would; ``reset`` the same
    with a TCP reset; ``sslv2``: SSLv2 cipher specs answered to an SSLv2 hello."""

    suites: dict[int, list[int]] = field(default_factory=dict)
    server_order: bool = False
    groups: list[int] = field(default_factory=lambda: [0x001D, 0x0017])
    silent: bool = False
    dhe_chokes: frozenset[int] = frozenset()
    drop: set[tuple[str, int]] = field(default_factory=set)
    reset: set[tuple[str, int]] = field(default_factory=set)
    kinds: dict[str, int] = field(default_factory=dict)
    sslv2: list[int] = field(default_factory=list)
    heartbleed: bool = False
    ccs_injection: bool = False
    connections: int = 0
    hellos: int = 0
    log: list[str] = field(default_factory=list)

    def pick(self, offered: Sequence[int], accepted: Sequence[int]) -> int | None:
        if self.server_order:
            return next((c for c in accepted if c in offered), None)
        return next((c for c in offered if c in accepted), None)

    def answer(self, hello: Hello) -> tuple[bytes | None, int | None]:
        """(bytes to send or None for a silent close, the version of a complete flight)."""
        if hello.sslv2:
            shared = [c for c in hello.suites if c in self.sslv2]
            if hello.version == 2 and shared:
                return sslv2_server_hello(shared), None
            return self.refuse(PROTOCOL_VERSION), None
        offered_versions = hello.versions or [hello.version]
        versions = [v for v in self.suites if v in offered_versions or
                    (not hello.versions and v <= hello.version)]  # fmt: skip
        if not versions:
            return self.refuse(PROTOCOL_VERSION), None
        version = max(versions)
        suite = self.pick(hello.suites, self.suites[version])
        if suite is None:
            return self.refuse(HANDSHAKE_FAILURE), None
        if version == TLS13:
            group = self.pick(hello.groups, self.groups)
            if group is None:
                return self.refuse(HANDSHAKE_FAILURE), None
            return hello_retry(suite, group, hello), None
        if suite in self.dhe_chokes:
            return None, None
        return legacy_flight(version, suite, hello, self.heartbleed), version

    def refuse(self, description: int) -> bytes | None:
        return None if self.silent else alert(description)

    def after(self, data: bytes, version: int) -> bytes:
        """The answer to what the client sent after a complete flight."""
        if data[:1] == b"\x18":  # heartbeat request: echo payload_length bytes if vulnerable
            if not self.heartbleed:
                return alert(UNEXPECTED, version)
            claimed = int.from_bytes(data[6:8], "big")
            payload = (data[8:] + bytes(claimed))[:claimed]
            message = b"\x02" + claimed.to_bytes(2, "big") + payload + bytes(16)
            return build_record(24, version, message)
        if data[:1] == b"\x14":
            return alert(BAD_MAC if self.ccs_injection else UNEXPECTED, version)
        return alert(UNEXPECTED, version)

    async def serve_tls(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await _read_hello(reader)
        hello = parse_hello(data)
        if hello is None:
            return
        self.hellos += 1
        kind = "sslv2" if hello.sslv2 else "tls13" if hello.versions else f"0x{hello.version:04x}"
        self.kinds[kind] = n = self.kinds.get(kind, 0) + 1
        if (kind, n) in self.drop:
            self.log.append(f"dropped {kind} {n}")
            return
        if (kind, n) in self.reset:
            self.log.append(f"reset {kind} {n}")
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        out, version = self.answer(hello)
        self.log.append("closed" if out is None else f"{out[:1].hex()}")
        if out is None:
            return
        writer.write(out)
        await writer.drain()
        if version is not None:
            with contextlib.suppress(TimeoutError):
                more = await asyncio.wait_for(reader.read(65536), 3)
                if more:
                    writer.write(self.after(more, version))
                    await writer.drain()


async def _read_hello(reader: asyncio.StreamReader) -> bytes:
    data = await reader.read(65536)
    if not data:
        return b""
    if data[0] & 0x80:
        need = 2 + ((data[0] & 0x7F) << 8 | data[1]) if len(data) >= 2 else 2
    else:
        need = 5 + int.from_bytes(data[3:5], "big") if len(data) >= 5 else 5
    while len(data) < need:
        more = await reader.read(65536)
        if not more:
            break
        data += more
    return data


async def smtp_front(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     caps: bytes = b"250-PIPELINING\r\n") -> bool:
    """The plain-text part of an SMTP server; True once STARTTLS was accepted."""
    writer.write(b"220 fake.test ESMTP\r\n")
    while line := await reader.readline():
        verb = line.split(b" ")[0].strip().upper()
        if verb == b"EHLO":
            writer.write(b"250-fake.test\r\n" + caps + b"250 STARTTLS\r\n")
        elif verb == b"STARTTLS":
            writer.write(b"220 go ahead\r\n")
            await writer.drain()
            return True
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            return False
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    return False


async def serve(fake: FakeTLS) -> tuple[asyncio.Server, int]:
    """An SMTP server on 127.0.0.1 whose TLS is ``fake``; (server, port)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fake.connections += 1
        try:
            if await smtp_front(reader, writer):
                await fake.serve_tls(reader, writer)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


class CountingProxy:
    """A TCP proxy on 127.0.0.1 that counts the connections it accepts (own thread).

    ``drop``: closes, once, the connection whose client sends a ClientHello it matches,
    without passing the hello on (a flaky network or server, as the scan sees it)."""

    def __init__(self, upstream_port: int, drop: Callable[[Hello], bool] | None = None) -> None:
        self.upstream_port = upstream_port
        self.count = 0
        self.port = 0
        self.drop = drop
        self.dropped = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.count += 1
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_w, self._dropping), _pipe(up_r, writer))

    def _dropping(self, data: bytes) -> bool:
        if self.drop is None or self.dropped or data[:1] != b"\x16":
            return False
        hello = parse_hello(data)
        if hello is None or not self.drop(hello):
            return False
        self.dropped += 1
        return True


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    stop: Callable[[bytes], bool] | None = None,
) -> None:
    try:
        while data := await reader.read(65536):
            if stop is not None and stop(data):
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


@contextlib.contextmanager
def running(fake: FakeTLS) -> Iterator[int]:
    """``fake`` served in a thread of its own (for synchronous callers); yields its port."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, int] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        server, port = loop.run_until_complete(serve(fake))
        holder["port"] = port
        ready.set()
        loop.run_forever()
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield holder["port"]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
