"""The exporter's machinery: a scan loop in its own thread, change memory, the HTTP app.

- ``/probe?target=URL[&target=URL...]`` scans the targets now (as blackbox_exporter's
  multi-target pattern) and answers their metrics. Only targets of the inventory or
  matching an ``--allow`` pattern are scanned; at most ``max_targets`` per request and
  ``max_probes`` requests at once (more: 503 with Retry-After); each probe is bounded by
  ``--timeout`` and by the scrape timeout Prometheus announces, whichever is shorter.
- ``/metrics``: the last scheduled pass over the inventory (scan on a schedule, serve the
  last results; a scrape never waits for a scan) and the exporter's own metrics.

All scans run on one asyncio loop in a daemon thread, so the per-address limits of the scan
engine hold across concurrent scrapes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fnmatch
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.process_collector import ProcessCollector

from ..catalog import tr
from ..errors import TargetError
from ..export.prometheus import Probe, render_metrics
from ..model import ScanResult, Target
from ..scan import ScanOptions, scan
from ..targets import parse_target

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
OK, BAD, FORBIDDEN = "200 OK", "400 Bad Request", "403 Forbidden"
_MAX_REMEMBERED = 100_000  # endpoints whose last fingerprint the change memory keeps


class ChangeMemory:
    """When each endpoint's leaf certificate last changed, as far as this process knows.

    A plug for the monitor's history: ``lookup`` is asked first (it answers from the
    history store: the time of the last change, or None when it has no record), and only
    when it has no record does the in-memory memory of what this exporter saw count.
    """

    def __init__(self, lookup: Callable[[ScanResult], float | None] | None = None) -> None:
        self.lookup = lookup
        self._seen: OrderedDict[tuple[str, str], tuple[str, float | None]] = OrderedDict()
        self._lock = threading.Lock()

    def observe(self, result: ScanResult, now: float) -> float | None:
        if self.lookup is not None:
            known = self.lookup(result)
            if known is not None:
                return known
        if result.certificate is None:
            return self._last(result)
        key = (result.target.url, result.address or "")
        sha = result.certificate.sha256
        with self._lock:
            before = self._seen.pop(key, None)
            changed = before[1] if before else None
            if before is not None and before[0] != sha:
                changed = now
            self._seen[key] = (sha, changed)
            while len(self._seen) > _MAX_REMEMBERED:
                self._seen.popitem(last=False)
        return changed

    def _last(self, result: ScanResult) -> float | None:
        with self._lock:
            seen = self._seen.get((result.target.url, result.address or ""))
        return seen[1] if seen else None


class ScanLoop:
    """One asyncio loop in a daemon thread; scans submitted from any thread."""

    def __init__(self, options: ScanOptions, memory: ChangeMemory) -> None:
        self.options = options
        self.memory = memory
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mailtls-scans",
                                       daemon=True)  # fmt: skip
        self.thread.start()

    async def probes(self, targets: Sequence[Target], timeout: float) -> list[Probe]:
        options = replace(self.options, timeout=min(self.options.timeout, timeout))
        results = await scan(targets, options)
        now = time.time()
        return [Probe(r, r.elapsed, self.memory.observe(r, now)) for r in results]

    def probe(self, targets: Sequence[Target], timeout: float) -> list[Probe]:
        """Scan ``targets`` now (blocking the calling thread, not the loop)."""
        future = asyncio.run_coroutine_threadsafe(self.probes(targets, timeout), self.loop)
        try:
            return future.result(timeout + 5)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        async def finish() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(finish(), self.loop)
        self.thread.join(5)


@dataclass
class Allow:
    """Which targets /probe may scan: the inventory's, and those matching a pattern.

    A pattern with ``://`` is matched against the target URL (``smtp://*.example.org:25``),
    any other against the host name (``*.example.org``), as shell globs.
    """

    patterns: tuple[str, ...] = ()
    inventory: frozenset[str] = frozenset()

    def __call__(self, target: Target) -> bool:
        if target.url in self.inventory:
            return True
        return any(fnmatch.fnmatchcase(target.url if "://" in p else target.host, p)
                   for p in self.patterns)  # fmt: skip


@dataclass(frozen=True)
class Limits:
    timeout: float = 30.0
    max_probes: int = 4  # /probe requests scanning at once
    max_targets: int = 50  # targets in one /probe request
    resolve: tuple[tuple[tuple[str, int], str], ...] = ()
    lang: str = "en"


class Schedule:
    """Passes over the inventory on a schedule; the last one rendered, ready to serve."""

    def __init__(self, loop: ScanLoop, targets: Sequence[Target], interval: float,
                 log: Callable[[str], None], lang: str = "en",
                 expand: Callable[[], Awaitable[list[Target]]] | None = None) -> None:
        self.loop, self.targets, self.interval, self.log = loop, list(targets), interval, log
        self.lang = lang
        self.expand = expand  # the targets anew before each pass ([[domain]] MX look-ups)
        self.domains: Callable[[], Awaitable[bytes]] | None = None  # cli/exporter_domains.py
        self.rendered = b""
        self.passes = 0
        self.last_end = 0.0
        self.last_duration = 0.0
        self._stopped = False
        self._future: concurrent.futures.Future[None] | None = None

    def start(self) -> None:
        self._future = asyncio.run_coroutine_threadsafe(self._run(), self.loop.loop)

    async def _run(self) -> None:
        while not self._stopped:
            started = time.monotonic()
            if self.expand is not None:
                self.targets = await self.expand()
            verdicts = asyncio.ensure_future(self.domains()) if self.domains else None
            probes = await self.loop.probes(self.targets, self.loop.options.timeout)
            self.rendered = render_metrics(probes) + (await verdicts if verdicts else b"")
            self.last_duration = time.monotonic() - started
            self.last_end, self.passes = time.time(), self.passes + 1
            self.log(tr("pass over {count} targets done in {seconds} s", self.lang).format(
                count=len(self.targets), seconds=f"{self.last_duration:.1f}"))
            # jitter: many exporters over one fleet do not all scan at the same second
            await asyncio.sleep(self.interval * random.uniform(0.9, 1.1))

    def stop(self) -> None:
        self._stopped = True
        if self._future is not None:
            self._future.cancel()


class App:
    """The WSGI application: /probe, /metrics, and a small index."""

    def __init__(self, loop: ScanLoop, allow: Allow, limits: Limits,
                 schedule: Schedule | None = None) -> None:  # fmt: skip
        self.loop, self.allow, self.limits, self.schedule = loop, allow, limits, schedule
        self.busy = threading.BoundedSemaphore(limits.max_probes)
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.requests = Counter("mailtls_exporter_probe_requests", "/probe requests by outcome",
                                ["outcome"], registry=self.registry)  # fmt: skip
        for outcome in ("ok", "refused", "bad", "busy", "failed"):
            self.requests.labels(outcome)
        self.passes = Gauge("mailtls_exporter_passes", "Scheduled passes completed",
                            registry=self.registry)  # fmt: skip
        self.pass_end = Gauge("mailtls_exporter_last_pass_timestamp_seconds",
                              "When the last scheduled pass ended", registry=self.registry)
        self.pass_seconds = Gauge("mailtls_exporter_last_pass_duration_seconds",
                                  "How long the last scheduled pass took", registry=self.registry)

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/probe":
            status, body = self.probe(environ)
            if not status.startswith("200"):
                return _text(start, status, body)
            return _send(start, status, body)
        if path == "/metrics":
            return _send(start, "200 OK", self.metrics())
        if path == "/":
            return _text(start, "200 OK", "mailtls exporter: /metrics, /probe?target=URL\n")
        text = tr("not found: the exporter serves /metrics and /probe", self.limits.lang)
        return _text(start, "404 Not Found", text + "\n")

    def metrics(self) -> bytes:
        if self.schedule is not None:
            self.passes.set(self.schedule.passes)
            self.pass_end.set(self.schedule.last_end)
            self.pass_seconds.set(self.schedule.last_duration)
            rendered = self.schedule.rendered
        else:
            rendered = b""
        return rendered + generate_latest(self.registry)

    def targets(self, query: str) -> tuple[list[Target], str, str]:
        """The targets of a query string, or the HTTP status and the reason to refuse it."""
        lang = self.limits.lang
        values = parse_qs(query, max_num_fields=1000).get("target", [])
        if not values:
            return [], BAD, tr("no target: give /probe?target=SCHEME://HOST[:PORT]", lang)
        if len(values) > self.limits.max_targets:
            text = tr("too many targets in one probe: {count} (at most {limit})", lang)
            return [], BAD, text.format(count=len(values), limit=self.limits.max_targets)
        out: list[Target] = []
        forced = dict(self.limits.resolve)
        for value in values:
            try:
                target = parse_target(value)
            except TargetError as exc:
                text = tr("bad target {target}: {error}", lang)
                return [], BAD, text.format(target=value, error=exc)
            if not self.allow(target):
                text = tr("target {target} is not allowed: add it to the inventory or to "
                          "--allow", lang)  # fmt: skip
                return [], FORBIDDEN, text.format(target=target.url)
            address = forced.get((target.host, target.port))
            out.append(replace(target, address=address) if address else target)
        return out, OK, ""

    def probe(self, environ: dict[str, Any]) -> tuple[str, bytes | str]:
        targets, status, problem = self.targets(environ.get("QUERY_STRING", ""))
        if status != OK:
            self.requests.labels("refused" if status == FORBIDDEN else "bad").inc()
            return status, problem + "\n"
        if not self.busy.acquire(blocking=False):
            self.requests.labels("busy").inc()
            text = tr("too many probes at once (at most {limit}); try again later",
                      self.limits.lang)
            return "503 Service Unavailable", text.format(limit=self.limits.max_probes) + "\n"
        try:
            probes = self.loop.probe(targets, _deadline(environ, self.limits.timeout))
        except Exception as exc:  # the scan engine isolates targets; this is the loop itself
            self.requests.labels("failed").inc()
            return "500 Internal Server Error", f"{type(exc).__name__}: {exc}\n"
        finally:
            self.busy.release()
        self.requests.labels("ok").inc()
        return "200 OK", render_metrics(probes)


def _deadline(environ: dict[str, Any], timeout: float) -> float:
    """--timeout, shortened to fit the scrape timeout Prometheus announces (as blackbox)."""
    announced = environ.get("HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS")
    try:
        scrape = float(announced) - 0.5 if announced else timeout
    except ValueError:
        scrape = timeout
    return max(0.5, min(timeout, scrape))


def _send(start: StartResponse, status: str, body: bytes | str) -> list[bytes]:
    data = body.encode() if isinstance(body, str) else body
    start(status, [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(data)))])
    return [data]


def _text(start: StartResponse, status: str, body: bytes | str) -> list[bytes]:
    data = body.encode() if isinstance(body, str) else body
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    if status.startswith("503"):
        headers.append(("Retry-After", "5"))
    start(status, headers)
    return [data]
