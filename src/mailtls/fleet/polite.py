"""Per-address politeness shared by every worker: Dramatiq's keyed rate limiters.

Two limiters per address, both keyed in the limiter backend (Redis across machines, the
in-process stub in single-machine mode and in unit tests):

- a concurrent limiter of ``per_address`` (1: a distributed mutex): connections at once;
- a window limiter of ``rate`` connections per ``window`` seconds. Dramatiq's window is
  counted in whole-second buckets, so that a window of 60 can let through ``rate + 1``
  connections within 60 real seconds across a bucket edge; ours counts ``window + 1``
  buckets, so that no 60-second span of real time ever holds more than ``rate``.

Nothing here sleeps: a lock or token that is not free is an answer (the caller re-queues
the job with a delay), never a blocked worker. The lock carries a TTL, so that the lock of
a killed worker frees itself. ``PolitenessLog`` appends a JSON line when a connection
starts and one when it ends.
"""

from __future__ import annotations

import bisect
import heapq
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dramatiq import rate_limits
from dramatiq.rate_limits import RateLimiterBackend, WindowRateLimiter
from dramatiq.rate_limits.backends import StubBackend

#: dramatiq's rate limiters carry no annotations: used through Any
_LIMITS: Any = rate_limits


class StrictWindowLimiter(WindowRateLimiter):
    """A window limiter whose buckets cover ``window + 1`` seconds (see the module notes)."""

    def __init__(self, backend: RateLimiterBackend, key: str, *, limit: int, window: int):
        _LIMITS.WindowRateLimiter.__init__(self, backend, key, limit=limit, window=window)
        self.window_millis = (window + 1) * 1000

    def _get_keys(self) -> list[str]:
        now = int(time.time())
        return [f"{self.key}@{now - i}" for i in range(self.window + 1)]

    def free_in(self) -> float:
        """Seconds until the oldest counted connection leaves the window (0: none counted):
        a connection counted in the bucket of second ``s`` counts until ``s + window + 1``."""
        now = time.time()
        second = int(now)
        keys = [f"{self.key}@{second - i}" for i in range(self.window + 1)]
        backend: Any = self.backend
        if hasattr(backend, "client"):  # Redis
            values = [int(v or 0) for v in backend.client.mget(keys)]
        else:  # the in-process stub
            values = [int(backend._get(k, default=0)) for k in keys]
        used = [second - i for i, v in enumerate(values) if v]
        return max(0.0, min(used) + self.window + 1 - now) if used else 0.0


def lock_ttl(timeout: float) -> float:
    """The lock TTL for a per-endpoint deadline: a job starts connections for at most
    ``2.5 x timeout + 5`` s (:meth:`Politeness.may_start`), so that a killed worker's
    addresses are free again within about four deadlines, whatever the batch size."""
    return 4 * timeout + 10


@dataclass(frozen=True)
class Politeness:
    rate: int = 2  # connections per window per address
    window: int = 60  # seconds
    per_address: int = 1  # connections at once per address
    lock_ttl: float = 120.0  # seconds a held lock outlives a killed worker
    backoff: float = 60.0  # first delay after a 421 or a timeout; doubles per attempt
    max_attempts: int = 4  # back-offs before the 421/timeout result is kept as the result

    def may_start(self, held: float, timeout: float) -> bool:
        """Whether a job that has held the lock ``held`` seconds may start one more batch of
        connections (each ends within ``timeout``): only if it ends well before the lock's
        TTL, so that the lock never expires under a live connection."""
        return held + 1.5 * timeout + 5 <= self.lock_ttl

    def backoff_delay(self, attempt: int) -> float:
        return float(self.backoff * (2 ** min(attempt, 10)))


class AddressGate:
    """The limiters of one address; :meth:`lock` and :meth:`token` never wait."""

    def __init__(self, backend: RateLimiterBackend, address: str, polite: Politeness) -> None:
        self.polite = polite
        ttl = int(polite.lock_ttl * 1000)
        self._lock: Any = _LIMITS.ConcurrentRateLimiter(
            backend, f"mailtls-fleet:conn:{address}", limit=polite.per_address, ttl=ttl
        )
        self._rate: Any = StrictWindowLimiter(
            backend, f"mailtls-fleet:rate:{address}", limit=polite.rate, window=polite.window
        )

    def lock(self) -> bool:
        return bool(self._lock._acquire())

    def unlock(self) -> None:
        self._lock._release()

    def token(self) -> bool:
        return bool(self._rate._acquire())

    def retry_after(self) -> float:
        """How long until a token of a full window is free: when its oldest connection
        leaves the window (at 2 a minute, up to a minute: one message, not sixty)."""
        return max(0.05, float(self._rate.free_in()))


def limiter_backend(redis_url: str | None) -> RateLimiterBackend:
    """The backend shared by every worker: Redis at ``redis_url``, or this process only."""
    if redis_url is None:
        return _stub()
    from dramatiq.rate_limits.backends import RedisBackend

    backend: RateLimiterBackend = _untyped(RedisBackend)(url=redis_url)
    return backend


_STUB: StubBackend | None = None
_STUB_GUARD = threading.Lock()


def _stub() -> StubBackend:
    global _STUB
    with _STUB_GUARD:
        if _STUB is None:
            _STUB = _untyped(StubBackend)()
        return _STUB


def _untyped(cls: Any) -> Any:
    return cls


class PolitenessLog:
    """Two JSON lines per connection: its start (address, port, SNI, start, deadline,
    worker pid) before it opens, and its end after it closes, paired by ``id``.

    A connection of a killed worker has a start and no end: :func:`check_log` counts it
    as open until its deadline. Lines are short and written with O_APPEND in one write,
    so that several worker processes may share the file.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path

    def _write(self, entry: dict[str, Any]) -> None:
        if not self.path:
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(entry) + "\n").encode())
        finally:
            os.close(fd)

    def start(self, address: str, port: int, sni: str, start: float, deadline: float) -> str:
        ident = uuid.uuid4().hex
        self._write({"id": ident, "address": address, "port": port, "sni": sni,
                     "start": start, "deadline": deadline, "pid": os.getpid()})  # fmt: skip
        return ident

    def end(self, ident: str, end: float) -> None:
        self._write({"id": ident, "end": end})


def read_log(path: Path) -> list[dict[str, Any]]:
    """The connections of a log, each with ``end`` (its deadline when it never ended)."""
    opened: dict[str, dict[str, Any]] = {}
    whole: list[dict[str, Any]] = []
    ends: dict[str, float] = {}
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if "address" not in entry:
            ends[entry["id"]] = entry["end"]
        elif "id" in entry:
            opened[entry["id"]] = entry
        else:
            whole.append(entry)
    for ident, entry in opened.items():
        whole.append({**entry, "end": ends.get(ident, entry["deadline"])})
    return whole


def check_log(path: Path, rate: int, window: float, per_address: int = 1) -> list[str]:
    """The politeness violations in a log: overlaps beyond ``per_address``, and more than
    ``rate`` connection starts to one address within any ``window`` seconds of real time."""
    by_address: dict[str, list[dict[str, Any]]] = {}
    for entry in read_log(path):
        by_address.setdefault(entry["address"], []).append(entry)
    problems: list[str] = []
    for address, entries in sorted(by_address.items()):
        entries.sort(key=lambda e: e["start"])
        starts = [e["start"] for e in entries]
        open_ends: list[float] = []  # a heap of the ends of connections started so far
        for i, e in enumerate(entries):
            while open_ends and open_ends[0] <= e["start"]:
                heapq.heappop(open_ends)
            heapq.heappush(open_ends, e["end"])
            if len(open_ends) > per_address:
                problems.append(f"{address}: {len(open_ends)} connections at once at "
                                f"{e['start']:.3f}")  # fmt: skip
            within = bisect.bisect_left(starts, e["start"] + window, lo=i) - i
            if within > rate:
                problems.append(
                    f"{address}: {within} connections within {window}s from {e['start']:.3f}"
                )
    return problems
