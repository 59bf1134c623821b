"""``mailtls monitor``: init, run, daemon, history, accept (see docs/monitor.md).

Only argument parsing and output here; the work is in mailtls.monitor and mailtls.store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..catalog import describe, pick_language, tr
from ..failures import is_internal
from ..model import Finding, Severity
from ..store import HistoryStore, ObservationRecord, StoreError
from .exits import InputFileError

DEFAULT_INVENTORY = "mailtls-monitor.toml"
SCHEMA = 1


class StoreFailure(click.ClickException):
    """The history database cannot be used: exit 3 (could not test), one line."""

    exit_code = 3

    def show(self, file: object = None) -> None:
        click.echo(f"mailtls: {self.format_message()}", err=True)


def _inventory(path: Path) -> Any:
    from ..monitor import InventoryError, load_inventory

    try:
        return load_inventory(path)
    except InventoryError as exc:
        if exc.line is None and "cannot read" in exc.reason:
            raise InputFileError(str(exc)) from None
        raise click.UsageError(str(exc)) from None


def _open(url: str) -> HistoryStore:
    try:
        return HistoryStore.open(url)
    except StoreError as exc:
        raise StoreFailure(str(exc)) from None


def _history_url(inventory_path: Path, history: str | None) -> str:
    if history:
        return history
    return str(_inventory(inventory_path).history_url)


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint="--at") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


inventory_option = click.option(
    "--inventory", "-i", "inventory_path", type=click.Path(path_type=Path),
    default=lambda: os.environ.get("MAILTLS_INVENTORY", DEFAULT_INVENTORY),
    show_default=DEFAULT_INVENTORY, metavar="FILE",
    help="The inventory (TOML); also MAILTLS_INVENTORY.")
history_option = click.option(
    "--history", metavar="URL",
    help="History database (sqlite:///PATH or postgresql://...); default: the inventory's.")
lang_option = click.option("--lang", metavar="LANG", help="Language: en or zh_CN.")


@click.group("monitor")
def monitor_command() -> None:
    """Watch every mail certificate: passes with memory, change alerts, notifications."""


@monitor_command.command("init")
@click.argument("file", type=click.Path(path_type=Path), default=DEFAULT_INVENTORY)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@lang_option
def init_command(file: Path, force: bool, lang: str | None) -> None:
    """Write a commented example inventory to FILE."""
    from ..monitor import EXAMPLE

    if file.exists() and not force:
        raise click.UsageError(f"{file} exists; use --force to overwrite it")
    try:
        file.write_text(EXAMPLE)
    except OSError as exc:
        raise click.ClickException(f"{file}: cannot write it ({exc.strerror})") from None
    click.echo(tr("Wrote an example inventory to {path}", pick_language(lang)).format(path=file))


@monitor_command.command("run")
@inventory_option
@history_option
@click.option("--json", "as_json", is_flag=True, help="JSON output (schema 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "ecs"]), default=None,
              help="Output: text, json (as --json) or ecs (Elastic Common Schema, NDJSON).")
@click.option("--at", "at_time", metavar="TIME", help="Judge as of this ISO 8601 time.")
@click.option("--quiet", "-q", is_flag=True, help="Only notifications and errors.")
@lang_option
def run_command(inventory_path: Path, history: str | None, as_json: bool, fmt: str | None,
                at_time: str | None, quiet: bool, lang: str | None) -> None:
    """One monitoring pass: scan, record, alert on changes; exit status as scan."""
    from ..monitor import run_pass
    from ..monitor.notify import events_of, send_all

    language = pick_language(lang)
    inventory = _inventory(inventory_path)
    store = _open(history or inventory.history_url)
    try:
        report = asyncio.run(run_pass(inventory, store, now=_time(at_time)))
    except StoreError as exc:
        raise StoreFailure(str(exc)) from None
    finally:
        store.close()
    as_json = as_json or fmt in ("json", "ecs")
    echo = (lambda text: click.echo(text, err=True)) if as_json else click.echo
    problems = send_all(events_of(report), inventory.notify, language, echo)
    for problem in [*report.errors, *problems]:
        click.echo(f"mailtls: {problem}", err=True)
    alerts = [a.finding for a in report.alerts]
    if fmt == "ecs":
        from ..export.ecs import render_scan_ecs

        click.echo(render_scan_ecs(report.results, report.started, language, "mailtls.monitor"))
    elif as_json:
        click.echo(_run_document(report, language))
    elif not quiet:
        _print_run(report.results, alerts, language)
    sys.exit(_status(report.results, alerts))


def _status(results: Sequence[Any], alerts: Sequence[Finding]) -> int:
    from ..scan import exit_status

    scan_status = exit_status(results)
    worst = max((f.severity for f in alerts if not is_internal(f)), default=Severity.INFO)
    if scan_status == 2 or worst >= Severity.CRITICAL:
        return 2
    if scan_status == 3:
        return 3
    return 1 if scan_status == 1 or worst >= Severity.MEDIUM else 0


def _run_document(report: Any, lang: str) -> str:
    from ..export.json import render_scan

    doc = json.loads(render_scan(report.results, lang, errors=report.errors,
                                 as_of=report.started, interrupted=report.interrupted))
    doc["monitor"] = {
        "schema": SCHEMA,
        "pass": report.pass_id,
        "alerts": [_alert_dict(a.endpoint, a.key, a.finding, lang) for a in report.alerts],
        "raised": [a.key + " " + a.endpoint for a in report.raised],
        "resolved": [a.key + " " + a.endpoint for a in report.resolved],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _alert_dict(endpoint: str, key: str, finding: Finding, lang: str) -> dict[str, Any]:
    from ..export.json import finding_dict

    return {"endpoint": endpoint, "key": key, **finding_dict(finding, lang)}


def _print_run(results: Sequence[Any], alerts: Sequence[Finding], lang: str) -> None:
    from rich.console import Console

    from .render import render_notes, render_table

    console = Console()
    render_table(results, console, lang)
    if alerts:
        render_notes(alerts, console, lang)


@monitor_command.command("daemon")
@inventory_option
@history_option
@lang_option
def daemon_command(inventory_path: Path, history: str | None, lang: str | None) -> None:
    """Passes on the inventory's schedule; SIGHUP reloads, SIGTERM stops."""
    from ..monitor.daemon import Daemon

    _inventory(inventory_path)  # a bad file is a usage error before anything starts

    def warn(text: str) -> None:
        click.echo(text, err=True)

    daemon = Daemon(inventory_path, history, lang=pick_language(lang), say=click.echo,
                    warn=warn)
    try:
        sys.exit(daemon.run())
    except StoreError as exc:
        raise StoreFailure(str(exc)) from None


@monitor_command.command("history")
@click.argument("target")
@inventory_option
@history_option
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True,
              help="Newest observations shown.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (schema 1).")
@lang_option
def history_command(target: str, inventory_path: Path, history: str | None, limit: int,
                    as_json: bool, lang: str | None) -> None:
    """The timeline of TARGET: every observation, newest first, with baselines."""
    endpoint = _endpoint(target)
    language = pick_language(lang)
    store = _open(_history_url(inventory_path, history))
    try:
        records = store.timeline(endpoint, limit)
        baselines = store.baseline_history(endpoint)
    except StoreError as exc:
        raise StoreFailure(str(exc)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({
            "schema": SCHEMA, "endpoint": endpoint,
            "observations": [_record_dict(r) for r in records],
            "baselines": [_baseline_dict(b) for b in baselines],
        }, ensure_ascii=False, indent=2))
        return
    if not records:
        click.echo(tr("No observation of {target} in the history.", language)
                   .format(target=endpoint))
        return
    _print_history(records, baselines, language)


def _endpoint(text: str) -> str:
    from ..errors import TargetError
    from ..targets import parse_target

    try:
        return parse_target(text).url
    except TargetError as exc:
        raise click.BadParameter(str(exc), param_hint="TARGET") from None


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when else None


def _record_dict(r: ObservationRecord) -> dict[str, Any]:
    return {
        "time": _iso(r.observed_at), "address": r.address, "tested": r.tested,
        "verified": r.verified, "error": r.error_id, "leaf_sha256": r.leaf_sha256,
        "spki_sha256": r.spki_sha256, "chain_sha256": list(r.chain_sha256),
        "subject": r.subject, "issuer": r.issuer, "serial": r.serial,
        "not_before": _iso(r.not_before), "not_after": _iso(r.not_after),
        "tls_version": r.tls_version, "cipher": r.cipher, "duration": r.duration,
        "findings": [{"id": f, "severity": s.label} for f, s in r.findings],
        "pass": r.pass_id,
    }


def _baseline_dict(b: Any) -> dict[str, Any]:
    return {"leaf_sha256": b.leaf_sha256, "spki_sha256": b.spki_sha256, "issuer": b.issuer,
            "verified": b.verified, "legacy": list(b.legacy), "observed": _iso(b.observed_at),
            "accepted": _iso(b.accepted_at), "by": b.accepted_by, "reason": b.reason}


def _print_history(records: Sequence[ObservationRecord], baselines: Sequence[Any],
                   lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(show_lines=False)
    for column in ("Time", "Address", "TLS", "Leaf SHA-256", "Issuer", "Not after",
                   "Findings", "Duration"):
        table.add_column(tr(column, lang))
    for r in records:
        worst = [f for f, s in r.findings if s >= Severity.MEDIUM] or [
            f for f, _ in r.findings][:1]
        table.add_row(_iso(r.observed_at) or "", r.address or "-", r.tls_version or "-",
                      (r.leaf_sha256 or "-")[:16], r.issuer or "-",
                      (_iso(r.not_after) or "-")[:10], ", ".join(worst), f"{r.duration:.2f}s")
    console.print(table)
    for b in baselines:
        console.print(tr("baseline accepted by {who} at {time}: {reason}", lang).format(
            who=b.accepted_by, time=_iso(b.accepted_at), reason=b.reason)
            + f" ({(b.leaf_sha256 or '-')[:16]})", markup=False, highlight=False)


@monitor_command.command("accept")
@click.argument("target")
@click.option("--reason", required=True, metavar="TEXT", help="Why (recorded with the baseline).")
@click.option("--by", "who", metavar="NAME", help="Who accepts (default: the login name).")
@inventory_option
@history_option
@lang_option
def accept_command(target: str, reason: str, who: str | None, inventory_path: Path,
                   history: str | None, lang: str | None) -> None:
    """Make the current certificate of TARGET the new baseline (quiets cert.changed)."""
    from ..monitor import accept

    endpoint = _endpoint(target)
    language = pick_language(lang)
    if not reason.strip():
        raise click.BadParameter("give a reason", param_hint="--reason")
    who = who or os.environ.get("SUDO_USER") or getpass.getuser()
    store = _open(_history_url(inventory_path, history))
    try:
        baseline = accept(store, endpoint, who, reason.strip(), dt.datetime.now(dt.UTC))
    except StoreError as exc:
        raise StoreFailure(str(exc)) from None
    finally:
        store.close()
    if baseline is None:
        raise click.UsageError(tr("No observation of {target} in the history.", language)
                               .format(target=endpoint))
    click.echo(tr("Accepted the current certificate of {target} as the new baseline.",
                  language).format(target=endpoint))


def describe_alert(finding: Finding, lang: str) -> str:
    """One line for an alert (title and detail), for views that list alerts."""
    text = describe(finding, lang)
    return f"{text.title}: {text.detail}"
