"""``mailtls lint``: code and configuration that turns certificate checks off."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..lint import Options, Report, WalkError, lint_paths

if TYPE_CHECKING:
    from rich.console import Console

    from ..model import Finding

LEVELS = ("critical", "high", "medium", "low", "info")
#: Severity styles by label, as in ``mailtls.cli.render.STYLE``; not imported from there
#: because that module loads the TLS protocol code, which lint never needs. Output
#: modules (rich, SARIF, JSON, the catalogue) are imported after the scan, by the format
#: that uses them: the scan does not wait for them.
STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "info": "green",
}


def _where(f: Finding) -> str:
    loc = f.location
    if loc is None:
        return "-"
    return f"{loc.file}:{loc.line}" + (f":{loc.column}" if loc.column else "")


def render_text(report: Report, console: Console, lang: str) -> None:
    from rich.padding import Padding
    from rich.text import Text

    from ..catalog import describe, tr

    for f in report.findings:
        text = describe(f, lang)
        head = Text(f"{_where(f)} ", style="bold")
        head.append(f"[{tr(f.severity.label, lang)}] {text.title}", style=STYLE[f.severity.label])
        head.append(f"  {f.id}", style="dim")
        console.print(head)
        if f.location is not None and f.location.snippet:
            console.print(Padding(Text(f"{f.location.line:>5} | {f.location.snippet}"), (0, 2)))
        if text.detail:
            console.print(Padding(Text(text.detail), (0, 0, 0, 4)))
        fix = Text(tr("Fix", lang) + ": ", style="bold") + Text(text.remediation)
        if f.fix:
            fix.append(f"  [{f.fix}]", style="green")
        console.print(Padding(fix, (0, 0, 0, 4)))
    for n in report.notes:
        text = describe(n, lang)
        console.print(Text(f"{_where(n)}: {text.title}: {text.detail}", style="dim"))
    _summary(report, console, lang)


def _summary(report: Report, console: Console, lang: str) -> None:
    from ..catalog import tr
    from ..model import Severity

    counts: dict[Severity, int] = {}
    for f in report.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    parts = [f"{len(report.findings)} {tr('findings', lang)}"]
    parts += [f"{n} {tr(s.label, lang)}" for s, n in sorted(counts.items(), reverse=True)]
    parts.append(f"{report.files_scanned} {tr('files scanned', lang)}")
    if report.files_skipped:
        parts.append(f"{report.files_skipped} {tr('not scanned', lang)}")
    if not report.findings:
        console.print(tr("No findings.", lang))
    console.print(", ".join(parts))


def exit_status(report: Report, fail_on: str) -> int:
    """1 when a finding is at or above ``fail_on`` (``never``: always 0)."""
    from ..model import Severity

    if fail_on == "never" or report.worst is None:
        return 0
    return 1 if report.worst >= Severity.parse(fail_on) else 0


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        message = f"{text!r} is not a date (YYYY-MM-DD)"
        raise click.BadParameter(message, param_hint="--today") from None


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--exclude", multiple=True, metavar="PATTERN",
              help="Skip paths matching this .gitignore-style pattern (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="JSON output (schema 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default=None,
              help="Output format (sarif: SARIF 2.1.0 for code scanning).")
@click.option("--changed-since", "since", metavar="REV",
              help="Only files changed since the git revision REV (and untracked files).")
@click.option("--fail-on", type=click.Choice([*LEVELS, "never"]),
              default="medium", show_default=True,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--jobs", "-j", type=click.IntRange(1, 512), default=None,
              help="Worker processes (default: every core).")
@click.option("--max-size", type=click.IntRange(1, 1024), default=8, show_default=True,
              metavar="MB", help="Skip files larger than this, with a note.")
@click.option("--today", metavar="DATE", help="Expire exceptions as of this date (YYYY-MM-DD).")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def lint_command(
    paths: tuple[Path, ...],
    exclude: tuple[str, ...],
    as_json: bool,
    fmt: str | None,
    since: str | None,
    fail_on: str,
    jobs: int | None,
    max_size: int,
    today: str | None,
    lang: str | None,
) -> None:
    """Find code and configuration that accepts any certificate for mail.

    PATH is a file or a folder (default: the current folder); .gitignore is honoured.
    An inline comment `mailtls: allow RULE-ID until YYYY-MM-DD -- reason` silences one
    finding until that date. Exit status: 1 when a finding is at or above --fail-on.
    """
    options = Options(max_bytes=max_size * 1024 * 1024, today=_date(today), jobs=jobs)
    try:
        report = lint_paths(list(paths) or [Path(".")], exclude, since, options)
    except WalkError as exc:
        raise click.UsageError(str(exc)) from None
    from ..catalog import pick_language

    language = pick_language(lang)
    fmt = fmt or ("json" if as_json else "text")
    if fmt == "json":
        from ..lint.jsondoc import render_lint

        click.echo(render_lint(report, language))
    elif fmt == "sarif":
        from ..export.sarif import render_sarif

        click.echo(render_sarif(report.findings, language, "mailtls", base=Path.cwd()))
    else:
        from rich.console import Console

        render_text(report, Console(), language)
    sys.exit(exit_status(report, fail_on))

