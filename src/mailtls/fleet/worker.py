"""Stage two: the address job, run by a Dramatiq actor over :func:`mailtls.scan.scan_one`.

One message per address job. The actor takes the address's lock and, per connection, a
rate token (polite.py); what it scanned goes to storage keyed by (scan id, address, port,
SNI); what is left (no token, a ``421``, a timeout) goes back on the queue as a new message
with a delay, and the worker thread is free at once. A killed worker's message was never
acked: the Redis broker gives it to another worker after the heartbeat timeout, and the
lock it held expires with its TTL; writes are idempotent, so nothing is lost or doubled.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..export.json import safe_result_dict
from ..model import ScanResult
from ..scan import ScanOptions, scan_one
from ..verify import TrustStore
from .plan import Endpoint, Job, Key
from .polite import AddressGate, Politeness, PolitenessLog, limiter_backend
from .storage import open_storage

BACKOFF_IDS = frozenset({"conn.rate_limited", "conn.timeout"})


@dataclass(frozen=True)
class Settings:
    """What every message carries besides its job: the same for the whole scan."""

    results: str
    trust: str = "mozilla"
    ca_files: tuple[str, ...] = ()
    timeout: float = 30.0
    ehlo: str = "mailtls.invalid"
    polite: Politeness = field(default_factory=Politeness)
    log: str | None = None  # politeness log (JSON lines), for audits and tests

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Settings:
        d = dict(d)
        d["polite"] = Politeness(**d.get("polite", {}))
        d["ca_files"] = tuple(d.get("ca_files", ()))
        return cls(**d)


@dataclass(frozen=True)
class Outcome:
    scanned: int
    rest: Job | None  # to re-queue, after ``delay`` seconds
    delay: float = 0.0


@functools.lru_cache(maxsize=8)
def _store(trust: str, ca_files: tuple[str, ...]) -> TrustStore:
    return TrustStore.build(trust, [Path(p) for p in ca_files])


def scan_options(settings: Settings) -> ScanOptions:
    return ScanOptions(store=_store(settings.trust, settings.ca_files), timeout=settings.timeout,
                       per_address=settings.polite.per_address, ehlo=settings.ehlo)  # fmt: skip


def needs_backoff(result: ScanResult) -> bool:
    return any(f.id in BACKOFF_IDS for f in result.findings)


async def run_job(
    job: Job, settings: Settings, gate: AddressGate, save: Callable[[list[tuple[Key, Any]]], Any],
    log: PolitenessLog,
) -> Outcome:
    """Scan what the politeness limits allow now; the rest comes back as ``Outcome.rest``."""
    polite = settings.polite
    if not gate.lock():
        return Outcome(0, job, polite.window / polite.rate)
    rows: list[tuple[Key, Any]] = []
    todo = list(job.endpoints)
    delay, attempt = 0.0, job.attempt
    try:
        options = scan_options(settings)
        overall = asyncio.Semaphore(polite.per_address)
        slots = asyncio.Semaphore(polite.per_address)
        held, first = time.monotonic(), True
        while todo:
            if not first and not polite.may_start(time.monotonic() - held, settings.timeout):
                break  # the rest comes back at once, under a fresh lock
            batch: list[Endpoint] = []
            while todo and len(batch) < polite.per_address and gate.token():
                batch.append(todo.pop(0))
            if not batch:
                delay = gate.retry_after()
                break
            first = False
            results = await asyncio.gather(*(
                _one(job.address, ep, options, overall, slots, log) for ep in batch))
            retry = [ep for ep, r in zip(batch, results, strict=True)
                     if needs_backoff(r) and attempt < polite.max_attempts]  # fmt: skip
            rows += [((job.address, ep.port, ep.sni), safe_result_dict(r))
                     for ep, r in zip(batch, results, strict=True) if ep not in retry]  # fmt: skip
            if retry:
                todo = retry + todo
                delay = polite.backoff_delay(attempt)
                attempt += 1
                break
    finally:
        gate.unlock()
    save(rows)
    rest = Job(job.scan_id, job.address, tuple(todo), attempt) if todo else None
    return Outcome(len(rows), rest, delay)


async def _one(
    address: str, ep: Endpoint, options: ScanOptions, overall: asyncio.Semaphore,
    slots: asyncio.Semaphore, log: PolitenessLog,
) -> ScanResult:
    start = time.time()
    ident = log.start(address, ep.port, ep.sni, start, start + options.timeout)
    try:
        return await scan_one(ep.target(address), options, overall, lambda _a: slots)
    finally:
        log.end(ident, time.time())


class Runner:
    """What a worker process keeps between messages: limiter backend and storages."""

    def __init__(self, redis_url: str | None) -> None:
        self.backend = limiter_backend(redis_url)
        self._storages: dict[str, Any] = {}

    def storage(self, where: str) -> Any:
        if where not in self._storages:
            self._storages[where] = open_storage(where)
        return self._storages[where]

    async def handle(self, settings_dict: dict[str, Any], job_dict: dict[str, Any]) -> Outcome:
        settings = Settings.from_dict(settings_dict)
        job = Job.from_dict(job_dict)
        store = self.storage(settings.results)
        gate = AddressGate(self.backend, job.address, settings.polite)

        def save(rows: list[tuple[Key, Any]]) -> None:
            store.add_results(job.scan_id, rows)

        return await run_job(job, settings, gate, save, PolitenessLog(settings.log))
