"""Fleet units on in-process backends: plan, limiters, the address job, storage, the CLI."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dramatiq.rate_limits.backends import StubBackend

from mailtls.cli.main import cli
from mailtls.export.json import result_dict
from mailtls.fleet.plan import Endpoint, Job, Plan
from mailtls.fleet.polite import (
    AddressGate,
    Politeness,
    PolitenessLog,
    check_log,
    lock_ttl,
    read_log,
)
from mailtls.fleet.storage import DirStorage
from mailtls.fleet.worker import Settings, run_job
from mailtls.lab.servers import Lab
from mailtls.model import Target
from mailtls.scan import ScanOptions, run_scan
from mailtls.verify import TrustStore


def test_plan_dedupes_across_domains_and_joins_back() -> None:
    plan = Plan("s")
    for domain in ("a.example", "b.example"):
        plan.add(Target("smtp", "mx.provider.example", 25, "192.0.2.1"), domain)
    plan.add(Target("smtp", "mx.other.example", 25, "192.0.2.1"), "c.example")
    assert plan.endpoint_count == 2
    assert [len(j.endpoints) for j in plan.jobs(seed=1)] == [2]  # one job for the address
    assert plan.mapping_rows() == [
        ("a.example", "192.0.2.1", 25, "mx.provider.example"),
        ("b.example", "192.0.2.1", 25, "mx.provider.example"),
        ("c.example", "192.0.2.1", 25, "mx.other.example"),
    ]


def test_jobs_skip_done_split_in_batches_and_shuffle_by_seed() -> None:
    plan = Plan("s")
    for i in range(40):
        plan.add(Target("smtp", f"h{i % 4}.example", 25, f"192.0.2.{i}"))
    plan.add(Target("smtp", "x.example", 587, "192.0.2.0"))
    done = [("192.0.2.0", 25, "h0.example")]
    jobs = plan.jobs(seed=7, done=done)
    assert sum(len(j.endpoints) for j in jobs) == 40
    assert all(("192.0.2.0", 25, "h0.example") not in set(j.keys()) for j in jobs)
    order = [j.address for j in jobs]
    assert order == [j.address for j in plan.jobs(seed=7, done=done)]  # stable for a seed
    assert order != sorted(order) and order != [j.address for j in plan.jobs(seed=8)]
    split = Plan("s")
    for port in range(1, 6):
        split.add(Target("smtp", "h.example", port, "192.0.2.9"))
    assert [len(j.endpoints) for j in split.jobs(seed=0, batch=2)] == [2, 2, 1]


def test_job_round_trips_through_a_message() -> None:
    job = Job("s", "::1", (Endpoint(25, "mx.example", "smtp"),), attempt=2)
    assert Job.from_dict(json.loads(json.dumps(job.to_dict()))) == job


def test_gate_lock_is_exclusive_and_rate_is_counted() -> None:
    backend = StubBackend()
    polite = Politeness(rate=2, window=60, per_address=1)
    a, b = AddressGate(backend, "192.0.2.1", polite), AddressGate(backend, "192.0.2.1", polite)
    assert a.lock() and not b.lock()
    a.unlock()
    assert b.lock()
    assert a.token() and b.token() and not a.token()  # 2 a minute, whoever asks
    assert AddressGate(backend, "192.0.2.2", polite).token()  # another address is apart


def test_window_counts_one_bucket_more_than_dramatiq(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 a second: at t=10.9 and t=11.1 dramatiq's window would allow both (two buckets)."""
    import mailtls.fleet.polite as polite_mod

    clock = [10.9]
    monkeypatch.setattr(polite_mod.time, "time", lambda: clock[0])
    gate = AddressGate(StubBackend(), "192.0.2.1", Politeness(rate=1, window=1))
    assert gate.token()
    clock[0] = 11.1
    assert not gate.token()


def _log(path: Path, rows: list[tuple[str, float, float]]) -> Path:
    path.write_text("".join(json.dumps({"address": a, "port": 25, "sni": "x", "start": s,
                                        "end": e, "pid": 1}) + "\n" for a, s, e in rows))
    return path


def test_check_log_finds_overlaps_and_rate(tmp_path: Path) -> None:
    good = _log(tmp_path / "good", [("a", 0, 1), ("a", 1, 2), ("b", 0.5, 1.5), ("a", 61, 62)])
    assert check_log(good, rate=2, window=60) == []
    overlap = _log(tmp_path / "o", [("a", 0, 2), ("a", 1, 3)])
    assert any("at once" in p for p in check_log(overlap, rate=9, window=60))
    fast = _log(tmp_path / "f", [("a", 0, 1), ("a", 20, 21), ("a", 59, 59.5)])
    assert check_log(fast, rate=2, window=60) == ["a: 3 connections within 60s from 0.000"]
    three = _log(tmp_path / "3", [("a", 0, 1), ("a", 0.5, 2), ("a", 0.7, 3)])
    assert check_log(three, rate=9, window=60, per_address=2) == [
        "a: 3 connections at once at 0.700"]


def _settings(lab: Lab, tmp_path: Path, **polite: Any) -> Settings:
    return Settings(str(tmp_path / "res"), "none", (str(lab.ca_file),), timeout=5,
                    polite=Politeness(**polite), log=str(tmp_path / "polite.log"))  # fmt: skip


def _job(lab: Lab, n: int) -> Job:
    eps = tuple(Endpoint(e.port, "localhost", e.scheme) for e in lab.endpoints[:n])
    return Job("s", "127.0.0.1", eps)


def test_busy_address_requeues_without_scanning(lab: Lab, tmp_path: Path) -> None:
    backend = StubBackend()
    settings = _settings(lab, tmp_path, rate=100, window=60)
    holder = AddressGate(backend, "127.0.0.1", settings.polite)
    assert holder.lock()
    saved: list[Any] = []
    out = asyncio.run(run_job(_job(lab, 3), settings, AddressGate(backend, "127.0.0.1",
                      settings.polite), saved.extend, PolitenessLog(settings.log)))  # fmt: skip
    assert out.scanned == 0 and out.rest == _job(lab, 3) and out.delay > 0
    assert saved == [] and not (tmp_path / "polite.log").exists()


def test_tokens_bound_the_job_and_the_rest_comes_back(lab: Lab, tmp_path: Path) -> None:
    settings = _settings(lab, tmp_path, rate=2, window=60)
    gate = AddressGate(StubBackend(), "127.0.0.1", settings.polite)
    saved: list[Any] = []
    out = asyncio.run(run_job(_job(lab, 5), settings, gate, saved.extend,
                              PolitenessLog(settings.log)))  # fmt: skip
    assert out.scanned == 2 and out.rest is not None and len(out.rest.endpoints) == 3
    assert [k for k, _ in saved] == _job(lab, 2).keys()
    assert len(read_log(tmp_path / "polite.log")) == 2
    assert gate.lock()  # the job let go of the address


def test_a_job_starts_no_connection_the_lock_could_outlive(lab: Lab, tmp_path: Path) -> None:
    """With a TTL shorter than one more deadline, the job stops after its first connection
    and hands the rest back at once (no delay): the lock never expires under a connection."""
    settings = _settings(lab, tmp_path, rate=100, window=60, lock_ttl=1)
    saved: list[Any] = []
    out = asyncio.run(run_job(_job(lab, 3), settings, AddressGate(StubBackend(), "127.0.0.1",
                      settings.polite), saved.extend, PolitenessLog(settings.log)))  # fmt: skip
    assert out.scanned == 1 and out.rest is not None and len(out.rest.endpoints) == 2
    assert out.delay == 0
    ttl = lock_ttl(30)
    assert Politeness(lock_ttl=ttl).may_start(0, 30)
    assert not Politeness(lock_ttl=ttl).may_start(ttl - 30, 30)


def test_log_pairs_start_and_end_and_a_killed_connection_lasts_to_its_deadline(
    tmp_path: Path,
) -> None:
    log = PolitenessLog(str(tmp_path / "p.log"))
    done = log.start("a", 25, "x", 10.0, 40.0)
    log.start("a", 26, "x", 12.0, 42.0)  # its worker died: no end line
    log.end(done, 11.0)
    log.start("a", 27, "x", 41.0, 71.0)  # opened before the dead one's deadline
    entries = sorted(read_log(tmp_path / "p.log"), key=lambda e: e["start"])
    assert [(e["port"], e["end"]) for e in entries] == [(25, 11.0), (26, 42.0), (27, 71.0)]
    assert check_log(tmp_path / "p.log", rate=9, window=60) == [
        "a: 2 connections at once at 41.000"]


@pytest.fixture
def busy_server() -> Iterator[int]:
    """A loopback SMTP server that answers every connection with 421 (too many)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            conn.sendall(b"421 4.7.0 too many connections, try later\r\n")
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield sock.getsockname()[1]
    stop.set()
    t.join()
    sock.close()


def test_421_backs_off_then_keeps_the_result(lab: Lab, tmp_path: Path, busy_server: int) -> None:
    settings = _settings(lab, tmp_path, rate=100, window=60, backoff=7, max_attempts=1)
    job = Job("s", "127.0.0.1", (Endpoint(busy_server, "localhost"),))
    gate = AddressGate(StubBackend(), "127.0.0.1", settings.polite)
    saved: list[Any] = []
    log = PolitenessLog(settings.log)
    first = asyncio.run(run_job(job, settings, gate, saved.extend, log))
    assert first.rest == Job("s", "127.0.0.1", job.endpoints, 1) and first.delay == 7
    assert saved == []
    second = asyncio.run(run_job(first.rest, settings, gate, saved.extend, log))
    assert second.rest is None and len(saved) == 1
    assert [f["id"] for f in saved[0][1]["findings"]] == ["conn.rate_limited"]


def test_dir_storage_keeps_the_first_record_of_a_key(tmp_path: Path) -> None:
    store = DirStorage(tmp_path)
    store.add_results("s", [(("a", 25, "x"), {"n": 1})])
    store.add_results("s", [(("a", 25, "x"), {"n": 2}), (("a", 26, "x"), {"n": 3})])
    assert dict(store.results("s")) == {("a", 25, "x"): {"n": 1}, ("a", 26, "x"): {"n": 3}}
    assert store.done_keys("other") == set()
    assert not list(tmp_path.rglob("*.tmp"))
    for n in range(20):  # first in time, not in the order of random part names
        store.add_results("t", [(("a", 25, "x"), {"n": n})])
    assert dict(store.results("t")) == {("a", 25, "x"): {"n": 0}}


def test_enqueue_waits_while_the_queue_is_full(tmp_path: Path) -> None:
    from mailtls.fleet.queue import enqueue

    class Fleet:
        def __init__(self) -> None:
            self.queued, self.most, self.sent = 0, 0, 0

        def depth(self) -> int:
            return self.queued

        def send(self, settings: Settings, job: Job, delay: float = 0.0) -> None:
            self.queued += 1
            self.sent += 1
            self.most = max(self.most, self.queued)

        def drain(self, _seconds: float) -> None:  # a worker takes two messages
            self.queued = max(0, self.queued - 2)

    plan = Plan("s")
    for i in range(30):
        plan.add(Target("smtp", "h.example", 25, f"192.0.2.{i}"))
    fleet = Fleet()
    settings = Settings(str(tmp_path / "r"))
    sent = enqueue(fleet, plan, DirStorage(tmp_path / "r"), settings, max_depth=5,  # type: ignore[arg-type]
                   sleep=fleet.drain)  # fmt: skip
    assert (sent.jobs, fleet.sent, fleet.most) == (30, 30, 5)


def _fleet(*args: str) -> Any:
    return CliRunner().invoke(cli, ["fleet", *args], catch_exceptions=False)


def test_single_machine_scan_resume_and_export(lab: Lab, lab_targets: Path,
                                               tmp_path: Path) -> None:  # fmt: skip
    results = str(tmp_path / "results")
    common = ["--targets", str(lab_targets), "--results", results, "--scan-id", "t1",
              "--trust", "none", "--ca-file", str(lab.ca_file), "--rate", "6000/min",
              "--timeout", "5", "--politeness-log", str(tmp_path / "p.log")]  # fmt: skip
    first = _fleet("enqueue", *common)
    assert first.exit_code == 0, first.output
    n = len(lab.endpoints)
    assert f"{n} endpoints on 1 addresses, 0 already done, {n} queued" in first.output
    again = _fleet("enqueue", *common)
    assert f"{n} already done, 0 queued in 0 messages" in again.output
    status = json.loads(_fleet("status", "--results", results, "--scan-id", "t1", "--json").output)
    assert (status["planned"], status["done"], status["left"]) == (n, n, 0)
    out = tmp_path / "export.jsonl"
    assert _fleet("export", "--results", results, "--scan-id", "t1", "-o", str(out)).exit_code == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["port"] for r in records) == sorted(e.port for e in lab.endpoints)
    reference = run_scan([Target(lab.endpoints[0].scheme, "localhost", lab.endpoints[0].port,
                                 "127.0.0.1")],
                         ScanOptions(store=TrustStore.build("none", [lab.ca_file]), timeout=5))
    assert set(records[0]) == set(result_dict(reference[0]))
    by_port = {r["port"]: r for r in records}
    for e in lab.endpoints:
        ids = [f["id"] for f in by_port[e.port]["findings"]]
        assert e.expect in ids, (e.name, ids)
    assert check_log(tmp_path / "p.log", rate=6000, window=60) == []


@pytest.mark.parametrize("args, message", [
    (["--results", "x"], "exactly one of --domains FILE and --targets FILE"),
    (["--targets", "/nonexistent/t", "--results", "x"], "/nonexistent/t"),
    (["--targets", "t", "--results", "x", "--rate", "fast"], "expected N/min"),
    (["--targets", "t", "--results", "x", "--broker", "http://x"], "expected redis://"),
])  # fmt: skip
def test_bad_input_is_named(args: list[str], message: str, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").write_text("smtp://127.0.0.1:1\n")
    result = CliRunner().invoke(cli, ["fleet", "enqueue", *args])
    assert result.exit_code != 0 and message in result.output, result.output


def test_the_redis_broker_does_maintenance_on_demand_only() -> None:
    """``do_maintain`` runs the dead-worker re-queue every time; other commands by chance
    (none here). No connection is made: the Redis client connects on first use."""
    from mailtls.fleet.queue import MAINTAIN, _redis_broker_class

    broker = _redis_broker_class()(url="redis://127.0.0.1:9/0", maintenance_chance=0)
    assert broker._should_do_maintenance(MAINTAIN) == 1
    assert broker._should_do_maintenance("fetch") == 0


def test_no_token_means_a_delay_until_the_oldest_connection_leaves_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mailtls.fleet.polite as polite_mod

    clock = [100.2]
    monkeypatch.setattr(polite_mod.time, "time", lambda: clock[0])
    gate = AddressGate(StubBackend(), "192.0.2.1", Politeness(rate=2, window=60))
    assert gate.token()
    clock[0] = 130.5
    assert gate.token() and not gate.token()
    assert gate.retry_after() == pytest.approx(161 - 130.5)  # bucket 100 counts until 161
    clock[0] = 160.9
    assert not gate.token() and gate.retry_after() == pytest.approx(0.1)
    clock[0] = 161.0
    assert gate.token()
