"""Zabbix: low-level discovery rows and trapper item values, as pure data (no I/O here).

``mailtls zabbix discovery`` prints :func:`discovery_json`; ``mailtls zabbix send`` sends it
as the value of the trapper discovery rule ``mailtls.discovery``, then :func:`item_values`
for every endpoint (mailtls.cli.zabbix does the sending, through zabbix_utils). The
template contrib/zabbix/mailtls_tls.yaml creates the items from the discovered rows.

One discovery row per endpoint (its URL, as the monitor's history keys it). The macros:

==============  ===================================================================
{#TARGET}       the endpoint URL, ``smtp://mx.example.org:25``: the key parameter
{#SCHEME}       smtp submission smtps imap imaps pop3 pop3s sieve
{#HOST}         the host name verified (or the address)
{#PORT}         the port
{#ADDRESS}      the forced address (``resolve``), empty when DNS decides
{#WARN_DAYS}    the entry's ``warn_days`` (30 by default): the first expiry trigger
{#CRIT_DAYS}    the entry's ``crit_days`` (14 by default): the second expiry trigger
{#TAGS}         the entry's tags, comma-separated
==============  ===================================================================

Item keys (``T`` is the quoted URL; values of one endpoint aggregate its addresses):

==================================  ================================================
mailtls.tested[T]                   1 when some address was tested, else 0
mailtls.unreachable[T]              1 while the monitor's ``monitor.unreachable`` is open
mailtls.days_left[T]                days until the soonest notAfter (negative: expired)
mailtls.not_after[T]                that notAfter, Unix seconds
mailtls.verified[T]                 1 when every tested address verified (path, dates,
                                    name, pins), else 0 (no TLS counts as not verified)
mailtls.changed[T]                  0 unchanged, 1 renewal with the same key, 2 new key
                                    from the same issuer, 3 new issuer: the open
                                    ``cert.changed`` alert (until ``monitor accept``)
mailtls.issuer[T], mailtls.subject[T], mailtls.sha256[T], mailtls.tls_version[T]
mailtls.duration[T]                 seconds the slowest address took
mailtls.findings[T,SEVERITY]        distinct findings of that severity (all five sent)
==================================  ================================================

A value that the endpoint's pass did not observe (no certificate: no dates, no issuer) is
not sent, so Zabbix keeps its last one and ``nodata()`` can tell.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..catalog.parts.monitor import KIND_NEW_ISSUER, KIND_NEW_KEY, KIND_RENEWAL
from ..model import Finding, Severity
from ..store.records import ObservationRecord

DISCOVERY_KEY = "mailtls.discovery"
CHANGE_LEVELS = {KIND_RENEWAL: 1, KIND_NEW_KEY: 2, KIND_NEW_ISSUER: 3}
SEVERITIES = tuple(s.label for s in sorted(Severity, reverse=True))


@dataclass(frozen=True)
class Discovered:
    """One endpoint as discovery announces it."""

    target: str  # the URL
    scheme: str
    host: str
    port: int
    address: str | None = None
    warn_days: int = 30
    crit_days: int = 14
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Value:
    """One trapper value: the full item key and its text."""

    key: str
    value: str


def discovery_rows(endpoints: Iterable[Discovered]) -> list[dict[str, str]]:
    """The LLD rows (Zabbix 4.2+ format: a plain JSON array of macro objects)."""
    return [{
        "{#TARGET}": e.target, "{#SCHEME}": e.scheme, "{#HOST}": e.host,
        "{#PORT}": str(e.port), "{#ADDRESS}": e.address or "",
        "{#WARN_DAYS}": str(e.warn_days), "{#CRIT_DAYS}": str(e.crit_days),
        "{#TAGS}": ",".join(e.tags),
    } for e in endpoints]


def discovery_json(endpoints: Iterable[Discovered]) -> str:
    return json.dumps(discovery_rows(endpoints), ensure_ascii=False, separators=(",", ":"))


def quote(param: str) -> str:
    """An item key parameter, quoted as Zabbix's key grammar wants (``"`` escaped)."""
    return '"' + param.replace('"', '\\"') + '"'


def item_key(name: str, target: str, *more: str) -> str:
    """``mailtls.NAME["TARGET",MORE...]``: the key an item prototype expands to."""
    return f"mailtls.{name}[{','.join((quote(target), *more))}]"


def _days(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.3f}"


def _change_level(alerts: Sequence[Finding]) -> int:
    levels = [CHANGE_LEVELS.get(f.params.get("kind", ""), 3) for f in alerts
              if f.id == "cert.changed"]
    return max(levels, default=0)


def endpoint_values(target: str, records: Sequence[ObservationRecord],
                    alerts: Sequence[Finding], now: dt.datetime) -> list[Value]:
    """Every value of one endpoint from this pass's records (one per address)."""
    def v(name: str, value: str, *more: str) -> Value:
        return Value(item_key(name, target, *more), value)

    tested = [r for r in records if r.tested]
    out = [v("tested", "1" if tested else "0"),
           v("unreachable", "1" if any(f.id == "monitor.unreachable" for f in alerts) else "0"),
           v("changed", str(_change_level(alerts)))]
    counts = dict.fromkeys(SEVERITIES, 0)
    for _, severity in {f for r in records for f in r.findings}:
        counts[severity.label] += 1
    out += [v("findings", str(n), sev) for sev, n in counts.items()]
    if records:
        out.append(v("duration", f"{max(r.duration for r in records):.3f}"))
    if not tested:
        return out
    out.append(v("verified", "1" if all(r.verified for r in tested) else "0"))
    dated = [r for r in tested if r.not_after is not None]
    worst = min(dated, key=lambda r: r.not_after or now) if dated else None
    if worst is not None and worst.not_after is not None:
        out += [v("days_left", _days(worst.not_after - now)),
                v("not_after", str(int(worst.not_after.timestamp())))]
    shown = worst or next((r for r in tested if r.leaf_sha256), None)
    if shown is not None:
        out += [v(name, text) for name, text in (
            ("issuer", shown.issuer), ("subject", shown.subject),
            ("sha256", shown.leaf_sha256), ("tls_version", shown.tls_version)) if text]
    elif tested[0].tls_version:
        out.append(v("tls_version", tested[0].tls_version))
    return out


def item_values(records: Iterable[ObservationRecord], alerts: Mapping[str, Sequence[Finding]],
                now: dt.datetime) -> list[Value]:
    """The values of every endpoint of a pass, in the order the records came.

    ``alerts`` maps an endpoint URL to the findings of its open monitor alerts
    (``cert.changed``, ``monitor.unreachable``, ...).
    """
    by_endpoint: dict[str, list[ObservationRecord]] = {}
    for r in records:
        by_endpoint.setdefault(r.endpoint, []).append(r)
    out: list[Value] = []
    for target, group in by_endpoint.items():
        out += endpoint_values(target, group, alerts.get(target, ()), now)
    return out
