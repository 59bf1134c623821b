"""One rogue listener: a scenario's server dialogue on a TCP port, one thread a connection.

Each connection is recorded in a ``Connection`` (the TLS handshake and the dialogue's
Capture). Nothing is forwarded anywhere; what the client sends stays in memory.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..pki.mitm import ServedCert
from ..proto.server_base import Capture, Close, Send, ServerAction, ServerDialogue, StartTLS
from .scenarios import SCHEMES, SERVERS, Scenario

IDLE_TIMEOUT = 15.0
HOLD_SECONDS = 1.0
MAX_CONNECTIONS = 20


class PortInUse(Exception):
    """The address and port cannot be bound: ``address`` (HOST port N) and ``reason``."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"{address}: {reason}")
        self.address, self.reason = address, reason


@dataclass
class Connection:
    peer: str
    handshake: str = ""  # "TLSv1.3 TLS_AES_...", or "failed: REASON"; "" before TLS
    capture: Capture = field(default_factory=Capture)
    error: str = ""
    done: bool = False

    @property
    def handshake_ok(self) -> bool:
        return self.capture.tls is not None


def server_context(served: ServedCert, tls1_0_only: bool, directory: Path,
                   name: str) -> ssl.SSLContext:
    chain, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    chain.write_bytes(served.chain)
    key.touch(mode=0o600)
    key.write_bytes(served.key)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    if tls1_0_only:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1
    return ctx


class Listener:
    """Serve ``scenario`` for ``protocol`` on (host, port); port 0 picks a free one."""

    def __init__(self, protocol: str, implicit_tls: bool, scenario: Scenario,
                 context: ssl.SSLContext, host: str, port: int, hostname: str,
                 on_event: Callable[[Listener, Connection, str], None] | None = None) -> None:
        self.protocol, self.implicit_tls, self.scenario = protocol, implicit_tls, scenario
        self.scheme = SCHEMES[(protocol, implicit_tls)]
        self.context, self.hostname, self.on_event = context, hostname, on_event
        self.connections: list[Connection] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
            self._sock.listen(16)
        except OSError as exc:
            self._sock.close()
            raise PortInUse(f"{host} port {port}", exc.strerror or str(exc)) from None
        self.host, self.port = host, self._sock.getsockname()[1]
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                conn, peer = self._sock.accept()
            except OSError:
                return
            if len(self.connections) >= MAX_CONNECTIONS:
                conn.close()
                continue
            record = Connection(f"{peer[0]}:{peer[1]}")
            with self._lock:
                self.connections.append(record)
            t = threading.Thread(target=self._serve, args=(conn, record), daemon=True)
            t.start()  # before it is listed: finish() may join it at any moment
            self._threads.append(t)

    def _event(self, record: Connection, what: str) -> None:
        if self.on_event is not None:
            self.on_event(self, record, what)

    def _serve(self, conn: socket.socket, record: Connection) -> None:
        self._event(record, "connected")
        dialogue = SERVERS[self.protocol](self.scenario.options(self.implicit_tls,
                                                                 self.hostname))
        record.capture = dialogue.capture
        sock: socket.socket = conn
        try:
            sock = self._run(sock, dialogue, record)
        except (OSError, ValueError) as exc:
            record.error = str(exc)[:200] or type(exc).__name__
        finally:
            sock.close()
            record.done = True
            self._event(record, "closed")

    def _run(self, sock: socket.socket, dialogue: ServerDialogue,
             record: Connection) -> socket.socket:
        pending: deque[ServerAction] = deque(dialogue.start())
        while True:
            while pending:
                action = pending.popleft()
                if isinstance(action, Send):
                    sock.sendall(action.data)
                elif isinstance(action, StartTLS):
                    tls = self._handshake(sock, record)
                    if tls is None:
                        return sock
                    sock = tls
                    pending.extend(dialogue.tls_established(record.handshake))
                    self._event(record, "tls")
                elif isinstance(action, Close):
                    return sock
            sock.settimeout(HOLD_SECONDS if dialogue.holding else IDLE_TIMEOUT)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                if not dialogue.holding:
                    record.error = "idle timeout"
                    return sock
                pending.extend(dialogue.release())
                continue
            before = (len(dialogue.capture.auth), dialogue.capture.mail_sent)
            pending.extend(dialogue.receive_data(data))
            if (len(dialogue.capture.auth), dialogue.capture.mail_sent) != before:
                self._event(record, "sensitive")

    def _handshake(self, sock: socket.socket, record: Connection) -> ssl.SSLSocket | None:
        sock.settimeout(IDLE_TIMEOUT)
        try:
            tls = self.context.wrap_socket(sock, server_side=True)
        except ssl.SSLError as exc:
            record.handshake = f"failed: {exc.reason or exc.__class__.__name__}"
            return None
        except OSError as exc:
            record.handshake = f"failed: {exc.strerror or exc.__class__.__name__}"
            return None
        cipher = tls.cipher()
        record.handshake = f"{tls.version()} {cipher[0] if cipher else ''}".strip()
        return tls

    def finish(self, wait: float = 3.0) -> None:
        """Stop accepting; give open connections ``wait`` seconds to end."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        for t in list(self._threads):
            t.join(wait)
