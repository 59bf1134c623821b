"""Terminal rendering of scan results with rich: a table, then the details."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..catalog import describe, tr
from ..model import Finding, ScanResult, Severity

STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "green",
}


def _headline(r: ScanResult) -> Finding | None:
    """The primary finding, else the gravest, else the first (cert.verified)."""
    primary = next((f for f in r.findings if f.primary), None)
    if primary is not None:
        return primary
    return max(r.findings, key=lambda f: f.severity, default=None)


def _title(f: Finding, lang: str) -> str:
    return describe(f, lang).title


def render_table(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    wide = console.width >= 100  # on a narrow terminal the address goes to the details
    for header in (
        ("Target", "Address", "TLS", "Severity") if wide else ("Target", "TLS", "Severity")
    ):
        table.add_column(tr(header, lang), no_wrap=True)
    table.add_column(tr("Verdict", lang), min_width=16)
    table.add_column(tr("Expires", lang), no_wrap=True, min_width=10)
    for r in results:
        head = _headline(r)
        expires = r.certificate.not_after[:10] if r.certificate else "-"
        if head is None:
            sev, verdict = Text("-"), Text("-")
        else:
            style = STYLE[head.severity]
            label = (
                tr("OK", lang) if head.severity is Severity.INFO else tr(head.severity.label, lang)
            )
            sev = Text(label, style=style)
            verdict = Text(_title(head, lang), style=style)
            more = sum(f.severity > Severity.INFO for f in r.findings) - 1
            if more > 0:
                verdict.append(f" (+{more})", style="dim")
        cells = [r.target.url, r.address or "-"] if wide else [r.target.url]
        table.add_row(*cells, r.tls_version or "-", sev, verdict, expires)
    console.print(table)


def render_details(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    for r in results:
        shown = [f for f in r.findings if f.severity > Severity.INFO]
        if not shown:
            continue
        console.print()
        cipher = f", {r.tls_version} {r.cipher}" if r.cipher else ""
        where = f" ({r.address}{cipher})" if r.address else ""
        console.print(Text(r.target.url + where, style="bold"))
        for f in shown:
            text = describe(f, lang)
            mark = "*" if f.primary else "-"
            console.print(
                Text(
                    f" {mark} [{tr(f.severity.label, lang)}] {text.title}", style=STYLE[f.severity]
                )
            )
            if text.detail:
                console.print(Padding(Text(text.detail), (0, 0, 0, 4)))
            fix = Text(tr("Fix", lang) + ": ", style="bold") + Text(text.remediation)
            console.print(Padding(fix, (0, 0, 0, 4)))


def render_notes(notes: Sequence[Finding], console: Console, lang: str) -> None:
    for f in notes:
        text = describe(f, lang)
        console.print(
            Text(
                f"[{tr(f.severity.label, lang)}] {text.title}: {text.detail}",
                style=STYLE[f.severity],
            )
        )


def render_summary(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    counts: dict[Severity, int] = {}
    for r in results:
        if r.worst is not None:
            counts[r.worst] = counts.get(r.worst, 0) + 1
    untested = sum(not r.tested for r in results)
    parts = [f"{len(results)} {tr('endpoints scanned', lang)}"]
    parts += [f"{n} {tr(s.label, lang)}" for s, n in sorted(counts.items(), reverse=True)]
    if untested:
        parts.append(f"{untested} {tr('not tested', lang)}")
    console.print()
    console.print(", ".join(parts))
