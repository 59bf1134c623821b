"""Scan many endpoints at once: probe, check, collect; the service behind ``mailtls scan``.

Limits: a global concurrency cap, a per-address cap (mail servers throttle, and a
``421`` from too many connections is not a TLS result), and a deadline per endpoint.
Results come back in the order of the targets, whatever order they finish in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .checks import CheckContext, evaluate
from .model import ScanResult, Severity, Target
from .net.probe import probe
from .verify import TrustStore


@dataclass(frozen=True)
class ScanOptions:
    store: TrustStore = field(default_factory=TrustStore.mozilla)
    timeout: float = 30.0
    concurrency: int = 50
    per_address: int = 2
    ehlo: str = "mailtls.invalid"
    warn_days: int = 30
    now: dt.datetime | None = None  # None: the real time when each endpoint is checked


async def scan(
    targets: Sequence[Target],
    options: ScanOptions,
    on_result: Callable[[ScanResult], None] | None = None,
) -> list[ScanResult]:
    """Scan every target; ``on_result`` is called as each one finishes."""
    overall = asyncio.Semaphore(max(1, options.concurrency))
    per_address: dict[str, asyncio.Semaphore] = {}

    def limiter(address: str) -> asyncio.Semaphore:
        if address not in per_address:
            per_address[address] = asyncio.Semaphore(max(1, options.per_address))
        return per_address[address]

    async def one(target: Target) -> ScanResult:
        async with overall:
            obs = await probe(target, timeout=options.timeout, ehlo=options.ehlo, limiter=limiter)
        ctx = CheckContext(
            options.store,
            options.now or dt.datetime.now(dt.UTC),
            options.warn_days,
            options.timeout,
        )
        result = evaluate(obs, ctx)
        if on_result:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(t) for t in targets)))


def run_scan(targets: Sequence[Target], options: ScanOptions) -> list[ScanResult]:
    """Synchronous wrapper for scripts and tests."""
    return asyncio.run(scan(targets, options))


def exit_status(results: Sequence[ScanResult]) -> int:
    """0 nothing above low, 1 medium/high, 2 any critical, 3 an endpoint could not be tested.

    A critical finding outranks an untested endpoint: it is the more urgent news.
    """
    worst = max((r.worst for r in results if r.worst is not None), default=Severity.INFO)
    if worst >= Severity.CRITICAL:
        return 2
    if any(not r.tested for r in results):
        return 3
    if worst >= Severity.MEDIUM:
        return 1
    return 0
