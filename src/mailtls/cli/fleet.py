"""``mailtls fleet``: enqueue, worker, status, export (see docs/fleet.md).

Argument parsing and terminal output only; the work is in :mod:`mailtls.fleet`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import threading
from pathlib import Path
from typing import Any

import click

from ..catalog import pick_language, tr
from ..errors import MailtlsError, TargetError
from ..fleet.plan import Plan, default_scan_id
from ..fleet.polite import Politeness, lock_ttl
from ..fleet.resolve import read_domains_file, resolve_domains, resolve_targets
from ..fleet.storage import FleetStorage, open_storage
from ..fleet.worker import Settings
from ..targets import read_targets_file
from .exits import readable_file

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|min|h|hour)\s*$")
_WINDOWS = {"s": 1, "sec": 1, "min": 60, "h": 3600, "hour": 3600}


def parse_rate(text: str) -> tuple[int, int]:
    """``N/min`` (or ``N/s``, ``N/h``) -> (N, window in seconds)."""
    m = _RATE.match(text)
    if not m or int(m.group(1)) < 1:
        raise click.BadParameter(f"{text!r}: expected N/min, N/s or N/h with N >= 1")
    return int(m.group(1)), _WINDOWS[m.group(2)]


def _storage(where: str) -> FleetStorage:
    try:
        return open_storage(where)
    except (MailtlsError, OSError) as exc:
        raise click.ClickException(f"--results {where}: {exc}") from None


def _fleet(broker: str | None, heartbeat: float = 60.0) -> Any:
    if broker is not None and not broker.startswith(("redis://", "rediss://", "unix://")):
        raise click.BadParameter(f"{broker!r}: expected redis://HOST:PORT/DB",
                                 param_hint="--broker")
    from ..fleet.queue import make_fleet

    fleet = make_fleet(broker, heartbeat_ms=int(heartbeat * 1000))
    if broker is not None:
        try:
            fleet.broker.client.ping()  # type: ignore[attr-defined]
        except Exception as exc:
            raise click.ClickException(f"--broker {broker}: cannot reach Redis ({exc})") from None
    return fleet


@click.group("fleet")
def fleet_command() -> None:
    """Scan every MX of many domains, politely, on a task queue (Dramatiq, Redis).

    Without --broker everything runs in this process, on one machine.
    """


def _plan(scan_id: str, domains: Path | None, targets: Path | None, resolver: tuple[str, ...],
          mx_port: int) -> tuple[Plan, list[str]]:  # fmt: skip
    plan = Plan(scan_id)
    try:
        if domains is not None:
            names, errors = read_domains_file(readable_file(domains, "--domains").read_text(
                encoding="utf-8", errors="replace"))
            errors = [f"--domains {domains}: {e}" for e in errors]
            errors += asyncio.run(resolve_domains(plan, names, resolver, mx_port))
        else:
            assert targets is not None
            found, errors = read_targets_file(readable_file(targets, "--targets"))
            errors += asyncio.run(resolve_targets(plan, found))
    except TargetError as exc:
        raise click.UsageError(str(exc)) from None
    return plan, errors


@fleet_command.command("enqueue")
@click.option("--domains", type=click.Path(path_type=Path), metavar="FILE",
              help="Domains to scan every MX of, one a line.")
@click.option("--targets", type=click.Path(path_type=Path), metavar="FILE",
              help="Targets to scan, one a line, in the forms of mailtls scan.")
@click.option("--broker", metavar="URL", help="redis://HOST:PORT/DB (absent: one machine).")
@click.option("--results", required=True, metavar="URL|DIR",
              help="postgresql://... or a directory of JSON-lines files.")
@click.option("--scan-id", metavar="ID", help="Name of the scan (default: from the input file).")
@click.option("--resolver", multiple=True, metavar="ADDR[:PORT]", help="DNS server to ask.")
@click.option("--mx-port", type=click.IntRange(1, 65535), default=25, show_default=True,
              help="Port to connect to on each MX host.")
@click.option("--rate", default="2/min", show_default=True, metavar="N/min",
              help="Connections per address and per minute (N/s, N/h also).")
@click.option("--per-address", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Connections at once per address.")
@click.option("--backoff", type=click.FloatRange(0.01, 86400), default=60.0, show_default=True,
              help="Seconds to wait after a 421 or a timeout (doubles each time).")
@click.option("--timeout", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True,
              help="Deadline in seconds for each endpoint.")
@click.option("--ca-file", multiple=True, type=click.Path(path_type=Path), metavar="PEM",
              help="Also trust these CA certificates.")
@click.option("--trust", type=click.Choice(["mozilla", "system", "none"]), default="mozilla",
              show_default=True, help="Base trust store ('none': only --ca-file).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the shuffled order of addresses.")
@click.option("--batch", type=click.IntRange(0, 100000), default=50, show_default=True,
              help="Endpoints at most per message (0: all of an address).")
@click.option("--max-depth", type=click.IntRange(1, 10**8), default=10000, show_default=True,
              help="Messages at most on the queue; enqueueing waits above it.")
@click.option("--threads", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Worker threads (one machine, without --broker).")
@click.option("--politeness-log", type=click.Path(path_type=Path), metavar="FILE",
              help="Append one JSON line per connection to FILE.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def enqueue_command(domains: Path | None, targets: Path | None, broker: str | None, results: str,
                    scan_id: str | None, resolver: tuple[str, ...], mx_port: int, rate: str,
                    per_address: int, backoff: float, timeout: float, ca_file: tuple[Path, ...],
                    trust: str, seed: int, batch: int, max_depth: int, threads: int,
                    politeness_log: Path | None, lang: str | None) -> None:  # fmt: skip
    """Plan the scan (domains -> MX -> addresses) and queue one message per address.

    Endpoints already in --results are skipped: run it again to resume. Without --broker
    the scan runs here and the command ends when it is done.
    """
    language = pick_language(lang)
    if (domains is None) == (targets is None):
        raise click.UsageError("give exactly one of --domains FILE and --targets FILE")
    if trust == "none" and not ca_file:
        raise click.UsageError("--trust none needs at least one --ca-file")
    for path in ca_file:
        readable_file(path, "--ca-file")
    limit, window = parse_rate(rate)
    source = domains if domains is not None else targets
    assert source is not None
    scan_id = scan_id or default_scan_id([str(source.resolve())])
    plan, errors = _plan(scan_id, domains, targets, resolver, mx_port)
    for error in errors:
        click.echo(error, err=True)
    polite = Politeness(rate=limit, window=window, per_address=per_address, backoff=backoff,
                        lock_ttl=lock_ttl(timeout))  # fmt: skip
    settings = Settings(results, trust, tuple(str(p.resolve()) for p in ca_file), timeout,
                        polite=polite,
                        log=str(politeness_log.resolve()) if politeness_log else None)
    store = _storage(results)
    fleet = _fleet(broker)
    from ..fleet.queue import enqueue, run_local

    def send_all() -> Any:
        return enqueue(fleet, plan, store, settings, seed=seed, batch=batch, max_depth=max_depth)

    sent = send_all() if broker else run_local(fleet, send_all, threads)
    click.echo(tr("Scan {scan_id}: {planned} endpoints on {addresses} addresses, {done} already "
                  "done, {sent} queued in {jobs} messages.", language).format(
        scan_id=scan_id, planned=sent.planned, addresses=len(plan.by_address),
        done=sent.already_done, sent=sent.endpoints, jobs=sent.jobs))  # fmt: skip
    if not broker:
        _print_status(store, scan_id, language)


@fleet_command.command("worker")
@click.option("--broker", required=True, metavar="URL", help="The Redis broker: redis://HOST:PORT/DB.")
@click.option("--threads", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Address jobs at once in this process.")
@click.option("--heartbeat", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds after which a silent worker's messages go to another worker.")
def worker_command(broker: str, threads: int, heartbeat: float) -> None:
    """Take address jobs from the queue until interrupted (SIGINT or SIGTERM)."""
    fleet = _fleet(broker, heartbeat)
    from ..fleet.queue import worker

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    w = worker(fleet, threads)
    click.echo(f"worker {os.getpid()} ready", err=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        w.stop()


def _print_status(store: FleetStorage, scan_id: str, language: str) -> dict[str, int]:
    planned = {(a, p, s) for _, a, p, s in store.domains(scan_id)}
    done = store.done_keys(scan_id)
    counts = {"planned": len(planned), "done": len(done & planned) if planned else len(done),
              "domains": len({d for d, *_ in store.domains(scan_id) if d})}  # fmt: skip
    counts["left"] = max(0, counts["planned"] - counts["done"])
    click.echo(tr("Scan {scan_id}: {done} of {planned} endpoints done, {left} left "
                  "({domains} domains).", language).format(scan_id=scan_id, **counts))
    return counts


@fleet_command.command("status")
@click.option("--results", required=True, metavar="URL|DIR", help="Where the results are.")
@click.option("--scan-id", required=True, metavar="ID", help="Name of the scan.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def status_command(results: str, scan_id: str, as_json: bool, lang: str | None) -> None:
    """Count the endpoints planned, done and left."""
    store = _storage(results)
    if as_json:
        planned = {(a, p, s) for _, a, p, s in store.domains(scan_id)}
        done = store.done_keys(scan_id)
        click.echo(json.dumps({"schema": 1, "scan_id": scan_id, "planned": len(planned),
                               "done": len(done), "left": len(planned - done)}))  # fmt: skip
        return
    _print_status(store, scan_id, pick_language(lang))


@fleet_command.command("export")
@click.option("--results", required=True, metavar="URL|DIR", help="Where the results are.")
@click.option("--scan-id", required=True, metavar="ID", help="Name of the scan.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "domains"]), default="jsonl",
              show_default=True, help="jsonl: one scan --json result per endpoint; "
              "domains: one line per (domain, endpoint).")
@click.option("--output", "-o", type=click.Path(path_type=Path), metavar="FILE",
              help="Write to FILE (completed by rename) instead of standard output.")
def export_command(results: str, scan_id: str, fmt: str, output: Path | None) -> None:
    """Write the results: exactly one record per (address, port, SNI) endpoint."""
    store = _storage(results)
    if fmt == "jsonl":
        lines = (json.dumps(r, sort_keys=True) + "\n" for _, r in store.results(scan_id))
    else:
        lines = (json.dumps({"domain": d, "address": a, "port": p, "sni": s}) + "\n"
                 for d, a, p, s in store.domains(scan_id))  # fmt: skip
    if output is None:
        for line in lines:
            click.echo(line, nl=False)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(tmp, output)
    except OSError as exc:
        raise click.ClickException(f"--output {output}: cannot write it ({exc.strerror})") from None
