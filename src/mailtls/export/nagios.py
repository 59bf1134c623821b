"""Nagios / Icinga plugin output for one scan result: a state, one status line, perfdata.

The plugin convention (Monitoring Plugins development guidelines) differs from the exit
statuses of ``mailtls scan``::

    0 OK        verified, more than the warning threshold of days left, nothing above low
    1 WARNING   days left below the warning threshold, or a medium or high finding
    2 CRITICAL  verification failed, days left below the critical threshold, no TLS, or
                the endpoint unreachable (refused, timed out, name not resolved)
    3 UNKNOWN   the check itself could not run: bad arguments, an unreadable --ca-file,
                a target of the wrong scheme, an internal error

Unreachable is CRITICAL by default because the guidelines say that higher-level errors
(name resolution, socket timeouts) are outside the plugin's control and "should generally
NOT be reported as UNKNOWN"; ``unreachable=State.UNKNOWN`` chooses otherwise.

Perfdata follows the guidelines' range syntax: ``days_left=120.35;30:;14:`` (alert when
the value falls *below* 30 or 14 days, which is what ``30:`` means), ``time=0.215s``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass

from ..catalog import describe, ntr, tr
from ..model import Finding, ScanResult, Severity

#: failures that mean the endpoint could not be reached at all
UNREACHABLE = frozenset(
    {"conn.refused", "conn.timeout", "conn.resolve_failed", "conn.closed", "conn.rate_limited"}
)
#: the check was pointed at something it cannot judge: a problem of the check, not the server
CHECK_PROBLEMS = frozenset({"scan.internal_error", "conn.wrong_scheme.tls",
                            "conn.wrong_scheme.plain"})  # fmt: skip
#: judged by the day thresholds instead of by their catalogue severity
DATE_FINDINGS = frozenset({"cert.expires_soon"})


class State(enum.IntEnum):
    """Plugin states; the value is the exit status."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


@dataclass(frozen=True)
class Limits:
    """Thresholds in days (``-w``/``-c``) and the state an unreachable endpoint gets."""

    warn_days: float = 30
    crit_days: float = 14
    unreachable: State = State.CRITICAL

    def problem(self) -> str | None:
        """Why these limits make no sense, or None."""
        if self.warn_days < 0 or self.crit_days < 0:
            return "thresholds must not be negative"
        if self.crit_days > self.warn_days:
            return f"-c {self.crit_days:g} is larger than -w {self.warn_days:g}"
        return None


@dataclass(frozen=True)
class Verdict:
    state: State
    reason: Finding | None  # the finding that decided a non-OK state, if one did
    days_left: float | None  # None: no certificate seen
    not_after: dt.datetime | None
    verified: bool
    threshold: float | None = None  # the day threshold that decided WARNING/CRITICAL


def _primary(findings: list[Finding]) -> Finding | None:
    marked = [f for f in findings if f.primary]
    return marked[0] if marked else max(findings, key=lambda f: f.severity, default=None)


def _not_after(result: ScanResult) -> dt.datetime | None:
    if result.certificate is None:
        return None
    when = dt.datetime.fromisoformat(result.certificate.not_after)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def judge(result: ScanResult, now: dt.datetime, limits: Limits) -> Verdict:
    """The plugin state of one scan result at ``now``."""
    not_after = _not_after(result)
    days = None if not_after is None else (not_after - now).total_seconds() / 86400
    verified = any(f.id == "cert.verified" for f in result.findings)
    base = Verdict(State.OK, None, days, not_after, verified)
    ids = {f.id for f in result.findings}
    if not result.tested:
        reason = _primary([f for f in result.findings if f.severity >= Severity.HIGH])
        if ids & CHECK_PROBLEMS:
            return _with(base, State.UNKNOWN, reason)
        if ids & UNREACHABLE:
            return _with(base, limits.unreachable, reason)
        return _with(base, State.CRITICAL, reason)
    judged = [f for f in result.findings if f.id not in DATE_FINDINGS]
    critical = [f for f in judged if f.severity >= Severity.CRITICAL]
    if critical or not verified:
        return _with(base, State.CRITICAL, _primary(critical or judged))
    if days is not None and days < limits.crit_days:
        return Verdict(State.CRITICAL, None, days, not_after, verified, limits.crit_days)
    if days is not None and days < limits.warn_days:
        return Verdict(State.WARNING, None, days, not_after, verified, limits.warn_days)
    serious = [f for f in judged if f.severity >= Severity.MEDIUM]
    if serious:
        return _with(base, State.WARNING, _primary(serious))
    return base


def _with(base: Verdict, state: State, reason: Finding | None) -> Verdict:
    return Verdict(state, reason, base.days_left, base.not_after, base.verified)


def _expiry(verdict: Verdict, lang: str) -> str:
    assert verdict.not_after is not None and verdict.days_left is not None
    date = verdict.not_after.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if verdict.days_left >= 0:
        left = ntr("{count} day left", "{count} days left", math.floor(verdict.days_left), lang)
        return tr("expires {date} ({left})", lang).format(date=date, left=left)
    ago = ntr("{count} day ago", "{count} days ago", math.ceil(-verdict.days_left), lang)
    return tr("expired {date} ({ago})", lang).format(date=date, ago=ago)


def _what(verdict: Verdict, lang: str) -> list[str]:
    parts: list[str] = []
    if verdict.reason is not None:
        title = describe(verdict.reason, lang).title
        if verdict.reason.id in UNREACHABLE:
            title = tr("not reachable: {title}", lang).format(title=title)
        elif verdict.reason.id in CHECK_PROBLEMS:
            title = tr("not checked: {title}", lang).format(title=title)
        parts.append(title)
    elif verdict.state is State.OK or verdict.verified:
        parts.append(tr("certificate verified", lang))
    if verdict.days_left is not None:
        parts.append(_expiry(verdict, lang))
    if verdict.threshold is not None:
        limit = ntr("threshold {count} day", "threshold {count} days",
                    math.floor(verdict.threshold), lang)  # fmt: skip
        parts.append(limit)
    return parts


def perfdata(verdict: Verdict, elapsed: float, limits: Limits) -> str:
    """``days_left=..;W:;C: time=..s`` (days_left left out when no certificate was seen)."""
    items = []
    if verdict.days_left is not None:
        items.append(
            f"days_left={verdict.days_left:.2f};{limits.warn_days:g}:;{limits.crit_days:g}:"
        )
    items.append(f"time={elapsed:.3f}s;;;0")
    return " ".join(items)


def render(
    result: ScanResult, verdict: Verdict, elapsed: float, limits: Limits, lang: str = "en"
) -> str:
    """The status line with perfdata, then one line per finding above info (long output).

    The words OK/WARNING/CRITICAL/UNKNOWN stay in English in every language: they are the
    convention monitoring systems and their users read, like the exit status.
    """
    target = result.target.url
    if result.address:
        target = tr("{target} ({address})", lang).format(target=target, address=result.address)
    what = tr("; ", lang).join(_what(verdict, lang))
    head = tr("{target}: {what}", lang).format(target=target, what=what)
    lines = [f"MAILTLS {verdict.state.name} - {head} | {perfdata(verdict, elapsed, limits)}"]
    for f in sorted(result.findings, key=lambda f: -f.severity):
        if f.severity > Severity.INFO:
            text = describe(f, lang)
            lines.append(f"{tr(f.severity.label, lang)} {f.id}: {text.title}")
    return "\n".join(_clean(line) for line in lines)


def unknown_line(message: str, lang: str = "en") -> str:
    """The one line for a check that could not run (bad arguments, unreadable file)."""
    return _clean(f"MAILTLS UNKNOWN - {tr('not checked: {title}', lang).format(title=message)}")


def _clean(line: str) -> str:
    """One physical line, and no '|' before the perfdata separator (Nagios splits there)."""
    head, sep, perf = line.partition(" | ")
    head = " ".join(head.split()).replace("|", "/")
    return f"{head}{sep}{perf}"
