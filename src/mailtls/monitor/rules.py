"""Alert rules over history: pure functions of observations, a baseline, limits and ``now``.

Each rule returns :class:`Alert` values: a catalogue finding with its evidence in params,
and a ``key`` that names the alert's identity for the state machine in passes.py (an alert
is raised when its key appears, resolved when it goes away; only those two events are
notified). Keys: ``cert.expired``, ``cert.expires_soon:medium|high``,
``cert.changed:<new sha256>``, ``verify.regressed``, ``protocol.regressed:<protocols>``,
``monitor.unreachable``, ``cert.inconsistent`` (endpoint ``host:<name>``),
``monitor.mx_failed`` (endpoint ``domain:<name>``).

The rules read only ``ObservationRecord``/``Baseline`` (mailtls.store.records) and a
``Thresholds``; tests call them with made-up records and a pinned ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..catalog import new_finding
from ..catalog.parts.monitor import KIND_NEW_ISSUER, KIND_NEW_KEY, KIND_RENEWAL
from ..model import Finding, Severity
from ..store.records import Baseline, ObservationRecord
from .inventory import Thresholds
from .records import legacy_of

_KIND_SEVERITY = {KIND_RENEWAL: Severity.LOW, KIND_NEW_KEY: Severity.MEDIUM,
                  KIND_NEW_ISSUER: Severity.HIGH}


@dataclass(frozen=True)
class Alert:
    endpoint: str
    key: str
    finding: Finding


def _iso(when: dt.datetime | None) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds") if when else "?"


def _short(sha: str | None) -> str:
    return sha[:16] if sha else "-"


def expiry(endpoint: str, current: Sequence[ObservationRecord], limits: Thresholds,
           now: dt.datetime) -> list[Alert]:
    """cert.expired, or cert.expires_soon (high under crit_days, medium under warn_days)."""
    dated = [r for r in current if r.tested and r.not_after is not None]
    if not dated:
        return []
    worst = min(dated, key=lambda r: r.not_after or now)
    assert worst.not_after is not None
    left = worst.not_after - now
    subject, not_after = worst.subject or "?", _iso(worst.not_after)
    if left <= dt.timedelta(0):
        days = str(int(-left.total_seconds() // 86400))
        return [Alert(endpoint, "cert.expired", new_finding(
            "cert.expired", subject=subject, not_after=not_after, days=days))]
    days_left = int(left.total_seconds() // 86400)
    for level, limit, severity in (("high", limits.crit_days, Severity.HIGH),
                                   ("medium", limits.warn_days, Severity.MEDIUM)):
        if days_left < limit:
            return [Alert(endpoint, f"cert.expires_soon:{level}", new_finding(
                "cert.expires_soon", severity=severity, subject=subject,
                not_after=not_after, days=str(days_left)))]
    return []


def classify(baseline: Baseline, record: ObservationRecord) -> str:
    """How a leaf differs from the baseline's: same key, same issuer, or a new issuer."""
    if record.spki_sha256 and record.spki_sha256 == baseline.spki_sha256:
        return KIND_RENEWAL
    if record.issuer and record.issuer == baseline.issuer:
        return KIND_NEW_KEY
    return KIND_NEW_ISSUER


def changed(endpoint: str, current: Sequence[ObservationRecord], baseline: Baseline | None,
            history: Sequence[ObservationRecord] = ()) -> list[Alert]:
    """cert.changed for each leaf this pass that is not the baseline's, classified."""
    if baseline is None or baseline.leaf_sha256 is None:
        return []
    out: dict[str, Alert] = {}
    for r in current:
        if not r.tested or r.leaf_sha256 in (None, baseline.leaf_sha256):
            continue
        kind = classify(baseline, r)
        first = min((h.observed_at for h in (*history, r) if h.leaf_sha256 == r.leaf_sha256
                     and h.observed_at >= baseline.observed_at), default=r.observed_at)
        out[f"cert.changed:{r.leaf_sha256}"] = Alert(
            endpoint, f"cert.changed:{r.leaf_sha256}", new_finding(
                "cert.changed", severity=_KIND_SEVERITY[kind], endpoint=endpoint, kind=kind,
                since=_iso(first), new_sha256=r.leaf_sha256 or "-",
                new_issuer=r.issuer or "?", old_sha256=baseline.leaf_sha256,
                old_issuer=baseline.issuer or "?", new_spki=r.spki_sha256 or "-",
                old_spki=baseline.spki_sha256 or "-", address=r.address or "-"))
    return list(out.values())


def verify_regressed(endpoint: str, current: Sequence[ObservationRecord],
                     baseline: Baseline | None) -> list[Alert]:
    """verify.regressed: the baseline verified, an observation of this pass does not."""
    if baseline is None or not baseline.verified:
        return []
    failing = [r for r in current if r.tested and not r.verified]
    if not failing:
        return []
    causes = sorted({f for r in failing for f, sev in r.findings
                     if sev >= Severity.MEDIUM and (f.startswith(("cert.", "client.")))})
    return [Alert(endpoint, "verify.regressed", new_finding(
        "verify.regressed", endpoint=endpoint, since=_iso(baseline.observed_at),
        cause=", ".join(causes) or "?",
        addresses=", ".join(sorted({r.address or "-" for r in failing}))))]


def protocol_regressed(endpoint: str, current: Sequence[ObservationRecord],
                       baseline: Baseline | None) -> list[Alert]:
    """protocol.regressed: a legacy protocol the baseline did not show."""
    if baseline is None:
        return []
    new = set().union(*(legacy_of(r) for r in current if r.tested)) - set(baseline.legacy)
    if not new:
        return []
    protocols = ", ".join(sorted(new))
    return [Alert(endpoint, f"protocol.regressed:{protocols}", new_finding(
        "protocol.regressed", endpoint=endpoint, protocols=protocols,
        since=_iso(baseline.observed_at)))]


def unreachable(endpoint: str, history: Sequence[ObservationRecord],
                limits: Thresholds) -> list[Alert]:
    """monitor.unreachable after ``unreachable_after`` passes in a row without a test.

    ``history`` is newest first; a pass counts as failed when none of its observations of
    this endpoint (one per address) was tested.
    """
    passes: list[list[ObservationRecord]] = []
    for r in history:
        if passes and passes[-1][0].pass_id == r.pass_id:
            passes[-1].append(r)
        else:
            passes.append([r])
    streak: list[list[ObservationRecord]] = []
    for group in passes:
        if any(r.tested for r in group):
            break
        streak.append(group)
    if len(streak) < limits.unreachable_after:
        return []
    newest, oldest = streak[0][0], streak[-1][-1]
    return [Alert(endpoint, "monitor.unreachable", new_finding(
        "monitor.unreachable", endpoint=endpoint, passes=str(len(streak)),
        since=_iso(oldest.observed_at), error=newest.error_id or "?"))]


def inconsistent(current: Mapping[str, Sequence[ObservationRecord]]) -> list[Alert]:
    """cert.inconsistent per host whose addresses or ports present different leaves."""
    by_host: dict[str, dict[str, list[str]]] = {}
    for endpoint, records in current.items():
        for r in records:
            if r.tested and r.leaf_sha256:
                where = f"{endpoint}@{r.address or '-'}"
                by_host.setdefault(r.host, {}).setdefault(r.leaf_sha256, []).append(where)
    out = []
    for host, leaves in sorted(by_host.items()):
        if len(leaves) < 2:
            continue
        evidence = "; ".join(f"{_short(sha)} on {', '.join(sorted(places))}"
                             for sha, places in sorted(leaves.items()))
        out.append(Alert(f"host:{host}", "cert.inconsistent",
                         new_finding("cert.inconsistent", host=host, evidence=evidence)))
    return out


MX_FAILED = "monitor.mx_failed"


def mx_failed(failed: Mapping[str, str]) -> list[Alert]:
    """monitor.mx_failed per [[domain]] whose MX hosts could not be looked up this pass."""
    return [Alert(f"domain:{domain}", MX_FAILED,
                  new_finding("monitor.mx_failed", domain=domain, reason=reason))
            for domain, reason in sorted(failed.items())]


def endpoint_alerts(endpoint: str, current: Sequence[ObservationRecord],
                    history: Sequence[ObservationRecord], baseline: Baseline | None,
                    limits: Thresholds, now: dt.datetime) -> list[Alert]:
    """Every rule but cert.inconsistent (which looks across endpoints) for one endpoint."""
    return [*expiry(endpoint, current, limits, now),
            *changed(endpoint, current, baseline, history),
            *verify_regressed(endpoint, current, baseline),
            *protocol_regressed(endpoint, current, baseline),
            *unreachable(endpoint, history, limits)]
