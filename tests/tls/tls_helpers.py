"""Helpers shared by the TLS engine tests: drive a HandshakeReader over a loopback socket."""

from __future__ import annotations

import socket
from collections.abc import Sequence

from mailtls.proto.tls import Event, HandshakeReader


def exchange(
    port: int,
    hello: bytes,
    *,
    expect_sslv2: bool = False,
    after_flight: bytes = b"",
    timeout: float = 5.0,
) -> tuple[list[Event], bytes]:
    """Send ``hello`` to 127.0.0.1:port, read until the reader is done (or EOF/timeout);
    then send ``after_flight`` and return (events, raw bytes received after it)."""
    reader = HandshakeReader(expect_sslv2=expect_sslv2)
    events: list[Event] = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(hello)
        while not reader.done:
            data = sock.recv(65536)
            if not data:
                break
            events += reader.feed(data)
        after = b""
        if after_flight:
            sock.sendall(after_flight)
            after = _read_some(sock, timeout=2.0)
    return events, after


def _read_some(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    out = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            out += data
    except TimeoutError:
        pass
    except ConnectionResetError:
        pass
    return out


def of_type(events: Sequence[Event], kind: type) -> list[Event]:
    return [e for e in events if isinstance(e, kind)]
