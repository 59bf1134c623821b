"""``mailtls logs FILE...``: what Postfix and Dovecot logs say about TLS.

Terminal view (rich), ``--json`` (schema 1, schemas/logs-1.json) or ``--format ecs`` (one
Elastic Common Schema document per event, NDJSON, streamed while reading).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from ..catalog import describe, pick_language, tr
from ..export.ecs import dumps, log_document
from ..logs.findings import exit_status, findings
from ..logs.parse import Event
from ..logs.stream import Run, read_all
from ..model import Finding

LOGS_SCHEMA = 1
_SHOWN = 30


@click.command("logs")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "ecs"]), default="text",
              show_default=True, help="Output: terminal text, one JSON summary, or one ECS "
              "document per event (NDJSON).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json (schema 1).")
@click.option("--rotated", is_flag=True,
              help="Also read each FILE's rotated siblings (FILE.1, FILE.2.gz, "
              "FILE-YYYYMMDD...), oldest first.")
@click.option("--max-peers", type=click.IntRange(1, 10_000_000), default=10000,
              show_default=True, help="Peers kept apart; more fold into one line.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def logs_command(files: tuple[str, ...], fmt: str, as_json: bool, rotated: bool,
                 max_peers: int, lang: str | None) -> None:
    """Summarise the TLS of mail from Postfix and Dovecot logs.

    FILE is a log (plain, gzip, bzip2 or xz), '-' for standard input, or the output of
    `journalctl -o short-iso` or `-o cat`. Per peer and direction: mail over verified
    TLS, unverified TLS or in clear, failing verification, protocols, AUTH.
    Unknown lines are counted, never fatal; an unreadable FILE is named and the
    others are read (exit status 66).
    """
    language = pick_language(lang)
    fmt = "json" if as_json else fmt
    if files.count("-") > 1:
        raise click.UsageError("'-' (standard input) can be given once")
    sink = _ecs_sink() if fmt == "ecs" else None
    run = read_all(list(files), rotated=rotated, max_peers=max_peers, on_event=sink)
    found = findings(run)
    if fmt == "json":
        click.echo(json.dumps(document(run, found, language), ensure_ascii=False, indent=2))
    elif fmt == "text":
        _print(run, found, language)
    else:
        for f in found:
            if f.id.startswith("logs.input") or f.id in ("logs.binary_input", "logs.long_lines"):
                click.echo(describe(f, language).detail, err=True)
    sys.exit(exit_status(run, found))


def _ecs_sink() -> Any:
    write = sys.stdout.write

    def sink(ev: Event, when: dt.datetime | None, path: str) -> None:
        write(dumps(log_document(ev, when, path)) + "\n")

    return sink


def _finding(f: Finding, lang: str) -> dict[str, Any]:
    text = describe(f, lang)
    return {"id": f.id, "severity": f.severity.label, "title": text.title,
            "detail": text.detail, "remediation": text.remediation,
            "references": list(text.references), "params": dict(f.params)}


def document(run: Run, found: list[Finding], lang: str) -> dict[str, Any]:
    """The ``--json`` document (schemas/logs-1.json)."""
    return {
        "schema": LOGS_SCHEMA,
        "kind": "logs",
        "files": [{"path": s.path, "lines": s.lines, "bytes": s.bytes} for s in run.sources],
        "problems": [{"path": p.path, "kind": p.kind, "detail": p.detail, "count": p.count}
                     for p in run.problems],
        "lines": run.lines,
        "unknown_lines": run.unknown,
        "first": run.first.isoformat() if run.first else None,
        "last": run.last.isoformat() if run.last else None,
        "totals": run.summary.totals(),
        "peers": [p.as_dict() for p in run.summary.peers.values()],
        "findings": [_finding(f, lang) for f in found],
    }


def _print(run: Run, found: list[Finding], lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from .render import render_notes

    console = Console(highlight=False)
    first = run.first.isoformat(" ", "seconds") if run.first else "-"
    last = run.last.isoformat(" ", "seconds") if run.last else "-"
    console.print(tr("{lines} lines, {events} TLS events from {files} files; {first} .. {last}",
                     lang).format(lines=run.lines, events=run.summary.events,
                                  files=len(run.sources), first=first, last=last))
    peers = sorted(run.summary.peers.values(),
                   key=lambda p: (p.direction, -sum(p.mail.values()) - sum(p.sessions.values())))
    if not peers:
        console.print(tr("No TLS events found.", lang))
    else:
        table = Table(*(tr(h, lang) for h in (
            "Direction", "Peer", "Verified", "Unverified", "Clear", "Failed", "Protocols",
            "AUTH over TLS", "AUTH in clear")))
        for p in peers[:_SHOWN]:
            failed = p.sessions["failed"] + p.sessions["verify_failed"]
            table.add_row(tr(p.direction, lang), p.peer, str(p.mail["verified"]),
                          str(p.mail["unverified"]), str(p.mail["clear"]), str(failed),
                          " ".join(sorted(p.protocols)), str(p.auth["tls"]),
                          str(p.auth["clear"]))
        console.print(table)
        if len(peers) > _SHOWN:
            console.print(tr("{count} more peers: see --json", lang).format(
                count=len(peers) - _SHOWN))
    render_notes(found, console, lang)
