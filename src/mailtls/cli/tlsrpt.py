"""``mailtls tlsrpt``: summarise received TLS-RPT reports (RFC 8460), gzip or plain JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from ..catalog import describe, new_finding, pick_language, tr
from ..domain import tlsrpt as rpt
from ..export.json import finding_dict
from ..model import Finding
from .exits import EXIT_NOINPUT
from .lines import emit, pair, plain
from .render import STYLE, severity_word

TLSRPT_SCHEMA = 1
RESULT_TEXT = {
    "starttls-not-supported": "the STARTTLS command is not offered",
    "certificate-host-mismatch": "the certificate does not match the MX host name",
    "certificate-expired": "the certificate has expired",
    "certificate-not-trusted": "the certificate is not trusted by the sender",
    "validation-failure": "the certificate chain could not be validated",
    "tlsa-invalid": "no TLSA record matches (DANE)",
    "dnssec-invalid": "the DNSSEC records do not validate",
    "dane-required": "DANE is required but the TLSA lookup failed",
    "sts-policy-fetch-error": "the MTA-STS policy could not be fetched",
    "sts-policy-invalid": "the MTA-STS policy is invalid",
    "sts-webpki-invalid": "the MTA-STS policy host's certificate is not valid",
}
SHOWN = 10  # lines per list on the terminal; --json has them all


def read_report(path: Path, limit: int) -> rpt.Report | Finding:
    """The report in ``path``, or the finding that says why it cannot be used."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # bounded: a larger file is refused unread
    except OSError as exc:
        return new_finding(rpt.E_UNREADABLE, file=str(path), reason=exc.strerror or str(exc))
    try:
        if len(data) > limit:
            raise rpt.ReportError(rpt.E_TOO_LARGE, f"more than {limit} bytes")
        return rpt.parse_report(data, limit)
    except rpt.ReportError as exc:
        return new_finding(exc.finding_id, file=str(path), reason=exc.reason)


def _counts(console: Console, label: str, listed: Sequence[tuple[str, int]], lang: str,
            explain: bool = False) -> None:  # fmt: skip
    if not listed:
        return
    emit(console, pair(tr(label, lang), "", lang), 4)
    for name, count in listed[:SHOWN]:
        why = f" — {tr(RESULT_TEXT[name], lang)}" if explain and name in RESULT_TEXT else ""
        emit(console, f"{count:>8}  {name}{why}", 6)
    if len(listed) > SHOWN:
        emit(console, f"{'...':>8}  (+{len(listed) - SHOWN})", 6)


def _domain(console: Console, s: rpt.DomainSummary, lang: str) -> None:
    head = tr("{domain}: {ok} successful, {failed} failed session(s) ({start} to {end})", lang)
    line = head.format(domain=s.domain or "-", ok=s.successful, failed=s.failed,
                       start=s.start or "?", end=s.end or "?")  # fmt: skip
    emit(console, Text(line, style="yellow" if s.failed else "green"))
    types = ", ".join(f"{k} x{v}" for k, v in rpt.top(s.policy_types))
    emit(console, tr("policy: {types}; mx: {patterns}", lang).format(
        types=types, patterns=", ".join(sorted(s.mx_patterns)) or "-"), 2)
    emit(console, pair(tr("Sending organisation", lang), "", lang), 4)
    orgs = sorted(s.organizations.items(), key=lambda kv: (-kv[1].failed, kv[0]))
    for name, o in orgs[:SHOWN]:
        line = tr("{name}: {ok} successful, {failed} failed", lang)
        emit(console, line.format(name=name or "-", ok=o.successful, failed=o.failed), 6)
    _counts(console, "Failure types", rpt.top(s.result_types), lang, explain=True)
    _counts(console, "Receiving MX hosts", rpt.top(s.receiving_mx), lang)
    _counts(console, "Receiving addresses", rpt.top(s.receiving_ip), lang)
    _counts(console, "Error codes", rpt.top(s.error_codes), lang)


def _errors(console: Console, errors: list[Finding], lang: str) -> None:
    for f in errors:
        text = describe(f, lang)
        head = f"[{severity_word(f.severity, lang)}] {f.id} {text.title}"
        emit(console, Text(head, style=STYLE[f.severity]))
        emit(console, text.detail, 2)
        emit(console, pair(tr("Fix", lang), text.remediation, lang), 2)


def render_text(summary: rpt.Summary, errors: list[Finding], console: Console,
                lang: str) -> None:  # fmt: skip
    if summary.reports:
        emit(console, tr("{count} report(s), {duplicates} duplicate(s) skipped", lang).format(
            count=summary.reports, duplicates=summary.duplicates))
    else:
        emit(console, tr("No report could be summarised.", lang))
    for s in summary.domains:
        _domain(console, s, lang)
        if not plain(console):
            console.print()
    _errors(console, errors, lang)


def render_json(summary: rpt.Summary, errors: list[Finding], lang: str) -> str:
    return json.dumps({
        "schema": TLSRPT_SCHEMA,
        "reports": summary.reports,
        "duplicates": summary.duplicates,
        "domains": rpt.summary_dict(summary),
        "errors": [finding_dict(f, lang) for f in errors],
    }, ensure_ascii=False)  # fmt: skip


@click.command("tlsrpt")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path),
                metavar="FILE...")  # fmt: skip
@click.option("--max-size", type=click.IntRange(1024, 1 << 31), default=rpt.DEFAULT_LIMIT,
              show_default=True, metavar="BYTES",
              help="Refuse a report larger than this (once decompressed).")
@click.option("--json", "as_json", is_flag=True, help="JSON output (schema tlsrpt-1).")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def tlsrpt_command(files: tuple[Path, ...], max_size: int, as_json: bool,
                   lang: str | None) -> None:  # fmt: skip
    """Summarise received TLS-RPT reports (RFC 8460): FILE.json.gz or FILE.json.

    Per policy domain and sending organisation: successful and failed sessions, failure
    types, receiving MX hosts and addresses. A file that cannot be used is named with the
    reason and the others are still summarised (exit status 66). Otherwise the exit status
    is 1 when some sessions failed, else 0.
    """
    language = pick_language(lang)
    reports: list[rpt.Report] = []
    errors: list[Finding] = []
    for path in files:
        got = read_report(path, max_size)
        if isinstance(got, Finding):
            errors.append(got)
        else:
            reports.append(got)
    summary = rpt.summarise(reports)
    if as_json:
        click.echo(render_json(summary, errors, language))
    else:
        render_text(summary, errors, Console(), language)
    if errors:
        sys.exit(EXIT_NOINPUT)
    sys.exit(1 if any(s.failed for s in summary.domains) else 0)
