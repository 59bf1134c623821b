"""Nagios / Icinga plugin output for one domain's verdict (``mailtls check --domain``).

The verdict is mailtls.domain's (``evaluate``); this module only maps it to a plugin state::

    OK        authenticated: every MX host under DANE or an enforced MTA-STS policy passes
    WARNING   partly (some hosts authenticated, a policy in testing mode, or a host fails)
              or opportunistic (neither DANE nor MTA-STS): mail still flows, unprotected
    CRITICAL  broken (careful senders defer all mail), or a verdict below ``require``
    UNKNOWN   the DNS look-up of the MX records failed: there is nothing to judge

``require`` raises the bar: with ``authenticated`` a partly or opportunistic domain is
CRITICAL too (a domain that must stay authenticated); with ``partly`` only opportunistic is.
Perfdata: ``mx_pass`` (MX hosts that pass their mechanism, max = all hosts), ``time``.
"""

from __future__ import annotations

from ..catalog import describe, tr
from ..domain.dnssec import INDETERMINATE
from ..domain.evaluate import AUTHENTICATED, BROKEN, OPPORTUNISTIC, PARTLY, DomainReport
from ..model import Severity
from .nagios import State, _clean

#: verdicts from worst to best; ``require`` names one of them
RANK = {BROKEN: 0, OPPORTUNISTIC: 1, PARTLY: 2, AUTHENTICATED: 3}
REQUIRE_CHOICES = (OPPORTUNISTIC, PARTLY, AUTHENTICATED)


def dns_failed(report: DomainReport) -> bool:
    """The MX look-up itself failed (no answer, SERVFAIL, timeout): no verdict to trust."""
    return report.mx_dnssec == INDETERMINATE


def domain_state(report: DomainReport, require: str = OPPORTUNISTIC) -> State:
    """The plugin state of a domain's verdict; ``require``: the lowest verdict not CRITICAL."""
    if dns_failed(report):
        return State.UNKNOWN
    rank = RANK.get(report.verdict, 0)
    if rank == RANK[BROKEN] or rank < RANK[require]:
        return State.CRITICAL
    return State.OK if report.verdict == AUTHENTICATED else State.WARNING


def mx_counts(report: DomainReport) -> tuple[int, int]:
    """(MX hosts that pass, MX hosts)."""
    return sum(1 for h in report.hosts if h.ok), len(report.hosts)


def render_domain(report: DomainReport, state: State, elapsed: float, lang: str = "en") -> str:
    """The status line with perfdata, then one line per finding above info (long output)."""
    passed, total = mx_counts(report)
    parts = [tr(report.verdict, lang)]
    if report.findings and report.findings[0].primary:
        parts.append(describe(report.findings[0], lang).title)
    if dns_failed(report):
        reasons = [describe(f, lang).title for f in report.findings if f.id.startswith("dnssec.")]
        parts = [tr("DNS look-up failed", lang), *reasons[:1]]
    parts.append(tr("{passed} of {total} MX hosts pass", lang).format(passed=passed,
                                                                        total=total))
    what = tr("; ", lang).join(parts)
    head = tr("{target}: {what}", lang).format(target=report.domain, what=what)
    perf = f"mx_pass={passed};;;0;{total} time={elapsed:.3f}s;;;0"
    lines = [f"MAILTLS {state.name} - {head} | {perf}"]
    shown = [f for f in report.all_findings[1:] if f.severity > Severity.INFO]
    for f in sorted(shown, key=lambda f: -f.severity):
        lines.append(f"{tr(f.severity.label, lang)} {f.id}: {describe(f, lang).title}")
    return "\n".join(_clean(line) for line in lines)
