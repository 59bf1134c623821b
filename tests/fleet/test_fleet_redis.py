"""The fleet for real: redis-server and PostgreSQL on loopback, two worker processes against
the lab, one of them killed (SIGKILL) while it holds a job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from mailtls.fleet.polite import check_log, read_log
from mailtls.fleet.storage import open_storage
from mailtls.lab.servers import Lab

MAILTLS = [sys.executable, "-m", "mailtls", "fleet"]
RATE = 240  # a minute per address: 4 a second, fast enough for a test, slow enough to count


def _worker(redis_url: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*MAILTLS, "worker", "--broker", redis_url, "--threads", "4",
                             "--heartbeat", "2"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))  # fmt: skip


MSGS = "dramatiq:mailtls-fleet.msgs"


def _open_by(log: Path, pid: int) -> bool:
    """Whether ``pid`` has a connection open now (a start line without its end)."""
    if not log.exists():
        return False
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    ended = {e["id"] for e in lines if "end" in e}
    return any(e.get("pid") == pid and e["id"] not in ended for e in lines)


def _held(client: redis.Redis) -> int:
    """Messages fetched by workers and not acknowledged (Dramatiq's ``__acks__`` sets)."""
    return sum(int(client.scard(k)) for k in client.keys("dramatiq:__acks__.*"))


def _wait(what: str, check: object, limit: float = 240.0) -> None:
    """Wait for a condition (a generous limit against a hang, not a speed assertion)."""
    deadline = time.monotonic() + limit
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)


def test_two_workers_one_killed_nothing_lost_or_doubled_and_polite(
    lab: Lab, lab_targets: Path, redis_url: str, postgres_url: str, tmp_path: Path
) -> None:
    polite_log = tmp_path / "polite.log"
    scan = ["--results", postgres_url, "--scan-id", "kill-test"]
    workers = [_worker(redis_url, tmp_path / f"w{i}.err") for i in range(2)]
    try:
        done = subprocess.run(
            [*MAILTLS, "enqueue", "--targets", str(lab_targets), "--broker", redis_url, *scan,
             "--trust", "none", "--ca-file", str(lab.ca_file), "--rate", f"{RATE}/min",
             "--timeout", "3", "--batch", "1", "--politeness-log", str(polite_log)],
            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        # kill the first worker while it has a connection open: it holds a job, the
        # address's lock, and (prefetched) delayed messages of other jobs
        _wait("a connection open", lambda: any(_open_by(polite_log, w.pid) for w in workers))
        victim = next(w for w in workers if _open_by(polite_log, w.pid))
        survivor = next(w for w in workers if w is not victim)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        killed_at = time.time()
        client = redis.Redis.from_url(redis_url)
        held = _held(client)
        store = open_storage(postgres_url)
        planned = {(a, p, s) for _, a, p, s in store.domains("kill-test")}
        assert len(planned) == len(lab.endpoints)
        _wait(f"every endpoint (after the kill, {held} messages were held by workers)",
              lambda: store.done_keys("kill-test") >= planned)  # fmt: skip
        _wait("an empty queue", lambda: _held(client) == 0 and not client.hlen(MSGS)
              and not client.hlen(MSGS.replace(".msgs", ".DQ.msgs")))  # fmt: skip
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(30)
    exported = subprocess.run([*MAILTLS, "export", *scan], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
    records = [json.loads(line) for line in exported.splitlines()]
    ports = [r["port"] for r in records]
    assert sorted(ports) == sorted(e.port for e in lab.endpoints)  # none lost, none twice
    assert check_log(polite_log, rate=RATE, window=60) == []
    entries = read_log(polite_log)
    assert survivor.pid in {e["pid"] for e in entries if e["start"] > killed_at}
    assert held > 0  # the kill left messages behind: they came back through maintenance
