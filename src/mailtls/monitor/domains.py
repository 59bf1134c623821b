"""The verdict of ``mailtls domain`` in a monitoring pass (``[[domain]] authenticated = true``).

    verdicts = await judge_domains(inventory, now)      # mailtls.domain.run.check_domain each
    record_verdicts(store, pass_id, verdicts, at)       # history series "domain:NAME"
    alerts = verdict_alerts(verdicts, store.open_alerts())

Each opted-in domain is judged by mailtls.domain (the same function as ``mailtls domain``:
DNSSEC from the entry's ``trust_anchor`` or the root's, through the first of ``[scan]
nameservers``, MX hosts on the entry's ``port``). The verdict is kept in the history as an
observation of the series ``domain:NAME`` (scheme ``domain``; ``verified`` is "authenticated";
its findings are the report's, the ``domain.<verdict>`` one first), so no schema change.

``domain.verdict_regressed`` (key of the same name, endpoint ``domain:NAME``) is raised when
the previous recorded verdict was ``authenticated`` and this one is less; it stays open (one
notification) while the domain stays below, and resolves when it is authenticated again. A
domain that could not be judged (its MX look-up failed) keeps its open alert.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..catalog import new_finding
from ..domain.dnssec import INDETERMINATE, ROOT_ANCHORS, AnchorError, parse_anchors
from ..domain.evaluate import AUTHENTICATED, DomainReport
from ..domain.run import DomainOptions, check_domain
from ..errors import TargetError
from ..model import Finding
from ..net.dns import Server, parse_server, system_server
from ..scan import ScanOptions
from ..store import HistoryStore, ObservationRecord, StoredAlert
from ..verify import TrustStore
from .inventory import Domain, Inventory
from .rules import Alert

PREFIX = "domain:"
REGRESSED = "domain.verdict_regressed"
VERDICT_IDS = {"domain.authenticated": "authenticated", "domain.partly": "partly",
               "domain.opportunistic": "opportunistic", "domain.broken": "broken"}  # fmt: skip


@dataclass
class DomainVerdict:
    """One opted-in domain at this pass: its report, or why it could not be judged."""

    domain: Domain
    report: DomainReport | None = None
    error: str | None = None
    previous: str | None = None  # the verdict recorded at the pass before (filled on record)

    @property
    def series(self) -> str:
        return PREFIX + self.domain.name

    @property
    def verdict(self) -> str | None:
        return self.report.verdict if self.report is not None and not self.error else None


def _server(inventory: Inventory) -> Server:
    first = inventory.nameservers[0] if inventory.nameservers else None
    return parse_server(first, "[scan] nameservers") if first else system_server()


def _anchors(d: Domain) -> list:  # type: ignore[type-arg]
    if d.trust_anchor is None:
        return parse_anchors(ROOT_ANCHORS, "root anchors")
    try:
        text = d.trust_anchor.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorError(f"trust_anchor {d.trust_anchor}: {exc}") from None
    return parse_anchors(text, f"trust_anchor {d.trust_anchor}")


async def judge_one(inventory: Inventory, d: Domain, now: dt.datetime | None) -> DomainVerdict:
    """The domain's verdict; every failure is this domain's ``error``, never another's."""
    try:
        when = now or dt.datetime.now(dt.UTC)
        store = TrustStore.build(inventory.trust, list(d.ca_files))
        options = DomainOptions(
            server=_server(inventory), anchors=_anchors(d),
            scan=ScanOptions(store=store, timeout=inventory.timeout, now=now),
            mx_port=d.port, now=when, timeout=min(inventory.timeout, 10.0))  # fmt: skip
        report = await check_domain(d.name, options)
    except (AnchorError, TargetError, OSError, ValueError) as exc:
        return DomainVerdict(d, error=str(exc))
    if report.mx_dnssec == INDETERMINATE:
        reasons = [f.params.get("reason", "") for f in report.findings
                   if f.id == "dnssec.lookup_failed"]  # fmt: skip
        return DomainVerdict(d, report, "MX look-up failed: " + "; ".join(filter(None, reasons)))
    return DomainVerdict(d, report)


async def judge_domains(inventory: Inventory, now: dt.datetime | None = None
                        ) -> list[DomainVerdict]:  # fmt: skip
    """Every ``authenticated = true`` domain, concurrently."""
    chosen = [d for d in inventory.domains if d.authenticated]
    return list(await asyncio.gather(*(judge_one(inventory, d, now) for d in chosen)))


def verdict_of(record: ObservationRecord) -> str | None:
    return next((VERDICT_IDS[f] for f, _ in record.findings if f in VERDICT_IDS), None)


def record_of_verdict(v: DomainVerdict, at: dt.datetime) -> ObservationRecord:
    found = tuple((f.id, f.severity) for f in v.report.all_findings) if v.report else ()
    if v.verdict is None:  # not judged: keep the look-up's findings, not a verdict
        found = tuple(f for f in found if f[0] not in VERDICT_IDS)
    return ObservationRecord(v.series, "domain", v.domain.name, v.domain.port, None, at,
                             tested=v.verdict is not None, verified=v.verdict == AUTHENTICATED,
                             error_id=None if v.verdict else "dnssec.lookup_failed",
                             findings=found)  # fmt: skip


def record_verdicts(store: HistoryStore, pass_id: int, verdicts: Sequence[DomainVerdict],
                    at: dt.datetime) -> list[ObservationRecord]:  # fmt: skip
    """Read each domain's previous judged verdict, then commit this pass's."""
    if not verdicts:
        return []
    history = store.recent([v.series for v in verdicts], 8)
    for v in verdicts:
        judged = [verdict_of(r) for r in history.get(v.series, []) if r.tested]
        v.previous = next((j for j in judged if j), None)
    records = [record_of_verdict(v, at) for v in verdicts]
    store.add_observations(pass_id, records)
    return records


def verdict_alerts(verdicts: Sequence[DomainVerdict],
                   open_before: Mapping[tuple[str, str], StoredAlert]) -> list[Alert]:
    """domain.verdict_regressed per domain that fell from authenticated and is not back."""
    alerts = []
    for v in verdicts:
        is_open = (v.series, REGRESSED) in open_before
        if v.verdict is None:
            if is_open:  # not judged: nothing to resolve it by
                old = open_before[(v.series, REGRESSED)]
                kept = Finding(REGRESSED, old.severity, old.params)
                alerts.append(Alert(v.series, REGRESSED, kept))
            continue
        if v.verdict == AUTHENTICATED or not (is_open or v.previous == AUTHENTICATED):
            continue
        alerts.append(Alert(v.series, REGRESSED,
                            new_finding(REGRESSED, domain=v.domain.name, verdict=v.verdict)))
    return alerts
