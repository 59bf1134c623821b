"""The lab's own output: no asyncio warning per connection, a scan hint that copies whole."""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import ssl

import pytest

from mailtls.lab.servers import Lab

TIMEOUT = 5.0


def _client_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _finished_with_close_notify(port: int) -> None:
    """A TLS client whose Finished and close_notify leave in one write, then FIN.

    The server reads both at once, so its TLS layer sees the end of the stream before the
    lab's code has taken over the new TLS transport (the case ``openssl s_client`` hits
    now and then when its stdin is at EOF).
    """
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = _client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                if outgoing.pending:
                    sock.sendall(outgoing.read())
                data = sock.recv(65536)
                assert data, "the lab closed during the handshake"
                incoming.write(data)
        with contextlib.suppress(ssl.SSLWantReadError):
            tls.unwrap()
        sock.sendall(outgoing.read())  # Finished + close_notify together
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass


def test_a_client_leaving_right_after_the_handshake_logs_nothing(
    lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    port = next(e.port for e in lab.endpoints if e.scheme == "smtps")
    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        for _ in range(5):
            _finished_with_close_notify(port)
        lab_alive = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        lab_alive.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [w for w in warnings if "eof_received" in w], warnings


@pytest.mark.parametrize("terminal", [False, True])
def test_scan_hint_is_one_line_that_copies_whole(lab: Lab, terminal: bool) -> None:
    from rich.console import Console

    from mailtls.cli.lab import _endpoint_table

    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=terminal, color_system=None)
    _endpoint_table(lab, console)
    lines = out.getvalue().splitlines()
    command = f"mailtls scan --ca-file {lab.ca_file} --targets {lab.directory / 'targets.txt'}"
    assert f"Scan it: {command}" in lines
    if not terminal:  # a pipe: one grep-able line per endpoint, nothing padded
        for e in lab.endpoints:
            assert f"{e.url} {e.expect} {e.description}" in lines
        assert all(line == line.rstrip() for line in lines)
