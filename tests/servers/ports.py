"""Free loopback ports, and waiting for a server to answer on them.

Only loopback addresses (127.0.0.0/8, ::1) are ever bound or connected to.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def check_loopback(address: str) -> str:
    """Return ``address`` if it is a loopback address; raise ``ValueError`` otherwise."""
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"{address} is not a loopback address: the lab stays on loopback")
    return address


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def free_ports(count: int, addresses: Sequence[str] = ("127.0.0.1",)) -> list[int]:
    """``count`` distinct TCP ports that are free on every one of ``addresses`` right now.

    The kernel picks each port (bind to port 0 on the first address); the sockets stay
    open until all are chosen so that the ports differ. Another process may still take
    one before the server binds it: starters retry with fresh ports when that happens.
    """
    for a in addresses:
        check_loopback(a)
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            first = socket.socket(_family(addresses[0]), socket.SOCK_STREAM)
            held.append(first)
            first.bind((addresses[0], 0))
            port = first.getsockname()[1]
            if all(_bindable(a, port, held) for a in addresses[1:]):
                ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def _bindable(address: str, port: int, held: list[socket.socket]) -> bool:
    s = socket.socket(_family(address), socket.SOCK_STREAM)
    held.append(s)
    try:
        s.bind((address, port))
    except OSError:
        return False
    return True


def busy(endpoints: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The ``(address, port)`` pairs that cannot be bound now (a server already there)."""
    held: list[socket.socket] = []
    try:
        return [(a, p) for a, p in endpoints if not _bindable(check_loopback(a), p, held)]
    finally:
        for s in held:
            s.close()


def permissive_context() -> ssl.SSLContext:
    """A client context that accepts any certificate, weak ones included (lab probing only)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def read_greeting(address: str, port: int, *, tls: bool = False, timeout: float = 2.0) -> bytes:
    """Connect, optionally handshake TLS (wrapper mode), and return the first line."""
    check_loopback(address)
    with socket.create_connection((address, port), timeout=timeout) as raw:
        if tls:
            with permissive_context().wrap_socket(raw) as s:
                return _line(s)
        return _line(raw)


def _line(s: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(512)
        if not chunk:
            break
        data += chunk
    return data


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               alive: Callable[[], str | None] | None = None) -> None:
    """Poll ``check`` until it is true; ``alive`` returns a reason when waiting is futile."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ssl.SSLError) as exc:
            last = exc
        if alive is not None and (reason := alive()):
            raise RuntimeError(f"{what}: {reason}")
        time.sleep(0.05)
    raise TimeoutError(f"{what}: not ready after {timeout}s (last error: {last!r})")


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def terminate(pid: int, grace: float = 15.0) -> None:
    """SIGTERM (what `postfix stop` and `doveadm stop` send), SIGKILL after ``grace`` s."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
