"""``mailtls report``: the audit page (HTML, PDF) from a scan or monitor JSON, or history.

Only argument parsing, reading and writing here; the page is ``mailtls.export.html``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from ..catalog import pick_language, tr
from .exits import EXIT_USAGE, InputFileError

HISTORY_LIMIT = 100_000  # observations read per endpoint (newest first)
_SPAN = re.compile(r"^\s*(\d+)\s*([hdwm])\s*$")
_UNIT_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30}


class BadDocument(click.ClickException):
    """The input is readable but not a scan or monitor document: exit 64, one line."""

    exit_code = EXIT_USAGE

    def show(self, file: object = None) -> None:
        click.echo(f"mailtls: {self.format_message()}", err=True)


class CannotFinish(click.ClickException):
    """The output cannot be written, Chromium is missing or failed: exit 3, one line."""

    exit_code = 3

    def show(self, file: object = None) -> None:
        click.echo(f"mailtls: {self.format_message()}", err=True)


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """``90d``, ``12w``, ``3m`` (30 days each), ``24h``, or an ISO 8601 date or time."""
    m = _SPAN.match(text)
    if m:
        return now - dt.timedelta(days=int(m.group(1)) * _UNIT_DAYS[m.group(2)])
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected a span such as 90d, 12w, 24h, or an "
                                 "ISO 8601 date", param_hint="--since") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _read_document(path: str) -> Any:
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise InputFileError(f"{path}: cannot read it ({reason})") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadDocument(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: "
                          f"{exc.msg})") from None


def _from_file(path: str) -> Any:
    from ..export.report_data import ReportInputError, from_document

    try:
        return from_document(_read_document(path), path)
    except ReportInputError as exc:
        raise BadDocument(f"{path}: not a mailtls scan or monitor document: {exc}") from None


def _from_history(url: str, since: dt.datetime, until: dt.datetime) -> Any:
    from ..export.report_history import Series, from_history
    from ..store import HistoryStore, StoreError

    if "://" not in url and not Path(url).is_file():
        raise InputFileError(f"{url}: no such history database")
    try:
        store = HistoryStore.open(url)
    except StoreError as exc:
        raise CannotFinish(str(exc)) from None
    try:
        series = [_series(store, ep, since, Series) for ep in store.endpoints()]
    except StoreError as exc:
        raise CannotFinish(str(exc)) from None
    finally:
        store.close()
    passes = len({r.pass_id for s in series for r in s.records if r.observed_at >= since})
    return from_history(series, since, until, url, passes)


def _series(store: Any, endpoint: str, since: dt.datetime, series: Any) -> Any:
    """The endpoint's observations in the period, oldest first, after the last one before
    it of each address (the reference a change is measured against)."""
    newest_first = store.timeline(endpoint, HISTORY_LIMIT)
    keep, before = [], set()
    for r in newest_first:
        if r.observed_at >= since:
            keep.append(r)
        elif r.address not in before:
            before.add(r.address)
            keep.append(r)
    return series(endpoint, keep[::-1], store.baseline_history(endpoint)[::-1])


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CannotFinish(f"{path}: cannot write it ({exc.strerror})") from None


def _pdf(html_text: str, html_path: Path | None, pdf: Path, lang: str) -> None:
    from .browser import ChromiumError, find_chromium, print_pdf

    if find_chromium() is None:
        where = (tr("The HTML report is in {path}.", lang).format(path=html_path)
                 if html_path else "")
        raise CannotFinish(tr("--pdf needs a headless Chromium, and none is installed "
                              "(Debian: apt-get install chromium; or set MAILTLS_CHROMIUM).",
                              lang) + (" " + where if where else ""))
    with tempfile.TemporaryDirectory(prefix="mailtls-report-") as tmp:
        page = html_path or Path(tmp) / "report.html"
        if html_path is None:
            _write(page, html_text)
        try:
            print_pdf(page, pdf)
        except ChromiumError as exc:
            raise CannotFinish(f"{pdf}: {exc}") from None


@click.command("report")
@click.argument("file", required=False, metavar="FILE.json")
@click.option("--history", metavar="DB", help="Report on the monitor's history instead "
              "(a SQLite file or a postgresql:// URL).")
@click.option("--since", default="90d", show_default=True, metavar="SPAN",
              help="With --history: the period's start (90d, 12w, 24h or an ISO date).")
@click.option("--until", "until_text", metavar="TIME",
              help="With --history: the period's end (ISO 8601); default now.")
@click.option("--html", "html_out", type=click.Path(path_type=Path), metavar="OUT.html",
              help="Write the page here (default: standard output, unless --pdf).")
@click.option("--pdf", "pdf_out", type=click.Path(path_type=Path), metavar="OUT.pdf",
              help="Also print it to PDF with a headless Chromium.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN.")
def report_command(file: str | None, history: str | None, since: str, until_text: str | None,
                   html_out: Path | None, pdf_out: Path | None, lang: str | None) -> None:
    """Audit report (one self-contained HTML page, or PDF) of a scan, a monitor pass or the
    monitor's history over a period."""
    from ..export.html import render_report

    language = pick_language(lang)
    if (file is None) == (history is None):
        raise click.UsageError("give one scan or monitor JSON FILE, or --history DB")
    if history is not None:
        now = dt.datetime.now(dt.UTC)
        until = parse_since(until_text, now) if until_text else now
        report = _from_history(history, parse_since(since, until), until)
    else:
        report = _from_file(file or "-")
    page = render_report(report, language)
    if html_out is not None:
        _write(html_out, page)
    if pdf_out is not None:
        _pdf(page, html_out, pdf_out, language)
    if html_out is None and pdf_out is None:
        click.echo(page, nl=False)
