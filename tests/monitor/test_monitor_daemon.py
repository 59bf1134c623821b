"""The daemon as a process: SIGKILL mid-pass loses no committed observation, a second
daemon on the same history refuses, SIGTERM stops after closing the pass."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.ports import free_ports

DAEMON = [sys.executable, "-m", "mailtls", "monitor", "daemon"]


@pytest.fixture
def tarpit() -> Iterator[int]:
    """A loopback port that accepts and never says a word (a pass waits for its timeout)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for s in held:
        s.close()
    server.close()


def inventory(tmp_path: Path, tarpit: int, closed: list[int]) -> Path:
    lines = ["[scan]\ntimeout = 20\n[schedule]\nevery = \"1h\"\njitter = 0\n"]
    lines += [f'[[endpoint]]\ntarget = "smtp://closed{i}.test:{p}"\nresolve = "127.0.0.1"\n'
              for i, p in enumerate(closed)]
    lines.append(f'[[endpoint]]\ntarget = "smtp://slow.test:{tarpit}"\nresolve = "127.0.0.1"\n')
    path = tmp_path / "inv.toml"
    path.write_text("".join(lines))
    return path


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=5) as c:
        try:
            return list(c.execute(sql))
        except sqlite3.OperationalError:
            return []


def wait_for(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def start(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*DAEMON, "-i", str(path)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_sigkill_mid_pass_loses_nothing_committed(tmp_path: Path, tarpit: int) -> None:
    closed = free_ports(12)
    path = inventory(tmp_path, tarpit, closed)
    db = tmp_path / "inv.history.sqlite"
    daemon = start(path)
    try:
        wait_for(lambda: len(rows(db, "SELECT id FROM observations")) >= 12,
                 "the refused endpoints to be committed")
        committed = rows(db, "SELECT id, endpoint FROM observations ORDER BY id")
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait(10)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        for stream in (daemon.stdout, daemon.stderr):
            if stream:
                stream.close()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    after = rows(db, "SELECT id, endpoint FROM observations ORDER BY id")
    assert after[: len(committed)] == committed
    assert rows(db, "SELECT count(*) FROM observation_findings WHERE observation_id NOT IN "
                    "(SELECT id FROM observations)") == [(0,)]
    assert rows(db, "SELECT finished_at FROM passes") == [(None,)]  # killed mid-pass
    # the next daemon resumes on the same history: it may take the lock at once
    again = start(path)
    try:
        wait_for(lambda: len(rows(db, "SELECT id FROM passes")) == 2, "a second pass")
        again.send_signal(signal.SIGTERM)
        assert again.wait(30) == 0
    finally:
        if again.poll() is None:
            again.kill()
            again.wait()
        for stream in (again.stdout, again.stderr):
            if stream:
                stream.close()
    assert rows(db, "SELECT count(*) FROM passes WHERE finished_at IS NOT NULL") == [(1,)]


def test_second_daemon_refuses_and_sigterm_stops(tmp_path: Path, tarpit: int) -> None:
    path = inventory(tmp_path, tarpit, free_ports(2))
    db = tmp_path / "inv.history.sqlite"
    first = start(path)
    try:
        wait_for(lambda: len(rows(db, "SELECT id FROM observations")) >= 2, "a first pass")
        second = subprocess.run([*DAEMON, "-i", str(path)], capture_output=True, text=True,
                                timeout=60, stdin=subprocess.DEVNULL)
        assert second.returncode == 3
        assert "in use by another mailtls monitor daemon" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
        assert "stopped" in (first.stdout.read() if first.stdout else "")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        for stream in (first.stdout, first.stderr):
            if stream:
                stream.close()
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT count(*) FROM passes WHERE finished_at IS NULL") == [(0,)]
