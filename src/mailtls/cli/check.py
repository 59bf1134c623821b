"""``mailtls check``: one endpoint, one Nagios/Icinga status line, the plugin's exit status.

Exit statuses follow the monitoring-plugin convention, not the scan's (see
mailtls.export.nagios): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Bad arguments and
unreadable files are UNKNOWN here (``mailtls scan`` says 64 and 66), printed as one
``MAILTLS UNKNOWN - ...`` line on stdout, because that line is what the monitoring system shows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click

from ..catalog import pick_language
from ..domain.evaluate import AUTHENTICATED, OPPORTUNISTIC, PARTLY
from ..errors import ConfigError, TargetError
from ..export.nagios import Limits, State, judge, render, unknown_line
from ..scan import ScanOptions, scan
from ..targets import apply_resolve, parse_resolve, parse_target
from ..verify import TrustStore
from .check_domain import run_domain_check
from .exits import readable_file

EPILOG = (
    "Exit status (monitoring-plugin convention, unlike scan): 0 OK, 1 WARNING (fewer than "
    "-w days left, or a medium/high finding), 2 CRITICAL (verification failed, fewer than "
    "-c days left, no TLS, unreachable), 3 UNKNOWN (bad arguments, unreadable --ca-file, "
    "wrong scheme, internal error). With --domain: 0 authenticated, 1 partly or "
    "opportunistic, 2 broken (or below --require), 3 the MX look-up failed."
)


def _unknown(message: str, lang: str) -> NoReturn:
    click.echo(unknown_line(message, lang))
    sys.exit(State.UNKNOWN)


class PluginCommand(click.Command):
    """A command whose every failure, usage errors included, is one UNKNOWN line and exit 3."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:
            _unknown(exc.format_message(), pick_language(_lang_arg(args)))

    def invoke(self, ctx: click.Context) -> Any:
        lang = pick_language(ctx.params.get("lang"))
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            _unknown(exc.format_message(), lang)
        except (TargetError, ConfigError) as exc:
            _unknown(str(exc), lang)


def _lang_arg(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
    return None


def _store(trust: str, ca_files: tuple[Path, ...]) -> TrustStore:
    if trust == "none" and not ca_files:
        raise click.UsageError("--trust none needs at least one --ca-file")
    for path in ca_files:
        readable_file(path, "--ca-file")
    return TrustStore.build(trust, ca_files)


@click.command("check", cls=PluginCommand, epilog=EPILOG)
@click.argument("target", required=False)
@click.option("--domain", metavar="DOMAIN",
              help="Check the verdict of mailtls domain for DOMAIN instead of one endpoint.")
@click.option("--require", type=click.Choice([OPPORTUNISTIC, PARTLY, AUTHENTICATED]),
              default=OPPORTUNISTIC, show_default=True,
              help="With --domain: a lower verdict is CRITICAL, not WARNING.")
@click.option("--resolver", metavar="ADDR[:PORT]",
              help="With --domain: DNS server to ask (default: the system's first).")
@click.option("--trust-anchor", type=click.Path(path_type=Path), metavar="FILE",
              help="With --domain: DNSSEC trust anchor, DS or DNSKEY records in zone-file "
              "form (default: the root zone's KSKs).")
@click.option("--mx-port", type=click.IntRange(1, 65535), default=25, show_default=True,
              help="With --domain: port to connect to on each MX host (labs).")
@click.option("-w", "--warning", "warn_days", type=float, default=30.0, show_default=True,
              metavar="DAYS", help="WARNING when the certificate has fewer days left.")
@click.option("-c", "--critical", "crit_days", type=float, default=14.0, show_default=True,
              metavar="DAYS", help="CRITICAL when the certificate has fewer days left.")
@click.option("--ca-file", multiple=True, type=click.Path(path_type=Path), metavar="PEM",
              help="Also trust the CA certificates in PEM (a private CA).")
@click.option("--trust", type=click.Choice(["mozilla", "system", "none"]), default="mozilla",
              show_default=True, help="Base trust store ('none': only --ca-file).")
@click.option("--resolve", multiple=True, metavar="HOST:PORT:ADDR",
              help="Connect to ADDR for HOST:PORT while verifying HOST (as curl).")
@click.option("-t", "--timeout", type=click.FloatRange(0.1, 3600), default=30.0,
              show_default=True, help="Deadline in seconds for the whole check.")
@click.option("--unreachable", type=click.Choice(["critical", "unknown"]), default="critical",
              show_default=True, help="State of an endpoint that refuses, times out or "
              "does not resolve (the guidelines advise CRITICAL).")
@click.option("--ehlo", default="mailtls.invalid", show_default=True, metavar="NAME",
              help="Name sent in EHLO.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def check_command(
    target: str | None,
    domain: str | None,
    require: str,
    resolver: str | None,
    trust_anchor: Path | None,
    mx_port: int,
    warn_days: float,
    crit_days: float,
    ca_file: tuple[Path, ...],
    trust: str,
    resolve: tuple[str, ...],
    timeout: float,
    unreachable: str,
    ehlo: str,
    lang: str | None,
) -> None:
    """Check one mail endpoint for Nagios, Icinga, Naemon or Sensu.

    Prints one status line (MAILTLS OK|WARNING|CRITICAL|UNKNOWN - ...) with perfdata
    days_left and time, then one line per finding. TARGET is SCHEME://HOST[:PORT].
    With --domain DOMAIN instead: the domain's verdict, perfdata mx_pass and time.
    """
    language = pick_language(lang)
    if (target is None) == (domain is None):
        raise click.UsageError("give either TARGET or --domain DOMAIN")
    if domain is not None:
        run_domain_check(domain, resolver=resolver, trust_anchor=trust_anchor,
                         store=_store(trust, ca_file), mx_port=mx_port, timeout=timeout,
                         ehlo=ehlo, require=require, lang=language)  # fmt: skip
        return
    assert target is not None
    unreach = State.UNKNOWN if unreachable == "unknown" else State.CRITICAL
    limits = Limits(warn_days, crit_days, unreach)
    problem = limits.problem()
    if problem:
        raise click.UsageError(problem)
    forced = dict(parse_resolve(r) for r in resolve)
    endpoint = apply_resolve([parse_target(target)], forced)[0]
    options = ScanOptions(store=_store(trust, ca_file), timeout=timeout, concurrency=1,
                          ehlo=ehlo, warn_days=max(0, int(warn_days)))  # fmt: skip
    started = time.monotonic()
    result = asyncio.run(scan([endpoint], options))[0]
    elapsed = time.monotonic() - started
    verdict = judge(result, dt.datetime.now(dt.UTC), limits)
    click.echo(render(result, verdict, elapsed, limits, language))
    sys.exit(int(verdict.state))
