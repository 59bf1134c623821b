"""One monitoring pass: expand the inventory, scan, record, judge over history, diff alerts.

    report = await run_pass(inventory, store, now=None)
    report.results / report.records / report.alerts (open now) / report.raised / report.resolved

A pass is ``mailtls.scan.scan()`` with memory: the same engine, options and findings, one
``scan()`` per group of entries that share a trust store. Each finished endpoint is
committed at once (see mailtls.store.history); the alert state changes of the pass are one
transaction at its end. Notifications are the caller's (notify.py): only ``raised`` and
``resolved``, never every pass.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Finding, ScanResult, Target
from ..scan import ScanInterrupted, ScanOptions, scan
from ..store import Baseline, HistoryStore, ObservationRecord, StoredAlert
from ..verify import TrustStore
from .domains import DomainVerdict, judge_domains, record_verdicts, verdict_alerts
from .inventory import Endpoint, Inventory, Thresholds
from .records import check_pins, legacy_of, record_of
from .rules import Alert, endpoint_alerts, inconsistent, mx_failed

Clock = Callable[[], dt.datetime]


@dataclass
class PassReport:
    pass_id: int
    started: dt.datetime
    results: list[ScanResult] = field(default_factory=list)
    records: list[ObservationRecord] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)  # every alert open after the pass
    raised: list[Alert] = field(default_factory=list)
    resolved: list[StoredAlert] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # MX look-ups that failed (to print)
    mx_failed: dict[str, str] = field(default_factory=dict)  # domain -> why (monitor.mx_failed)
    domains: list[DomainVerdict] = field(default_factory=list)  # authenticated = true ones
    interrupted: bool = False


@dataclass
class Expansion:
    """The endpoints of a pass; for each [[domain]] whose MX look-up failed, the reason."""

    endpoints: list[Endpoint]
    errors: list[str]  # FILE:LINE: what, as printed
    failed: dict[str, str]  # domain name -> reason


def _real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def expand(inventory: Inventory) -> tuple[list[Endpoint], list[str]]:
    """The endpoints and, for each [[domain]], its MX hosts on every address (looked up now)."""
    found = await lookup(inventory)
    return found.endpoints, found.errors


async def lookup(inventory: Inventory) -> Expansion:
    """As ``expand``, with the domains whose look-up failed (wholly or for an MX host)."""
    endpoints = list(inventory.endpoints)
    errors: list[str] = []
    failed: dict[str, str] = {}
    if inventory.domains:
        from ..net.mx import make_resolver, mx_targets

        resolver = make_resolver(inventory.nameservers, timeout=min(inventory.timeout, 10.0))
        answers = await asyncio.gather(*(mx_targets(d.name, resolver, d.scheme, d.port)
                                         for d in inventory.domains))
        for domain, answer in zip(inventory.domains, answers, strict=True):
            errors += [f"{inventory.path}:{domain.line}: {e}" for e in answer.errors]
            if answer.errors:
                reasons = [e.split(": ", 1)[-1] for e in answer.errors]  # without "--mx D: "
                failed[domain.name] = "; ".join(filter(None, (failed.get(domain.name),
                                                              *reasons)))
            endpoints += [Endpoint(t, domain.ca_files, (), domain.tags, domain.limits,
                                   domain.line) for t in answer.targets]
    seen: set[Target] = set()
    unique = []
    for e in endpoints:
        if e.target not in seen:
            seen.add(e.target)
            unique.append(e)
    return Expansion(unique, errors, failed)


def _groups(inventory: Inventory, endpoints: Sequence[Endpoint]
            ) -> dict[tuple[tuple[Path, ...], int], list[Endpoint]]:
    groups: dict[tuple[tuple[Path, ...], int], list[Endpoint]] = {}
    for e in endpoints:
        groups.setdefault((e.ca_files, e.limits.warn_days), []).append(e)
    return groups


async def run_pass(inventory: Inventory, store: HistoryStore, *, now: dt.datetime | None = None,
                   clock: Clock = _real_now) -> PassReport:
    """One pass; ``now`` pins the time of the checks and rules (tests), else ``clock()``."""
    started = now or clock()
    pass_id = store.start_pass(started, f"{socket.gethostname()} pid {os.getpid()}")
    report = PassReport(pass_id, started)
    found = await lookup(inventory)
    endpoints, report.errors, report.mx_failed = found.endpoints, found.errors, found.failed
    by_target = {e.target: e for e in endpoints}

    def on_result(result: ScanResult) -> None:
        entry = by_target.get(result.target)
        result = check_pins(result, entry.pin_sha256 if entry else ())
        record = record_of(result, now or clock())
        store.add_observation(pass_id, record)  # committed: survives a kill after this
        report.results.append(result)
        report.records.append(record)

    groups = _groups(inventory, endpoints)
    stores = {ca: TrustStore.build(inventory.trust, list(ca)) for ca, _ in groups}
    verdicts = asyncio.ensure_future(judge_domains(inventory, now))  # monitor/domains.py
    try:
        await asyncio.gather(*(
            scan([e.target for e in members],
                 ScanOptions(store=stores[ca], timeout=inventory.timeout,
                             concurrency=inventory.concurrency, warn_days=warn, now=now),
                 on_result)
            for (ca, warn), members in groups.items()))
        report.domains = await verdicts
    except (ScanInterrupted, asyncio.CancelledError):
        verdicts.cancel()
        # stopped (SIGTERM): what finished is committed; no verdict on a partial pass
        report.interrupted = True
        store.finish_pass(pass_id, now or clock(), len(report.records))
        return report
    record_verdicts(store, pass_id, report.domains, now or clock())
    judge(store, report, endpoints, now or clock())
    store.prune((now or clock()) - dt.timedelta(days=inventory.retention_days))
    store.finish_pass(pass_id, now or clock(), len(report.records))
    return report


def judge(store: HistoryStore, report: PassReport, endpoints: Sequence[Endpoint],
          now: dt.datetime) -> None:
    """Alerts over the history after this pass's records; the state diff, one transaction."""
    limits: dict[str, Thresholds] = {}
    for e in endpoints:
        limits.setdefault(e.key, e.limits)
    current: dict[str, list[ObservationRecord]] = {k: [] for k in limits}
    for r in report.records:
        current.setdefault(r.endpoint, []).append(r)
    depth = max((t.unreachable_after for t in limits.values()), default=3) * 4 + 4
    history = store.recent(list(limits), depth)
    baselines = store.baselines(list(limits))
    first = [first_baseline(records, now) for key, records in current.items()
             if key not in baselines and any(r.tested and r.leaf_sha256 for r in records)]
    store.set_baselines(first)  # one transaction for all (a first pass has 2,000 of them)
    baselines.update((b.endpoint, b) for b in first)
    alerts: list[Alert] = []
    for key, records in current.items():
        alerts += endpoint_alerts(key, records, history.get(key, []), baselines.get(key),
                                  limits.get(key, Thresholds()), now)
    alerts += inconsistent(current)
    alerts += verdict_alerts(report.domains, store.open_alerts()) if report.domains else []
    alerts += mx_failed(report.mx_failed)
    report.alerts = alerts
    open_before = store.open_alerts()
    untested = {k for k, rs in current.items() if not any(r.tested for r in rs)}
    wanted = {(a.endpoint, a.key) for a in alerts}
    report.raised = [a for a in alerts if (a.endpoint, a.key) not in open_before]
    report.resolved = [
        old for (endpoint, key), old in open_before.items()
        if (endpoint, key) not in wanted
        and not (endpoint in untested and key != "monitor.unreachable")  # nothing to judge by
        # a failed MX look-up hides that domain's hosts: keep the alerts of absent endpoints
        # (not the domains' own alerts, judged apart: monitor.mx_failed, domain verdicts)
        and not (report.mx_failed and endpoint not in current
                 and not endpoint.startswith("domain:"))
    ]
    gone = {(a.endpoint, a.key) for a in report.resolved}
    kept = [old for pair, old in open_before.items() if pair not in wanted and pair not in gone]
    report.alerts += [Alert(a.endpoint, a.key, _finding(a)) for a in kept]
    store.apply_alerts([stored(a, now) for a in report.raised],
                       [(a.endpoint, a.key) for a in report.resolved], now)


def first_baseline(records: Sequence[ObservationRecord], now: dt.datetime) -> Baseline:
    first = next(r for r in records if r.tested and r.leaf_sha256)
    return baseline_of(first, now, "mailtls", "first observation")


def baseline_of(record: ObservationRecord, at: dt.datetime, who: str, why: str) -> Baseline:
    return Baseline(record.endpoint, record.leaf_sha256, record.spki_sha256, record.issuer,
                    record.verified, tuple(sorted(legacy_of(record))), record.observed_at,
                    at, who, why)


def stored(alert: Alert, at: dt.datetime) -> StoredAlert:
    f = alert.finding
    return StoredAlert(alert.endpoint, alert.key, f.id, f.severity, f.params, at)


def _finding(alert: StoredAlert) -> Finding:
    return Finding(alert.finding_id, alert.severity, alert.params)


def accept(store: HistoryStore, endpoint: str, who: str, why: str,
           now: dt.datetime) -> Baseline | None:
    """Make the endpoint's newest tested observation its baseline; None if there is none."""
    latest = next((r for r in store.timeline(endpoint, 50) if r.tested and r.leaf_sha256),
                  None)
    if latest is None:
        return None
    baseline = baseline_of(latest, now, who, why)
    store.set_baseline(baseline)
    return baseline
