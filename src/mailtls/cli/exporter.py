"""``mailtls exporter``: Prometheus metrics of mail endpoints (see docs/exporter.md).

Two ways to feed it, together or alone:
- ``/probe?target=URL`` scans on each scrape (blackbox_exporter's multi-target pattern),
  for targets of the inventory or matching ``--allow``;
- ``--inventory FILE`` (the monitor's TOML) or ``--targets FILE`` (one target per line):
  passes on a schedule, ``/metrics`` serves the last results.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import click
from prometheus_client.exposition import ThreadingWSGIServer

from ..catalog import pick_language, tr
from ..errors import ConfigError, TargetError
from ..model import Target
from ..scan import ScanOptions
from ..targets import parse_resolve, read_targets_file
from ..verify import TrustStore
from .exits import InputFileError, readable_file
from .exporter_app import Allow, App, ChangeMemory, Limits, ScanLoop, Schedule

if TYPE_CHECKING:
    from ..monitor.inventory import Inventory


def _from_inventory(plan: Scheduled, forced: dict[tuple[str, int], str]
                    ) -> tuple[ChangeMemory, Callable[[], Awaitable[list[Target]]] | None]:
    """The change memory (from the monitor's history when the inventory has one) and, for
    an inventory with [[domain]] entries, the MX expansion before each pass."""
    if plan.inventory is None:
        return ChangeMemory(), None
    from .exporter_inventory import expander, open_history

    history = open_history(plan.inventory, log)
    expand = expander(plan.inventory, plan.extra, forced, log) if plan.inventory.domains \
        else None
    return ChangeMemory(lookup=history), expand


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # one line per scrape: too much
        pass


class _Server(ThreadingWSGIServer):
    daemon_threads = True
    request_queue_size = 64


class _Server6(_Server):
    import socket

    address_family = socket.AF_INET6


def parse_listen(text: str) -> tuple[str, int]:
    """``ADDR:PORT`` or ``[V6]:PORT`` -> (address, port); UsageError naming it otherwise."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.UsageError(tr("--listen {listen}: expected ADDRESS:PORT").format(listen=text))
    return host, int(port)


def inventory_targets(path: Path) -> tuple[list[Target], float, tuple[Path, ...]]:
    """The endpoints of a monitor inventory, its pass interval and its CA files.

    The monitor's loader reads and checks the file (errors name the file and line);
    ``[[domain]]`` entries are expanded before each pass (exporter_inventory.expander).
    """
    from ..monitor.inventory import load_inventory  # only --inventory pays for it

    inventory = load_inventory(path)
    ca_files = tuple(dict.fromkeys([*(ca for e in inventory.endpoints for ca in e.ca_files),
                                    *(ca for d in inventory.domains for ca in d.ca_files)]))
    return [e.target for e in inventory.endpoints], inventory.every, ca_files


@dataclass
class Scheduled:
    targets: list[Target] = field(default_factory=list)
    every: float = 3600.0
    ca_files: tuple[Path, ...] = ()
    inventory: Inventory | None = None  # with --inventory: domains, history
    extra: list[Target] = field(default_factory=list)  # from --targets


def _scheduled(inventory: Path | None, targets_file: Path | None, interval: float | None
               ) -> Scheduled:  # fmt: skip
    plan = Scheduled()
    if inventory is not None:
        from ..monitor.inventory import load_inventory

        readable_file(inventory, "--inventory")
        try:
            plan.targets, plan.every, plan.ca_files = inventory_targets(inventory)
            plan.inventory = load_inventory(inventory)
        except (ConfigError, TargetError) as exc:
            raise InputFileError(str(exc)) from None
    if targets_file is not None:
        readable_file(targets_file, "--targets")
        more, errors = read_targets_file(targets_file)
        if errors:
            raise click.UsageError("; ".join(errors[:5]))
        plan.extra = more
        plan.targets += more
    plan.targets = list(dict.fromkeys(plan.targets))
    plan.every = interval or plan.every
    return plan


@click.command("exporter")
@click.option("--listen", default="127.0.0.1:9725", show_default=True, metavar="ADDR:PORT",
              help="Address and port to serve /metrics and /probe on.")
@click.option("--allow", multiple=True, metavar="PATTERN",
              help="/probe may scan targets matching PATTERN: a host glob (*.example.org) "
              "or a URL glob (smtp://mx*.example.org:25). Repeatable.")
@click.option("--inventory", type=click.Path(path_type=Path), metavar="FILE",
              help="Scan the monitor inventory's endpoints on its schedule; /probe may scan "
              "them too.")
@click.option("--targets", "targets_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Scan these targets (one per line) on a schedule.")
@click.option("--interval", type=click.FloatRange(1, 7 * 86400), metavar="SECONDS",
              help="Seconds between scheduled passes (default: the inventory's, else 3600).")
@click.option("--timeout", type=click.FloatRange(0.5, 600), default=30.0, show_default=True,
              help="Deadline per endpoint (a /probe also fits the scrape timeout).")
@click.option("--max-probes", type=click.IntRange(1, 1000), default=4, show_default=True,
              help="/probe requests scanning at once; more get 503.")
@click.option("--max-targets", type=click.IntRange(1, 10000), default=50, show_default=True,
              help="Targets in one /probe request.")
@click.option("--concurrency", type=click.IntRange(1, 10000), default=50, show_default=True,
              help="Endpoints scanned at once.")
@click.option("--ca-file", multiple=True, type=click.Path(path_type=Path), metavar="PEM",
              help="Also trust the CA certificates in PEM (a private CA).")
@click.option("--trust", type=click.Choice(["mozilla", "system", "none"]), default="mozilla",
              show_default=True, help="Base trust store ('none': only --ca-file).")
@click.option("--resolve", multiple=True, metavar="HOST:PORT:ADDR",
              help="Connect to ADDR for HOST:PORT while verifying HOST (as curl).")
@click.option("--warn-days", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="Count cert.expires_soon this many days before expiry.")
@click.option("--lang", metavar="LANG", help="Language of messages: en or zh_CN.")
def exporter_command(
    listen: str, allow: tuple[str, ...], inventory: Path | None, targets_file: Path | None,
    interval: float | None, timeout: float, max_probes: int, max_targets: int,
    concurrency: int, ca_file: tuple[Path, ...], trust: str, resolve: tuple[str, ...],
    warn_days: int, lang: str | None,
) -> None:
    """Serve Prometheus metrics of mail endpoints: /probe?target=URL and /metrics.

    Metrics stay present when verification fails (mailtls_cert_verified 0). SIGTERM or
    Ctrl-C stops it.
    """
    language = pick_language(lang)
    host, port = parse_listen(listen)
    plan = _scheduled(inventory, targets_file, interval)
    scheduled, every, inv_ca = plan.targets, plan.every, plan.ca_files
    domains = plan.inventory is not None and bool(plan.inventory.domains)
    if not (allow or scheduled or domains):
        raise click.UsageError(tr("nothing to probe: give --allow PATTERN, --targets FILE or "
                                  "--inventory FILE", language))  # fmt: skip
    for path in ca_file:
        readable_file(path, "--ca-file")
    try:
        forced = tuple(parse_resolve(r) for r in resolve)
        store = TrustStore.build(trust, (*ca_file, *inv_ca))
    except TargetError as exc:
        raise click.UsageError(str(exc)) from None
    except ConfigError as exc:
        raise InputFileError(str(exc)) from None
    options = ScanOptions(store=store, timeout=timeout, concurrency=concurrency,
                          warn_days=warn_days)  # fmt: skip
    forced_map = dict(forced)
    scheduled = [t if t.address or (t.host, t.port) not in forced_map
                 else Target(t.scheme, t.host, t.port, forced_map[(t.host, t.port)])
                 for t in scheduled]  # fmt: skip
    _serve(host, port, options, scheduled, every, Allow(allow, frozenset(t.url for t in
           scheduled)), Limits(timeout, max_probes, max_targets, forced, language),
           plan)  # fmt: skip


def log(text: str) -> None:
    click.echo(f"mailtls exporter: {text}", err=True)


def _serve(host: str, port: int, options: ScanOptions, scheduled: list[Target], every: float,
           allow: Allow, limits: Limits, plan: Scheduled | None = None) -> None:  # fmt: skip
    memory, expand = _from_inventory(plan or Scheduled(), dict(limits.resolve))
    loop = ScanLoop(options, memory)
    schedule = (Schedule(loop, scheduled, every, log, limits.lang, expand)
                if scheduled or expand else None)
    if schedule is not None and plan is not None and plan.inventory is not None:
        from .exporter_domains import domain_source

        schedule.domains = domain_source(plan.inventory, log)
    app = App(loop, allow, limits, schedule)
    server_class = _Server6 if ":" in host else _Server
    try:
        server = make_server(host, port, app, server_class, handler_class=_Quiet)
    except OSError as exc:
        raise click.UsageError(f"--listen {host}:{port}: {exc.strerror}") from None
    stop = threading.Event()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    previous = signal.signal(signal.SIGTERM, shutdown)
    if schedule is not None:
        schedule.start()
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{server.server_port}"
    log(tr("mailtls exporter listening on http://{address}/ (metrics: /metrics, probes: "
           "/probe)", limits.lang).format(address=shown))  # fmt: skip
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        log(tr("stopping", limits.lang))
        if schedule is not None:
            schedule.stop()
        server.server_close()
        loop.stop()
    sys.exit(0)
