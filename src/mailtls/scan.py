"""Scan many endpoints at once: probe, check, collect; the service behind ``mailtls scan``.

Limits: a global concurrency cap, a per-address cap (mail servers throttle, and a
``421`` from too many connections is not a TLS result), and a deadline per endpoint.
Results come back in the order of the targets, whatever order they finish in.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .checks import CheckContext, evaluate
from .failures import CHECKING, DEEP_SCANNING, GRADING, PROBING, failed_result, is_internal
from .model import DeepObservation, GradeInfo, Observation, ScanResult, Severity, Target
from .net.probe import probe
from .verify import TrustStore

#: after these the endpoint never reached its TLS stage: nothing for --deep to look at
NO_DEEP = frozenset({"conn.refused", "conn.timeout", "conn.rate_limited", "conn.resolve_failed",
                     "conn.protocol_error", "conn.closed", "starttls.refused",
                     "conn.wrong_scheme.tls", "conn.wrong_scheme.plain"})  # fmt: skip


@dataclass(frozen=True)
class ScanOptions:
    store: TrustStore = field(default_factory=TrustStore.mozilla)
    timeout: float = 30.0
    concurrency: int = 50
    per_address: int = 2
    ehlo: str = "mailtls.invalid"
    warn_days: int = 30
    now: dt.datetime | None = None  # None: the real time when each endpoint is checked
    deep: bool = False  # scan --deep: protocols, suites, groups, vulnerabilities, mail checks
    gentle: bool = False  # --deep one connection at a time, with pauses
    policy: str | None = None  # grade against this policy (mozilla-intermediate with --deep)


class ScanInterrupted(Exception):
    """The scan was cancelled (Ctrl-C, SIGTERM): what finished, in target order, and what not."""

    def __init__(self, finished: list[ScanResult], unfinished: list[Target]) -> None:
        super().__init__(f"interrupted: {len(finished)} finished, {len(unfinished)} not")
        self.finished = finished
        self.unfinished = unfinished


async def scan(
    targets: Sequence[Target],
    options: ScanOptions,
    on_result: Callable[[ScanResult], None] | None = None,
) -> list[ScanResult]:
    """Scan every target; ``on_result`` is called as each one finishes.

    Whatever the work on one target raises becomes that target's ``scan.internal_error``
    (mailtls.failures); the others are scanned as usual. Cancelled, the scan cancels what
    runs, starts nothing new and raises ScanInterrupted with the finished results.
    """
    overall = asyncio.Semaphore(max(1, options.concurrency))
    per_address: dict[str, asyncio.Semaphore] = {}

    def limiter(address: str) -> asyncio.Semaphore:
        if address not in per_address:
            per_address[address] = asyncio.Semaphore(max(1, options.per_address))
        return per_address[address]

    async def one(target: Target) -> ScanResult:
        result = await scan_one(target, options, overall, limiter)
        if on_result:
            with contextlib.suppress(Exception):  # a progress display must not lose results
                on_result(result)
        return result

    tasks = [asyncio.ensure_future(one(t)) for t in targets]
    try:
        return list(await asyncio.gather(*tasks))
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        done = [not t.cancelled() and t.exception() is None for t in tasks]
        finished = [t.result() for t, ok in zip(tasks, done, strict=True) if ok]
        unfinished = [tg for tg, ok in zip(targets, done, strict=True) if not ok]
        raise ScanInterrupted(finished, unfinished) from None


async def scan_one(
    target: Target,
    options: ScanOptions,
    overall: asyncio.Semaphore,
    limiter: Callable[[str], asyncio.Semaphore],
) -> ScanResult:
    """One target, probe to grade; never raises but CancelledError (the isolation boundary)."""
    phase, base = PROBING, None
    try:
        async with overall:
            obs = await probe(target, timeout=options.timeout, ehlo=options.ehlo, limiter=limiter)
            deep: DeepObservation | None = None
            deep_error: Exception | None = None
            if options.deep:
                try:
                    deep = await deep_scan(obs, options, limiter)
                except Exception as exc:  # the plain result still stands
                    deep_error = exc
        phase = CHECKING
        ctx = CheckContext(
            options.store,
            options.now or dt.datetime.now(dt.UTC),
            options.warn_days,
            options.timeout,
        )
        base = evaluate(obs, ctx, deep)
        if deep_error is not None:
            return failed_result(target, deep_error, DEEP_SCANNING, base)
        phase = GRADING
        return with_grade(base, options)
    except Exception as exc:
        return failed_result(target, exc, phase, base)


async def deep_scan(
    obs: Observation, options: ScanOptions, limiter: Callable[[str], asyncio.Semaphore]
) -> DeepObservation | None:
    """The deep probes of an endpoint whose TLS stage the plain probe reached (a failed
    handshake included: our own hellos may still get answers), on the same address."""
    if obs.error_id in NO_DEEP or obs.starttls_offered is False:
        return None
    from .net.deep import Budget, deep_probe  # only --deep pays for the import

    target = obs.target
    if obs.address and not target.address:
        target = replace(target, address=obs.address)
    per_connection = min(options.timeout, 10.0)
    budget = Budget(
        timeout=per_connection, read_timeout=min(per_connection, 5.0), gentle=options.gentle
    )
    # already=1: the plain probe's connection, so that connections_used is what the server saw
    return await deep_probe(target, budget=budget, limiter=limiter, ehlo=options.ehlo, already=1)


def with_grade(result: ScanResult, options: ScanOptions) -> ScanResult:
    """The result with its grade, when --deep or --policy asks for one."""
    if not (options.deep or options.policy):
        return result
    try:
        from .policy import DEFAULT_POLICY, grade
    except ImportError:  # pragma: no cover - the policy module ships with mailtls
        return result
    g = grade(result, options.policy or DEFAULT_POLICY)
    return replace(result, grade=GradeInfo(g.letter, g.policy, g.role, tuple(g.reasons)))


def run_scan(targets: Sequence[Target], options: ScanOptions) -> list[ScanResult]:
    """Synchronous wrapper for scripts and tests."""
    return asyncio.run(scan(targets, options))


def exit_status(results: Sequence[ScanResult]) -> int:
    """0 nothing above low, 1 medium/high, 2 any critical, 3 an endpoint could not be tested.

    A critical finding outranks an untested endpoint: it is the more urgent news. An
    internal error (``scan.internal_error``) counts as "not tested", whatever its severity.
    """
    worst = max(
        (f.severity for r in results for f in r.findings if not is_internal(f)),
        default=Severity.INFO,
    )
    if worst >= Severity.CRITICAL:
        return 2
    if any(not r.tested for r in results):
        return 3
    if worst >= Severity.MEDIUM:
        return 1
    return 0
