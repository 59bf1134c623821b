"""``mailtls scan``: targets in, diagnosis out."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ..catalog import pick_language, tr
from ..errors import ConfigError, TargetError
from ..export.json import render_scan
from ..model import Finding, ScanResult, Target
from ..scan import ScanOptions, exit_status, scan
from ..targets import apply_resolve, parse_resolve, parse_target, read_targets_file
from ..verify import TrustStore


def _fail(message: str) -> None:
    click.echo(f"mailtls: {message}", err=True)


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint="--at") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def collect_targets(
    args: Sequence[str], targets_file: Path | None, resolve: Sequence[str]
) -> tuple[list[Target], list[str]]:
    """Targets from arguments and file, with --resolve applied; errors kept per entry."""
    targets: list[Target] = []
    errors: list[str] = []
    for a in args:
        try:
            targets.append(parse_target(a))
        except TargetError as exc:
            errors.append(str(exc))
    if targets_file is not None:
        try:
            more, bad = read_targets_file(targets_file)
            targets += more
            errors += bad
        except TargetError as exc:
            errors.append(str(exc))
    forced: dict[tuple[str, int], str] = {}
    for entry in resolve:
        key, addr = parse_resolve(entry)  # a bad --resolve is a usage error
        forced[key] = addr
    return apply_resolve(targets, forced), errors


async def _mx(
    domains: Sequence[str], nameservers: Sequence[str], timeout: float, port: int
) -> tuple[list[Target], list[Finding], list[str]]:
    from ..net.mx import make_resolver, mx_targets  # dnspython only when --mx is used

    resolver = make_resolver(nameservers, timeout=min(timeout, 10.0))
    targets: list[Target] = []
    notes: list[Finding] = []
    errors: list[str] = []
    for answer in await asyncio.gather(*(mx_targets(d, resolver, port=port) for d in domains)):
        targets += answer.targets
        notes += answer.notes
        errors += answer.errors
    return targets, notes, errors


def _run(targets: list[Target], options: ScanOptions, show_progress: bool) -> list[ScanResult]:
    if not show_progress:
        return asyncio.run(scan(targets, options))
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(tr("Scanning"), total=len(targets))
        return asyncio.run(scan(targets, options, lambda r: bar.advance(task)))


def _check_policy(policy: str | None) -> None:
    if policy is None:
        return
    from ..policy import POLICIES

    if policy not in POLICIES:
        raise click.BadParameter(
            f"unknown policy {policy!r} (one of {', '.join(POLICIES)})", param_hint="--policy"
        )


@click.command("scan")
@click.argument("target", nargs=-1)
@click.option(
    "--mx",
    "mx_domains",
    multiple=True,
    metavar="DOMAIN",
    help="Scan every MX host of DOMAIN on every address (repeatable).",
)
@click.option(
    "--targets",
    "targets_file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Read targets from FILE, one per line ('#' starts a comment).",
)
@click.option(
    "--resolve",
    multiple=True,
    metavar="HOST:PORT:ADDR",
    help="Connect to ADDR for HOST:PORT while verifying HOST (as curl).",
)
@click.option(
    "--ca-file",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PEM",
    help="Also trust the CA certificates in PEM (a private CA).",
)
@click.option(
    "--trust",
    type=click.Choice(["mozilla", "system", "none"]),
    default="mozilla",
    show_default=True,
    help="Base trust store ('none': only --ca-file).",
)
@click.option("--json", "as_json", is_flag=True, help="JSON output (schema 1).")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 3600),
    default=30.0,
    show_default=True,
    help="Deadline in seconds for each endpoint as a whole.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 10000),
    default=50,
    show_default=True,
    help="Endpoints scanned at once.",
)
@click.option(
    "--per-address",
    type=click.IntRange(1, 100),
    default=2,
    show_default=True,
    help="Connections at once to one address (mail servers throttle).",
)
@click.option(
    "--ehlo",
    default="mailtls.invalid",
    show_default=True,
    metavar="NAME",
    help="Name sent in EHLO.",
)
@click.option(
    "--warn-days",
    type=click.IntRange(0, 3650),
    default=30,
    show_default=True,
    help="Report cert.expires_soon this many days before expiry.",
)
@click.option(
    "--at", "at_time", metavar="TIME", help="Verify as of this ISO 8601 time instead of now."
)
@click.option(
    "--mx-port",
    type=click.IntRange(1, 65535),
    default=25,
    show_default=True,
    help="Port to scan on each MX host.",
)
@click.option(
    "--nameserver",
    multiple=True,
    metavar="ADDR[:PORT]",
    help="DNS server for --mx (default: the system's).",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also enumerate protocols, cipher suites, groups, DH, every certificate, "
    "resumption, renegotiation, known vulnerabilities and mail-specific holes, and grade.",
)
@click.option(
    "--gentle",
    is_flag=True,
    help="With --deep: one connection at a time, with pauses, backing off on 421.",
)
@click.option(
    "--policy",
    metavar="NAME",
    help="Grade against this policy (default with --deep: mozilla-intermediate).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar (default: when stderr is a terminal).",
)
def scan_command(
    target: tuple[str, ...],
    mx_domains: tuple[str, ...],
    targets_file: Path | None,
    resolve: tuple[str, ...],
    ca_file: tuple[Path, ...],
    trust: str,
    as_json: bool,
    lang: str | None,
    timeout: float,
    concurrency: int,
    per_address: int,
    ehlo: str,
    warn_days: int,
    at_time: str | None,
    mx_port: int,
    nameserver: tuple[str, ...],
    deep: bool,
    gentle: bool,
    policy: str | None,
    progress: bool | None,
) -> None:
    """Scan mail servers and name exactly which certificate check fails.

    TARGET is SCHEME://HOST[:PORT] (smtp, submission, smtps, imap, imaps, pop3,
    pop3s, sieve), HOST:PORT (scheme from a well-known port) or HOST (smtp, 25).
    Exit status: 0 nothing above low, 1 medium or high, 2 critical, 3 not tested.
    """
    language = pick_language(lang)
    _check_policy(policy)
    if gentle and not deep:
        raise click.UsageError("--gentle only applies to --deep")
    try:
        targets, errors = collect_targets(target, targets_file, resolve)
        store = TrustStore.build(trust, ca_file)
    except (TargetError, ConfigError) as exc:
        raise click.UsageError(str(exc)) from None
    notes: list[Finding] = []
    if mx_domains:
        try:
            more, notes, mx_errors = asyncio.run(_mx(mx_domains, nameserver, timeout, mx_port))
        except TargetError as exc:
            raise click.UsageError(str(exc)) from None
        targets += more
        errors += mx_errors
    if not targets and not errors and not notes:
        raise click.UsageError("no target: give TARGET, --targets FILE or --mx DOMAIN")
    for message in errors:
        _fail(message)
    options = ScanOptions(
        store=store,
        timeout=timeout,
        concurrency=concurrency,
        per_address=per_address,
        ehlo=ehlo,
        warn_days=warn_days,
        now=_parse_time(at_time),
        deep=deep,
        gentle=gentle,
        policy=policy,
    )
    show = sys.stderr.isatty() and not as_json if progress is None else progress
    results = _run(targets, options, show) if targets else []
    if as_json:
        click.echo(render_scan(results, language, notes, errors))
    else:
        _print(results, notes, deep, language)
    status = exit_status(results)
    if errors and status != 2:
        status = 3
    sys.exit(status)


def _print(results: list[ScanResult], notes: list[Finding], deep: bool, language: str) -> None:
    """The terminal view (rich loads here only: --json output does not need it)."""
    from rich.console import Console

    from .render import render_deep, render_details, render_notes, render_summary, render_table

    console = Console()
    if results:
        render_table(results, console, language)
        if deep:
            render_deep(results, console, language)
        render_details(results, console, language)
    render_notes(notes, console, language)
    render_summary(results, console, language)
