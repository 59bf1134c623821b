"""``mailtls zabbix``: discovery JSON and trapper values for Zabbix (see docs/zabbix.md).

- ``discovery --inventory FILE`` prints the low-level-discovery rows of the inventory's
  endpoints (domains expanded to their MX hosts now);
- ``send --server HOST[:PORT] --inventory FILE [--host NAME]`` does one monitoring pass
  (mailtls.monitor.run_pass: scan, history, alerts) and pushes the discovery rows and the
  item values to the Zabbix server or proxy through the trapper protocol (zabbix_utils).

Exit statuses of ``send``: 0 every value accepted, 1 some refused (items the server does
not know yet), 3 nothing delivered (server unreachable, refused the connection, the
history database unusable); 64 usage error, 66 inventory unreadable.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ..catalog import pick_language, tr
from ..errors import ConfigError
from ..export.zabbix import DISCOVERY_KEY, Discovered, Value, discovery_json, item_values
from ..model import Finding
from .monitor import StoreFailure, _inventory, _open

DEFAULT_PORT = 10051


class SendFailure(click.ClickException):
    """Nothing reached Zabbix: exit 3, one line naming the server."""

    exit_code = 3

    def show(self, file: object = None) -> None:
        click.echo(f"mailtls: {self.format_message()}", err=True)


def parse_server(text: str, lang: str = "en") -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[V6]`` or ``[V6]:PORT`` -> (host, port)."""
    text = text.strip()
    host, port = text, str(DEFAULT_PORT)
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        host = inside if bracket else ""
        if rest:
            port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(tr("{server}: expected HOST[:PORT]", lang).format(
            server=text), param_hint="--server")
    return host, int(port)


def discovered(endpoints: Sequence[Any]) -> list[Discovered]:
    """The inventory's endpoints (mailtls.monitor.Endpoint) as discovery rows."""
    return [Discovered(e.target.url, e.target.scheme, e.target.host, e.target.port,
                       e.target.address, e.limits.warn_days, e.limits.crit_days, e.tags)
            for e in endpoints]


def _expand(inventory: Any) -> tuple[list[Discovered], list[str]]:
    from ..monitor import expand

    endpoints, errors = asyncio.run(expand(inventory))
    return discovered(endpoints), errors


inventory_option = click.option(
    "--inventory", "-i", "inventory_path", type=click.Path(path_type=Path), required=True,
    metavar="FILE", help="The monitor inventory (TOML) naming the endpoints.")
lang_option = click.option("--lang", metavar="LANG", help="Language: en or zh_CN.")


@click.group("zabbix")
def zabbix_command() -> None:
    """Zabbix: low-level discovery and trapper values (template in contrib/zabbix)."""


@zabbix_command.command("discovery")
@inventory_option
@lang_option
def discovery_command(inventory_path: Path, lang: str | None) -> None:
    """Print the low-level-discovery JSON of the inventory's endpoints."""
    rows, errors = _expand(_inventory(inventory_path))
    for problem in errors:
        click.echo(f"mailtls: {problem}", err=True)
    click.echo(discovery_json(rows))


@zabbix_command.command("send")
@click.option("--server", required=True, metavar="HOST[:PORT]",
              help="Zabbix server or proxy (trapper port, 10051 by default).")
@inventory_option
@click.option("--host", "zabbix_host", metavar="NAME",
              help="The Zabbix host the template is linked to (default: this machine's "
              "name).")
@click.option("--history", metavar="URL",
              help="History database (sqlite:///PATH or postgresql://...); default: the "
              "inventory's.")
@click.option("--timeout", type=click.IntRange(1, 600), default=10, show_default=True,
              help="Seconds to wait for the Zabbix server.")
@click.option("--dry-run", is_flag=True,
              help="Scan and print the values as JSON lines; send nothing.")
@lang_option
def send_command(server: str, inventory_path: Path, zabbix_host: str | None,
                 history: str | None, timeout: int, dry_run: bool, lang: str | None) -> None:
    """One monitoring pass; send discovery and values to Zabbix (trapper protocol)."""
    language = pick_language(lang)
    address = parse_server(server, language)
    host = zabbix_host or socket.gethostname()
    inventory = _inventory(inventory_path)
    rows, errors = _expand(inventory)
    values, when = _pass(inventory, history, language)
    for problem in errors:
        click.echo(f"mailtls: {problem}", err=True)
    clock = int(when.timestamp())
    batch = [Value(DISCOVERY_KEY, discovery_json(rows)), *values]
    if dry_run:
        for v in batch:
            click.echo(json.dumps({"host": host, "key": v.key, "value": v.value,
                                   "clock": clock}, ensure_ascii=False))
        return
    processed, failed, total = _send(address, host, batch, clock, timeout, language)
    click.echo(tr("Zabbix {server}: {processed} of {total} values accepted for host {host}",
                  language).format(server=server, processed=processed, total=total,
                                   host=host))
    if failed:
        click.echo(tr("values refused: {failed}. Link the template \"mailtls TLS\" to host "
                      "{host}; items discovered now accept values after the server's next "
                      "configuration update", language).format(failed=failed, host=host),
                   err=True)
        sys.exit(1)


def _pass(inventory: Any, history: str | None, lang: str) -> tuple[list[Value], dt.datetime]:
    """One monitoring pass (history, alerts, notifications) -> the item values and its time."""
    from ..monitor import run_pass
    from ..monitor.notify import events_of, send_all
    from ..store import StoreError

    store = _open(history or inventory.history_url)
    try:
        report = asyncio.run(run_pass(inventory, store))
    except StoreError as exc:
        raise StoreFailure(str(exc)) from None
    except ConfigError as exc:  # e.g. trust "none" and an entry without ca_file
        raise click.UsageError(f"{inventory.path}: {exc}") from None
    finally:
        store.close()
    for problem in send_all(events_of(report), inventory.notify, lang,
                            lambda text: click.echo(text, err=True)):
        click.echo(f"mailtls: {problem}", err=True)
    alerts: dict[str, list[Finding]] = {}
    for a in report.alerts:
        alerts.setdefault(a.endpoint, []).append(a.finding)
    when = max((r.observed_at for r in report.records), default=report.started)
    return item_values(report.records, alerts, when), when


def _send(address: tuple[str, int], host: str, batch: Sequence[Value], clock: int,
          timeout: int, lang: str) -> tuple[int, int, int]:
    """Send ``batch`` (discovery first); (processed, failed, total); SendFailure if none."""
    from zabbix_utils import ItemValue, Sender
    from zabbix_utils.exceptions import ModuleBaseException
    from zabbix_utils.types import Node

    name = f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"
    sender = Sender(server="127.0.0.1", port=address[1], timeout=timeout,
                    use_ipv6=":" in address[0])
    sender.clusters[0].nodes = [Node(*address)]  # its "host:port" parser splits IPv6 apart
    processed = failed = total = 0
    try:
        for part in (batch[:1], batch[1:]):  # discovery first, in its own packet
            if part:
                answer = sender.send([ItemValue(host, v.key, v.value, clock) for v in part])
                processed += answer.processed
                failed += answer.failed
                total += answer.total
    except (ModuleBaseException, OSError, ValueError) as exc:
        raise SendFailure(tr("Zabbix {server}: nothing sent ({error})", lang).format(
            server=name, error=_reason(exc))) from None
    return processed, failed, total


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
