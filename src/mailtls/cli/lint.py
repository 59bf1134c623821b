"""``mailtls lint``: code and configuration that turns certificate checks off."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..lint import Options, Report, WalkError, lint_paths
from ..lint.context import CONTEXTS

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
    from ..lint.engine import visible  # a file name can hold escape sequences too

    return f"{visible(loc.file)}:{loc.line}" + (f":{loc.column}" if loc.column else "")


def render_text(report: Report, console: Console, lang: str) -> None:
    """One line per finding, ``PATH:LINE:COL SEVERITY ID TITLE`` in a pipe (never wrapped),
    then the snippet, detail and fix on indented lines; the same, styled, on a terminal."""
    from rich.text import Text

    from ..catalog import describe, tr
    from .lines import emit, pair, plain

    for i, f in enumerate(report.findings):
        text = describe(f, lang)
        severity = tr(f.severity.label, lang)
        context = report.tag(i).context
        where = "" if context == "production" else f" ({tr(context, lang)})"
        if plain(console):
            emit(console, f"{_where(f)} {severity} {f.id} {text.title}{where}")
        else:
            head = Text(f"{_where(f)} ", style="bold")
            head.append(f"[{severity}] {text.title}", style=STYLE[f.severity.label])
            head.append(f"  {f.id}{where}", style="dim")
            emit(console, head)
        if f.location is not None and f.location.snippet:
            emit(console, f"{f.location.line:>5} | {f.location.snippet}", 2)
        if text.detail:
            emit(console, text.detail, 4)
        fix = pair(tr("Fix", lang), text.remediation, lang)
        if f.fix:
            fix.append(f"  [{f.fix}]", style="green")
        emit(console, fix, 4)
    for n in report.notes:
        text = describe(n, lang)
        emit(console, Text(f"{_where(n)} {n.id} {pair(text.title, text.detail, lang)}", "dim"))
    _summary(report, console, lang)


def _summary(report: Report, console: Console, lang: str) -> None:
    from ..catalog import ntr, tr
    from ..model import Severity
    from .lines import emit

    counts: dict[Severity, int] = {}
    for f in report.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    parts = [ntr("{count} finding", "{count} findings", len(report.findings), lang)]
    parts += [f"{n} {tr(s.label, lang)}" for s, n in sorted(counts.items(), reverse=True)]
    parts.append(ntr("{count} file scanned", "{count} files scanned", report.files_scanned, lang))
    if report.files_skipped:
        parts.append(ntr("{count} file not scanned", "{count} files not scanned",
                         report.files_skipped, lang))
    if not report.findings:
        emit(console, tr("No findings.", lang))
    emit(console, tr(", ", lang).join(parts))


def exit_status(report: Report, fail_on: str) -> int:
    """3 when a file could not be checked (lint.internal_error), else 1 when a finding is
    at or above ``fail_on`` (``never``: 0)."""
    from ..model import Severity

    if report.errors:
        return 3
    if fail_on == "never" or report.worst is None:
        return 0
    return 1 if report.worst >= Severity.parse(fail_on) else 0


def render_sarif_tagged(report: Report, lang: str) -> str:
    """SARIF 2.1.0, each result with its ``context`` and ``scope`` in its properties."""
    import json

    from ..export.sarif import render_sarif

    log = json.loads(render_sarif(report.findings, lang, "mailtls", base=Path.cwd()))
    for i, result in enumerate(log["runs"][0]["results"]):
        tag = report.tag(i)
        result.setdefault("properties", {}).update(context=tag.context, scope=tag.scope)
    return json.dumps(log, ensure_ascii=False, indent=2)


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
@click.option("--scope", type=click.Choice(["all", "mail"]), default="all", show_default=True,
              help="all: every TLS verification off-switch (HTTPS, LDAP, databases...); "
                   "mail: only those that protect mail.")
@click.option("--exclude-context", "exclude_contexts", multiple=True,
              type=click.Choice(list(CONTEXTS)),
              help="Leave out findings in this context (repeatable), e.g. test.")
@click.option("--include-vendored", is_flag=True,
              help="Also scan vendored folders (node_modules, vendor...), skipped by default.")
@click.option("--today", metavar="DATE", help="Expire exceptions as of this date (YYYY-MM-DD).")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
@click.option("--verbose", "-v", is_flag=True,
              help="Show the traceback of a failure inside mailtls (on stderr).")
def lint_command(
    paths: tuple[Path, ...],
    exclude: tuple[str, ...],
    as_json: bool,
    fmt: str | None,
    since: str | None,
    fail_on: str,
    jobs: int | None,
    max_size: int,
    scope: str,
    exclude_contexts: tuple[str, ...],
    include_vendored: bool,
    today: str | None,
    lang: str | None,
    verbose: bool,
) -> None:
    """Find code and configuration that accepts any certificate.

    PATH is a file or a folder (default: the current folder); .gitignore is honoured.
    Every TLS verification off-switch is reported, mail first: one that does not protect
    mail or credentials is one severity lower. Each finding says its context
    (production, test, example, tooling).
    An inline comment `mailtls: allow RULE-ID until YYYY-MM-DD -- reason` silences one
    finding until that date. Exit status: 1 when a finding is at or above --fail-on,
    3 when a file could not be checked (mailtls failed on it; --verbose shows why).
    """
    options = Options(max_bytes=max_size * 1024 * 1024, today=_date(today), jobs=jobs,
                      scope=scope, exclude_contexts=frozenset(exclude_contexts),
                      include_vendored=include_vendored)
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
        click.echo(render_sarif_tagged(report, language))
    else:
        from rich.console import Console

        render_text(report, Console(), language)
    if verbose:
        for path, trace in report.errors.items():
            click.echo(f"{path}:\n{trace.rstrip()}", err=True)
    sys.exit(exit_status(report, fail_on))

