"""``mailtls mitm``: attack a mail client the way a rogue hotspot would.

``run`` runs a client command once per scenario (``{host}``, ``{port}``, ``{scheme}``
replaced; never through a shell) and prints the verdict matrix; ``serve`` starts every
listener for a client set up by hand and prints what happens live, then the report.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import click

from ..catalog import describe, pick_language, tr
from ..catalog.parts.mitm import DEMO
from ..mitm import report
from ..mitm.listener import Connection, Listener, PortInUse
from ..mitm.runner import RunOptions, run_scenarios
from ..mitm.scenarios import SCENARIOS, unknown
from ..mitm.serve import Served
from ..mitm.verdict import INCONCLUSIVE, VULNERABLE, Result
from ..pki.mitm import MitmPKI, make_pki

_LANG = click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
_SCENARIO = click.option("--scenario", "scenarios", multiple=True, metavar="ID",
                         help="Only this scenario (repeatable; the control always runs).")
_CA_OUT = click.option("--trusted-ca-out", type=click.Path(path_type=Path), metavar="FILE",
                       help="Write the control CA here (PEM), for the client to trust.")


@click.group("mitm")
def mitm_command() -> None:
    """Attack a mail client like a rogue hotspot: does it hand over its password?"""


def _check_scenarios(scenarios: tuple[str, ...], lang: str) -> None:
    bad = unknown(scenarios)
    if bad:
        raise click.UsageError(tr("unknown scenario {names} (known: {known})", lang).format(
            names=", ".join(bad), known=", ".join(s.id for s in SCENARIOS)))


def _pki(names: tuple[str, ...], ca_out: Path | None, lang: str) -> MitmPKI:
    pki = make_pki(dt.datetime.now(dt.UTC), names)
    if ca_out is not None:
        try:
            ca_out.write_bytes(pki.control_ca_pem)
        except OSError as exc:
            raise click.UsageError(tr("{file}: cannot write it ({reason})", lang).format(
                file=ca_out, reason=exc.strerror or exc)) from None
        click.echo(tr("Control CA written to {file}: make the client trust it for the "
                      "control scenario only.", lang).format(file=ca_out), err=True)
    return pki


def _print_matrix(results: list[Result], lang: str) -> None:
    for row in [report.headings(lang), *report.rows(results, lang)]:
        click.echo(" | ".join(row))
    for finding in report.findings(results, lang):
        text = describe(finding, lang)
        click.echo(f"\n{finding.id} [{finding.severity.value}] {text.title}\n  "
                   f"{text.remediation}")
    vulnerable = sum(r.verdict == VULNERABLE for r in results)
    click.echo("\n" + tr("{count} of {total} scenarios vulnerable", lang).format(
        count=vulnerable, total=len(results)))


def _exit_status(results: list[Result]) -> int:
    if any(r.verdict == VULNERABLE for r in results):
        return 1
    return 3 if any(r.verdict == INCONCLUSIVE for r in results) else 0


@mitm_command.command("run", context_settings={"ignore_unknown_options": True})
@click.option("--protocol", type=click.Choice(["smtp", "imap", "pop3"]), default="smtp",
              show_default=True, help="The protocol the client speaks.")
@click.option("--implicit-tls", is_flag=True,
              help="TLS from the first byte (smtps, imaps, pop3s) instead of STARTTLS.")
@_SCENARIO
@click.option("--timeout", type=click.FloatRange(min=0.5), default=20.0, show_default=True,
              help="Seconds before the client command is killed, per scenario.")
@_CA_OUT
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document (schema 1).")
@click.option("--html", "html_out", type=click.Path(path_type=Path), metavar="FILE",
              help="Write an HTML report to show users.")
@_LANG
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def run_command(protocol: str, implicit_tls: bool, scenarios: tuple[str, ...],
                timeout: float, trusted_ca_out: Path | None, as_json: bool,
                html_out: Path | None, lang: str | None, command: tuple[str, ...]) -> None:
    """Run COMMAND once per scenario ({host}, {port}, {scheme} replaced) and judge it.

    Exit 1 if any scenario is vulnerable, 3 if one is inconclusive, 0 if all are safe.
    """
    lang = pick_language(lang)
    _check_scenarios(scenarios, lang)
    if not command:
        raise click.UsageError(tr("give the client command after --, e.g. mailtls mitm "
                                  "run -- curl ...", lang))
    pki = _pki(("localhost", "127.0.0.1"), trusted_ca_out, lang)
    options = RunOptions(protocol, implicit_tls, command, timeout, scenarios=scenarios)
    results = run_scenarios(options, pki)
    if html_out is not None:
        try:
            html_out.write_text(report.to_html(results, list(command), lang), encoding="utf-8")
        except OSError as exc:
            raise click.UsageError(tr("{file}: cannot write it ({reason})", lang).format(
                file=html_out, reason=exc.strerror or exc)) from None
    if as_json:
        click.echo(json.dumps(report.to_json(results, list(command), lang), indent=2,
                              ensure_ascii=False))
    else:
        _print_matrix(results, lang)
    raise SystemExit(_exit_status(results))


def _listen_address(listen: str, lang: str) -> str:
    try:
        address = ipaddress.ip_address(listen)
    except ValueError:
        raise click.UsageError(tr("--listen {address}: not an IP address", lang).format(
            address=listen)) from None
    if not address.is_loopback:
        click.echo(tr("Warning: listening on {address}, not on loopback: anyone who can "
                      "reach this address can connect. Nothing is forwarded, but stop this "
                      "as soon as the training ends.", lang).format(address=listen), err=True)
    return str(address)


def _demo(lang: str, scenario_id: str) -> str:
    careful, careless, clients = (tr(t, lang) for t in DEMO[scenario_id])
    return (f"    {tr('What a careful client reports', lang)}: {careful}\n"
            f"    {tr('What a careless client does', lang)}: {careless}\n"
            f"    {tr('What common clients show', lang)}: {clients}")


def _printer(lang: str) -> Callable[[Listener, Connection, str], None]:
    lock = threading.Lock()

    def on_event(listener: Listener, record: Connection, what: str) -> None:
        event = {"connected": tr("connected", lang), "closed": tr("closed", lang),
                 "sensitive": tr("sent its password or mail", lang),
                 "tls": tr("TLS handshake: {handshake}", lang).format(
                     handshake=record.handshake)}[what]
        if what == "closed" and record.handshake.startswith("failed"):
            event = tr("TLS handshake: {handshake}", lang).format(handshake=record.handshake)
        with lock:
            click.echo(tr("{scheme}://{host}:{port} ({scenario}): {event}", lang).format(
                scheme=listener.scheme, host=listener.host, port=listener.port,
                scenario=listener.scenario.id, event=event))

    return on_event


@mitm_command.command("serve")
@_SCENARIO
@click.option("--port-base", type=click.IntRange(0, 65000), default=0, show_default=True,
              help="First port; the listeners take consecutive ports (0: any free ports).")
@click.option("--listen", default="127.0.0.1", show_default=True, metavar="ADDR",
              help="Address to listen on (anything but loopback prints a warning).")
@click.option("--demo", is_flag=True, help="Teaching mode: explain each scenario.")
@_CA_OUT
@_LANG
def serve_command(scenarios: tuple[str, ...], port_base: int, listen: str, demo: bool,
                  trusted_ca_out: Path | None, lang: str | None) -> None:
    """Start every scenario's listener; results appear live, the report at Ctrl+C."""
    lang = pick_language(lang)
    _check_scenarios(scenarios, lang)
    host = _listen_address(listen, lang)
    names = tuple(dict.fromkeys(("localhost", "127.0.0.1", host)))
    pki = _pki(names, trusted_ca_out, lang)
    try:
        served = Served(pki, host, names[0], port_base, scenarios, _printer(lang))
    except PortInUse as exc:
        raise click.UsageError(tr("{address}: cannot listen there ({reason})", lang).format(
            address=exc.address, reason=exc.reason)) from None
    _announce(served, host, demo, lang)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    served.stop()
    results = served.results()
    _print_matrix([r for _, r in results], lang)


def _announce(served: Served, host: str, demo: bool, lang: str) -> None:
    click.echo(tr("{listeners} listeners on {host}; point a mail client at one of them:",
                  lang).format(listeners=len(served.listeners), host=host))
    shown: set[str] = set()
    for li in served.listeners:
        click.echo(f"  {li.scheme}://{host}:{li.port}  {report.label(li.scenario.id, lang)}")
        if demo and li.scenario.id not in shown:
            shown.add(li.scenario.id)
            click.echo(_demo(lang, li.scenario.id))
    click.echo(tr("Press Ctrl+C to stop and print the report.", lang), err=True)

