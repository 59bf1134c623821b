"""The quarterly audit: a :class:`Report` from the monitor's history over a period.

The caller reads the store (``mailtls.store``, public API) and hands over, per endpoint,
its observations oldest first: the last one before the period (the reference) and those
in it. From them come the fleet's state (the latest observation of each endpoint and
address) and what changed: renewals and new issuers (classified as the monitor does),
verification lost or restored, findings that appeared or went away, an endpoint that
stopped answering. History keeps finding ids without params, so the params the page needs
are filled from the observation itself (subject, issuer, dates, host).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..catalog import new_finding
from ..catalog.parts.monitor import KIND_NEW_ISSUER, KIND_NEW_KEY, KIND_RENEWAL
from ..model import Finding, Severity
from ..store.records import Baseline, ObservationRecord
from .report_data import Cert, Change, Report, Row, Shown

#: the kinds of change that carry no catalogue finding (UI msgids of the report part)
KIND_RESTORED = "verification restored"
KIND_NEW_FINDING = "new finding"
KIND_RESOLVED = "finding resolved"
KIND_UNREACHABLE = "stopped answering"
KIND_BACK = "answering again"
KIND_FIRST = "first seen"
KIND_BASELINE = "baseline accepted"

_CHANGE_SEVERITY = {KIND_RENEWAL: Severity.LOW, KIND_NEW_KEY: Severity.MEDIUM,
                    KIND_NEW_ISSUER: Severity.HIGH}


@dataclass(frozen=True)
class Series:
    """One endpoint's observations, oldest first (the first may precede the period)."""

    endpoint: str
    records: Sequence[ObservationRecord]
    baselines: Sequence[Baseline] = ()


def _iso(when: dt.datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "?"


def _params(r: ObservationRecord, as_of: dt.datetime) -> dict[str, str]:
    out = {"host": r.host, "endpoint": r.endpoint, "subject": r.subject or "?",
           "issuer": r.issuer or "?", "sha256": r.leaf_sha256 or "?"}
    if r.not_after is not None:
        out["not_after"] = _iso(r.not_after)
        out["days"] = str(abs((r.not_after - as_of).days))
    if r.not_before is not None:
        out["not_before"] = _iso(r.not_before)
    return out


def row_of(r: ObservationRecord, as_of: dt.datetime) -> Row:
    params = _params(r, as_of)
    cert = (Cert(r.subject or "", r.issuer or "", r.not_after, r.leaf_sha256)
            if r.leaf_sha256 or r.not_after else None)
    return Row(r.endpoint, r.scheme, r.host, r.port, r.address, r.tested, r.verified,
               r.tls_version, r.cipher, cert, None,
               tuple(Shown(Finding(fid, sev, params)) for fid, sev in r.findings),
               r.observed_at)


def _kind(old: ObservationRecord, new: ObservationRecord) -> str:
    """As ``mailtls.monitor.rules.classify``: same key, same issuer, or a new issuer."""
    if new.spki_sha256 and new.spki_sha256 == old.spki_sha256:
        return KIND_RENEWAL
    if new.issuer and new.issuer == old.issuer:
        return KIND_NEW_KEY
    return KIND_NEW_ISSUER


def _cert_change(old: ObservationRecord, new: ObservationRecord) -> Change:
    kind = _kind(old, new)
    finding = new_finding(
        "cert.changed", severity=_CHANGE_SEVERITY[kind], endpoint=new.endpoint, kind=kind,
        since=_iso(new.observed_at), new_sha256=new.leaf_sha256 or "-",
        new_issuer=new.issuer or "?", old_sha256=old.leaf_sha256 or "-",
        old_issuer=old.issuer or "?")
    return Change(new.observed_at, new.endpoint, kind, finding)


def _verify_change(old: ObservationRecord, new: ObservationRecord) -> Change | None:
    if old.verified and not new.verified:
        cause = sorted(f for f, sev in new.findings if sev >= Severity.MEDIUM)
        finding = new_finding("verify.regressed", endpoint=new.endpoint,
                              since=_iso(old.observed_at), cause=", ".join(cause) or "?")
        return Change(new.observed_at, new.endpoint, "verify.regressed", finding)
    if new.verified and not old.verified:
        return Change(new.observed_at, new.endpoint, KIND_RESTORED)
    return None


def _finding_changes(old: ObservationRecord, new: ObservationRecord) -> list[Change]:
    before = {f: s for f, s in old.findings if s > Severity.LOW}
    after = {f: s for f, s in new.findings if s > Severity.LOW}
    out = [Change(new.observed_at, new.endpoint, KIND_NEW_FINDING,
                  Finding(f, after[f], _params(new, new.observed_at)))
           for f in sorted(after.keys() - before.keys())]
    out += [Change(new.observed_at, new.endpoint, KIND_RESOLVED,
                   Finding(f, before[f], _params(old, old.observed_at)))
            for f in sorted(before.keys() - after.keys())]
    return out


def pair_changes(old: ObservationRecord, new: ObservationRecord) -> list[Change]:
    """What differs from one observation of an endpoint and address to the next."""
    if old.tested and not new.tested:
        return [Change(new.observed_at, new.endpoint, KIND_UNREACHABLE, note=new.error_id or "")]
    if new.tested and not old.tested:
        return [Change(new.observed_at, new.endpoint, KIND_BACK)]
    if not new.tested:
        return []
    out: list[Change] = []
    if new.leaf_sha256 and old.leaf_sha256 and new.leaf_sha256 != old.leaf_sha256:
        out.append(_cert_change(old, new))
    verify = _verify_change(old, new)
    if verify is not None:
        out.append(verify)
    return out + _finding_changes(old, new)


def series_changes(series: Series, since: dt.datetime) -> list[Change]:
    """The changes of one endpoint within the period, per address."""
    last: dict[str | None, ObservationRecord] = {}
    out: list[Change] = []
    for r in series.records:
        old = last.get(r.address)
        last[r.address] = r
        if r.observed_at < since:
            continue
        if old is None:
            out.append(Change(r.observed_at, r.endpoint, KIND_FIRST, note=r.address or ""))
        else:
            out += pair_changes(old, r)
    for b in series.baselines:
        if b.accepted_at >= since and b.accepted_by:
            out.append(Change(b.accepted_at, b.endpoint, KIND_BASELINE,
                              note=f"{b.accepted_by}: {b.reason}"))
    return out


def current_rows(series: Series, until: dt.datetime, as_of: dt.datetime) -> list[Row]:
    latest: dict[str | None, ObservationRecord] = {}
    for r in series.records:
        if r.observed_at <= until:
            latest[r.address] = r
    return [row_of(r, as_of) for r in latest.values()]


def from_history(all_series: Iterable[Series], since: dt.datetime, until: dt.datetime,
                 source: str, passes: int = 0) -> Report:
    """The report of the period ``since`` .. ``until`` (the verdicts as of ``until``)."""
    rows: list[Row] = []
    changes: list[Change] = []
    count = 0
    for whole in all_series:
        series = Series(whole.endpoint, [r for r in whole.records if r.observed_at <= until],
                        [b for b in whole.baselines if b.accepted_at <= until])
        inside = [r for r in series.records if r.observed_at >= since]
        count += len(inside)
        if not inside:
            continue
        rows += current_rows(series, until, until)
        changes += series_changes(series, since)
    changes.sort(key=lambda c: (c.at or since, c.endpoint))
    return Report(source, dt.datetime.now(dt.UTC), until, tuple(rows), since=since,
                  changes=tuple(changes), passes=passes, observations=count)
