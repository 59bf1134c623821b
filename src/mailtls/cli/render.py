"""Terminal rendering of scan results with rich: a table, then the details.

On a terminal the table keeps every target and its verdict whole at any width down to
about 40 columns (the title wraps; optional columns go first; below that each endpoint
takes two lines). In a pipe each finding is one record line,
``TARGET SEVERITY ID TITLE``, with its details on indented lines after it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..catalog import describe, ntr, tr
from ..model import Finding, ScanResult, Severity
from .deep_view import render_deep
from .lines import emit, pair, plain

__all__ = [
    "STYLE",
    "render_deep",
    "render_details",
    "render_notes",
    "render_summary",
    "render_table",
    "severity_word",
]

STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "green",
}
#: Columns shown when they fit, most useful first; Target, Severity and Verdict always are.
OPTIONAL = ("Expires", "TLS", "Address")
VERDICT_MIN = 16  # cells the title keeps before an optional column is dropped


def _headline(r: ScanResult) -> Finding | None:
    """The primary finding, else the gravest, else the first (cert.verified)."""
    primary = next((f for f in r.findings if f.primary), None)
    if primary is not None:
        return primary
    return max(r.findings, key=lambda f: f.severity, default=None)


def _shown(r: ScanResult) -> list[Finding]:
    """Findings above info, gravest first (the primary first among equals)."""
    above = [f for f in r.findings if f.severity > Severity.INFO]
    return sorted(above, key=lambda f: (-f.severity, not f.primary))


def severity_word(severity: Severity, lang: str) -> str:
    """The word for an endpoint's worst severity, the same in the table and the summary:
    "OK" when nothing is above info."""
    return tr("OK" if severity is Severity.INFO else severity.label, lang)


def _cells(r: ScanResult, lang: str) -> dict[str, Text]:
    head = _headline(r)
    expires = r.certificate.not_after[:10] if r.certificate else "-"
    cells = {"Target": Text(r.target.url), "Address": Text(r.address or "-"),
             "TLS": Text(r.tls_version or "-"), "Expires": Text(expires)}  # fmt: skip
    if head is None:
        return cells | {"Severity": Text("-"), "Verdict": Text("-")}
    style = STYLE[head.severity]
    verdict = Text(describe(head, lang).title, style=style)
    more = len(_shown(r)) - (head.severity > Severity.INFO)
    if more > 0:
        verdict.append(f" (+{more})", style="dim")
    return cells | {"Severity": Text(severity_word(head.severity, lang), style=style),
                    "Verdict": verdict}  # fmt: skip


def _table(rows: list[dict[str, Text]], columns: Sequence[str], lang: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for name in columns:
        if name == "Verdict":
            table.add_column(tr(name, lang), min_width=VERDICT_MIN, overflow="fold")
        else:
            table.add_column(tr(name, lang), no_wrap=True)
    for row in rows:
        table.add_row(*(row[name] for name in columns))
    return table


def _needed_width(
    rows: list[dict[str, Text]], columns: Sequence[str], console: Console, lang: str
) -> int:
    """Cells the table needs with every column but Verdict whole and Verdict at its minimum:
    the natural width of the same table whose verdicts are VERDICT_MIN cells wide."""
    probe = [row | {"Verdict": Text("x" * VERDICT_MIN)} for row in rows]
    wide = console.options.update(max_width=1_000_000)
    return Measurement.get(console, wide, _table(probe, columns, lang)).maximum


def _fitting_table(rows: list[dict[str, Text]], console: Console, lang: str) -> Table | None:
    """The widest table whose no-wrap columns fit whole, or None when even the narrowest
    (Target, Severity, Verdict) does not; widths are measured in cells (CJK counts two)."""
    optional = list(OPTIONAL)
    while True:
        columns = ["Target", *[c for c in ("Address", "TLS") if c in optional],
                   "Severity", "Verdict", *(["Expires"] if "Expires" in optional else [])]
        if _needed_width(rows, columns, console, lang) <= console.width:
            return _table(rows, columns, lang)
        if not optional:
            return None
        optional.pop()


def render_table(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    if plain(console):
        for r in results:
            _records(r, console, lang)
        return
    rows = [_cells(r, lang) for r in results]
    table = _fitting_table(rows, console, lang)
    if table is not None:
        console.print(table)
        return
    for row in rows:  # narrower than target + verdict: two lines per endpoint
        emit(console, Text.assemble(row["Target"], "  ", row["Severity"]))
        emit(console, row["Verdict"], 2)


def _connection(r: ScanResult, lang: str) -> str:
    """Address, protocol and cipher, and the certificate's expiry: one detail line."""
    parts = [p for p in (r.address, " ".join(filter(None, (r.tls_version, r.cipher)))) if p]
    if r.certificate is not None:
        parts.append(pair(tr("Expires", lang), r.certificate.not_after[:10], lang).plain)
    return tr(", ", lang).join(parts)


def _records(r: ScanResult, console: Console, lang: str) -> None:
    """One line per finding (headline, then the others gravest first), details indented."""
    head = _headline(r)
    findings = [head] if head is not None and head.severity is Severity.INFO else []
    findings += _shown(r)
    if not findings:
        emit(console, f"{r.target.url} - - -")
    for n, f in enumerate(findings):
        text = describe(f, lang)
        word = severity_word(f.severity, lang)
        emit(console, Text(f"{r.target.url} {word} {f.id} {text.title}", style=STYLE[f.severity]))
        if n == 0 and _connection(r, lang):
            emit(console, _connection(r, lang), 4)
        if f.severity > Severity.INFO:
            _finding_lines(f, console, lang)


def _finding_lines(f: Finding, console: Console, lang: str) -> None:
    text = describe(f, lang)
    if text.detail:
        emit(console, text.detail, 4)
    emit(console, pair(tr("Fix", lang), text.remediation, lang), 4)
    if f.fix:
        for command in f.fix.split("\n"):
            emit(console, Text(command, style="green"), 6)


def render_details(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    """The findings of each endpoint, gravest first (in a pipe the records carried them)."""
    if plain(console):
        return
    for r in results:
        shown = _shown(r)
        if not shown:
            continue
        console.print()
        cipher = f", {r.tls_version} {r.cipher}" if r.cipher else ""
        where = f" ({r.address}{cipher})" if r.address else ""
        emit(console, Text(r.target.url + where, style="bold"))
        for f in shown:
            mark = "*" if f.primary else "-"
            title = describe(f, lang).title
            line = f"{mark} [{tr(f.severity.label, lang)}] {title}"
            emit(console, Text(line, style=STYLE[f.severity]), 1)
            _finding_lines(f, console, lang)


def render_notes(notes: Sequence[Finding], console: Console, lang: str) -> None:
    for f in notes:
        text = describe(f, lang)
        if plain(console):
            where = f.location.file if f.location else "-"
            emit(console, Text(f"{where} {severity_word(f.severity, lang)} {f.id} {text.title}"))
            if text.detail:
                emit(console, text.detail, 4)
            continue
        title = f"[{tr(f.severity.label, lang)}] {text.title}"
        emit(console, pair(title, text.detail, lang, style=STYLE[f.severity]))


def render_summary(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    counts: dict[Severity, int] = {}
    for r in results:
        if r.worst is not None:
            counts[r.worst] = counts.get(r.worst, 0) + 1
    untested = sum(not r.tested for r in results)
    parts = [ntr("{count} endpoint scanned", "{count} endpoints scanned", len(results), lang)]
    parts += [f"{n} {severity_word(s, lang)}" for s, n in sorted(counts.items(), reverse=True)]
    if untested:
        parts.append(f"{untested} {tr('not tested', lang)}")
    emit(console, Text())
    emit(console, tr(", ", lang).join(parts))
