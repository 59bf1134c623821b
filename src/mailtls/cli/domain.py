"""``mailtls domain``: is mail to this domain authenticated? One verdict per domain."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from ..catalog import describe, pick_language, tr
from ..domain.dnssec import ROOT_ANCHORS, AnchorError, parse_anchors
from ..domain.evaluate import BROKEN, DomainReport
from ..domain.report import render_json
from ..domain.run import DomainOptions, check_domains
from ..domain.sts_state import StateError, compare, parse_state, render_state
from ..errors import TargetError
from ..model import Severity
from ..net.dns import parse_server, system_server
from ..scan import ScanOptions
from .exits import InputFileError, readable_file, trust_store
from .lines import emit, pair, plain
from .render import STYLE, severity_word
from .scan import _parse_time

VERDICT_STYLE = {"authenticated": "bold green", "partly": "yellow", "opportunistic": "yellow",
                 "broken": "bold red"}  # fmt: skip


def _anchors(path: Path | None) -> list:  # type: ignore[type-arg]
    if path is None:
        return parse_anchors(ROOT_ANCHORS, "root anchors")
    readable_file(path, "--trust-anchor")
    try:
        return parse_anchors(path.read_text(encoding="utf-8"), f"--trust-anchor {path}")
    except (AnchorError, UnicodeDecodeError) as exc:
        raise InputFileError(str(exc)) from None


def _read_state(path: Path | None) -> dict[str, dict[str, Any]]:
    """The previous run's MTA-STS state; a new file is an empty state."""
    if path is None or not path.exists():
        return {}
    readable_file(path, "--state")
    try:
        return parse_state(path.read_text(encoding="utf-8"))
    except (StateError, UnicodeDecodeError) as exc:
        raise InputFileError(f"--state {path}: {exc}") from None


def _write_state(path: Path, remembered: dict[str, dict[str, Any]]) -> None:
    """Written whole next to the file, then renamed: an interrupted run keeps the old one."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(render_state(remembered) + "\n", encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        raise InputFileError(f"--state {path}: {exc.strerror or exc}") from None


def _host_lines(report: DomainReport, console: Console, lang: str) -> None:
    for h in report.hosts:
        mech = tr("none", lang) if h.mechanism == "none" else h.mechanism.upper()
        status = ", ".join(f"{k} {v}" for k, v in h.dnssec.items())
        word = tr("pass", lang) if h.ok else tr("fail", lang)
        line = f"  {h.host} ({h.preference}) {tr('Mechanism', lang)}: {mech} — {word}"
        emit(console, Text(line, style="green" if h.ok else "yellow"))
        emit(console, pair("DNSSEC", status, lang), 4)
        for a in h.addresses:
            tls = a.scan.tls_version or "-"
            mark = tr("pass", lang) if a.ok else tr("fail", lang)
            emit(console, f"{a.address}:{a.scan.target.port} {tls} {mark}", 4)


def _findings(report: DomainReport, console: Console, lang: str) -> None:
    shown = sorted((f for f in report.all_findings[1:] if f.severity > Severity.INFO),
                   key=lambda f: -f.severity)  # fmt: skip
    for f in shown:
        text = describe(f, lang)
        head = f"  [{severity_word(f.severity, lang)}] {f.id} {text.title}"
        emit(console, Text(head, style=STYLE[f.severity]))
        if text.detail:
            emit(console, text.detail, 4)
        emit(console, pair(tr("Fix", lang), text.remediation, lang), 4)


def render_text(report: DomainReport, console: Console, lang: str) -> None:
    verdict = tr(report.verdict, lang)
    title = describe(report.findings[0], lang).title if report.findings else ""
    emit(console, Text(f"{report.domain}: {verdict} — {title}",
                       style=VERDICT_STYLE.get(report.verdict, "")))  # fmt: skip
    _host_lines(report, console, lang)
    policy = report.sts.policy
    if policy is not None:
        line = tr("MTA-STS policy: mode {mode}, id {id}", lang)
        emit(console, "  " + line.format(mode=policy.mode, id=report.sts.record.id or "-"))
    if report.tlsrpt.rua:
        emit(console, "  " + tr("TLS-RPT: {rua}", lang).format(rua=", ".join(report.tlsrpt.rua)))
    _findings(report, console, lang)
    if not plain(console):
        console.print()


def exit_status(reports: list[DomainReport]) -> int:
    """0 authenticated, 1 partly/opportunistic (medium/high), 2 broken or critical."""
    worst = max((f.severity for r in reports for f in r.all_findings), default=Severity.INFO)
    if worst >= Severity.CRITICAL or any(r.verdict == BROKEN for r in reports):
        return 2
    return 1 if worst >= Severity.MEDIUM else 0


@click.command("domain")
@click.argument("domains", nargs=-1, required=True, metavar="DOMAIN...")
@click.option("--resolver", metavar="ADDR[:PORT]",
              help="DNS server to ask (default: the system's first name server).")
@click.option("--trust-anchor", type=click.Path(path_type=Path), metavar="FILE",
              help="DNSSEC trust anchor: DS or DNSKEY records in zone-file form "
              "(default: the root zone's KSKs).")
@click.option("--ca-file", multiple=True, type=click.Path(path_type=Path), metavar="PEM",
              help="Also trust these CA certificates (MX hosts and the MTA-STS policy host).")
@click.option("--trust", type=click.Choice(["mozilla", "system", "none"]), default="mozilla",
              show_default=True, help="Base trust store ('none': only --ca-file).")
@click.option("--mx-port", type=click.IntRange(1, 65535), default=25, show_default=True,
              help="Port to connect to on each MX host (labs; TLSA stays _25._tcp).")
@click.option("--timeout", type=click.FloatRange(0.1, 3600), default=10.0, show_default=True,
              help="Deadline in seconds for each query, fetch and MX endpoint.")
@click.option("--at", "at_time", metavar="TIME",
              help="Validate as of this ISO 8601 time instead of now.")
@click.option("--state", type=click.Path(path_type=Path), metavar="FILE",
              help="Remember each MTA-STS policy and id here (JSON) and report an id "
              "that did not change with its policy.")
@click.option("--json", "as_json", is_flag=True, help="JSON output: one object per domain.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def domain_command(domains: tuple[str, ...], resolver: str | None, trust_anchor: Path | None,
                   ca_file: tuple[Path, ...], trust: str, mx_port: int, timeout: float,
                   at_time: str | None, state: Path | None, as_json: bool,
                   lang: str | None) -> None:  # fmt: skip
    """Say whether mail to each DOMAIN is authenticated: DNSSEC, DANE, MTA-STS, TLS-RPT.

    The verdict is authenticated (DANE or an enforced MTA-STS policy, every MX passes),
    partly, opportunistic (neither) or broken (careful senders would defer all mail).
    """
    language = pick_language(lang)
    try:
        server = parse_server(resolver) if resolver else system_server()
    except TargetError as exc:
        raise click.UsageError(str(exc)) from None
    now = _parse_time(at_time)
    previous = _read_state(state)
    options = DomainOptions(
        server=server,
        anchors=_anchors(trust_anchor),
        scan=ScanOptions(store=trust_store(trust, ca_file), timeout=timeout, now=now),
        mx_port=mx_port,
        now=now or dt.datetime.now(dt.UTC),
        timeout=timeout,
    )
    reports = asyncio.run(check_domains(domains, options))
    if state is not None:
        reports, remembered = compare(reports, previous)
        _write_state(state, remembered)
    console = Console()
    for report in reports:
        if as_json:
            click.echo(render_json(report, language))
        else:
            render_text(report, console, language)
    sys.exit(exit_status(reports))
