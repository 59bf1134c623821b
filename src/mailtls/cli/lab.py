"""``mailtls lab``: local endpoints with a throwaway CA, one per certificate situation."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..catalog import pick_language, tr
from ..export.json import render_scan
from ..lab.run import LabThread, serve_forever
from ..lab.servers import Endpoint, Lab
from ..model import ScanResult
from ..scan import ScanOptions, scan
from ..targets import parse_target
from ..verify import TrustStore
from .lines import emit, plain, whole
from .render import render_details, render_summary, render_table


def _endpoint_table(lab: Lab, console: Console, lang: str = "en") -> None:
    """The endpoints (a table on a terminal, one ``URL EXPECTED-ID SITUATION`` line each in a
    pipe), then the files and the scan command, never wrapped so that they copy whole."""
    if plain(console):
        for e in lab.endpoints:
            emit(console, f"{e.url} {e.expect} {e.description}")
    else:
        table = Table(title="mailtls lab", header_style="bold")
        table.add_column("URL", no_wrap=True)
        table.add_column(tr("situation", lang))
        table.add_column(tr("expected finding", lang), no_wrap=True)
        for e in lab.endpoints:
            table.add_row(e.url, e.description, e.expect)
        console.print(table)
    targets = lab.directory / "targets.txt"
    whole(console, tr("CA: {path}", lang).format(path=lab.ca_file))
    whole(console, tr("targets: {path}", lang).format(path=targets))
    command = f"mailtls scan --ca-file {lab.ca_file} --targets {targets}"
    whole(console, tr("Scan it: {command}", lang).format(command=command))


def primary_id(result: ScanResult) -> str:
    primary = next((f for f in result.findings if f.primary), None)
    if primary is not None:
        return primary.id
    return result.findings[0].id if result.findings else "-"


def _check(
    endpoints: list[Endpoint], results: list[ScanResult], console: Console, lang: str
) -> int:
    wrong = [(e, r) for e, r in zip(endpoints, results, strict=True) if primary_id(r) != e.expect]
    for e, r in wrong:
        text = tr("MISMATCH {url}: expected {expected}, got {got}", lang)
        emit(console, Text(text.format(url=e.url, expected=e.expect, got=primary_id(r)), "red"))
    style = "green" if not wrong else "red"
    matched = len(endpoints) - len(wrong)
    text = tr("{matched}/{total} diagnoses match what the lab set up", lang)
    emit(console, Text(text.format(matched=matched, total=len(endpoints)), style))
    return 1 if wrong else 0


def _scan_lab(directory: Path, as_json: bool, lang: str) -> int:
    with LabThread(directory) as lab:
        targets = [parse_target(e.url) for e in lab.endpoints]
        store = TrustStore.build("mozilla", [lab.ca_file])
        results = asyncio.run(scan(targets, ScanOptions(store=store, timeout=10.0)))
    if as_json:
        click.echo(render_scan(results, lang))
        return 0
    console = Console()
    lab_ca = tr("Lab CA: {path} (trusted with --ca-file, as for a private CA)", lang)
    whole(console, lab_ca.format(path=lab.ca_file))
    emit(console, "")
    render_table(results, console, lang)
    render_details(results, console, lang)
    render_summary(results, console, lang)
    return _check(lab.endpoints, results, console, lang)


@click.command("lab")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the CA, certificates and targets.txt (default: a temp dir).",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on."
)
@click.option(
    "--port",
    "base_port",
    type=click.IntRange(0, 65000),
    default=0,
    help="First port (consecutive ports follow); 0 picks free ports.",
)
@click.option(
    "--scan",
    "run_scan",
    is_flag=True,
    help="Start the lab, scan every endpoint with its CA trusted, print, stop.",
)
@click.option("--json", "as_json", is_flag=True, help="With --scan: JSON output.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def lab_command(
    directory: Path | None,
    host: str,
    base_port: int,
    run_scan: bool,
    as_json: bool,
    lang: str | None,
) -> None:
    """Run local SMTP, IMAP and POP3 endpoints, one per certificate problem.

    Everything listens on loopback; nothing needs root. With --scan, the lab is
    scanned at once and each diagnosis is compared with what the lab set up.
    """
    language = pick_language(lang)
    if not host.startswith("127."):
        raise click.UsageError(tr("--host must be a loopback address (127.0.0.0/8)", language))
    with tempfile.TemporaryDirectory(prefix="mailtls-lab-") as tmp:
        where = directory or Path(tmp)
        if run_scan:
            sys.exit(_scan_lab(where, as_json, language))
        console = Console()

        def ready(lab: Lab) -> None:
            _endpoint_table(lab, console, language)
            console.print(tr("Press Ctrl-C to stop.", language))

        serve_forever(where, host, base_port, ready=ready)
