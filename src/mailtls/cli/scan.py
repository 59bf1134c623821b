"""``mailtls scan``: targets in, diagnosis out."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..catalog import pick_language, tr
from ..errors import TargetError
from ..export.json import render_scan
from ..failures import REPORTING, failed_result
from ..model import Finding, ScanResult, Target
from ..scan import ScanInterrupted, ScanOptions, exit_status, scan
from ..targets import apply_resolve, parse_resolve, parse_target, read_targets_file
from .exits import EXIT_INTERRUPTED, readable_file, trust_store
from .interrupt import Interrupt

if TYPE_CHECKING:
    from rich.console import Console


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


def _run(
    targets: list[Target], options: ScanOptions, progress: bool, interrupt: Interrupt, lang: str
) -> tuple[list[ScanResult], list[Target]]:
    """The results in target order and the targets left unfinished by an interrupt."""
    if not targets:
        return [], []
    try:
        if progress and sys.stderr.isatty():
            return _run_with_bar(targets, options, interrupt, lang), []
        on_result = _progress_lines(len(targets), lang) if progress else None
        return interrupt.run(scan(targets, options, on_result)), []
    except ScanInterrupted as stop:
        return stop.finished, stop.unfinished


def _progress_lines(total: int, lang: str) -> Callable[[ScanResult], None]:
    """--progress when stderr is not a terminal: one line per finished endpoint (CI logs)."""
    done = 0

    def line(result: ScanResult) -> None:
        nonlocal done
        done += 1
        text = tr("{done}/{total} finished: {target}", lang)
        click.echo(text.format(done=done, total=total, target=result.target.url), err=True)

    return line


def _run_with_bar(
    targets: list[Target], options: ScanOptions, interrupt: Interrupt, lang: str
) -> list[ScanResult]:
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
        task = bar.add_task(tr("Scanning", lang), total=len(targets))
        return interrupt.run(scan(targets, options, lambda r: bar.advance(task)))


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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "ecs"]), default=None,
              help="Output: text, json (as --json) or ecs (one Elastic Common Schema "
              "document per endpoint and per finding, NDJSON).")
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
    fmt: str | None,
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
    Ctrl-C (or SIGTERM) stops the scan and still prints the results that finished.
    """
    language = pick_language(lang)
    ecs, as_json = fmt == "ecs", as_json or fmt in ("json", "ecs")  # ecs: no terminal view
    _check_policy(policy)
    if gentle and not deep:
        raise click.UsageError("--gentle only applies to --deep")
    as_of = _parse_time(at_time)
    store = trust_store(trust, ca_file)
    targets, errors, notes = _all_targets(
        target, targets_file, resolve, mx_domains, nameserver, timeout, mx_port
    )
    for message in errors:
        _fail(message)
    options = ScanOptions(
        store=store,
        timeout=timeout,
        concurrency=concurrency,
        per_address=per_address,
        ehlo=ehlo,
        warn_days=warn_days,
        now=as_of,
        deep=deep,
        gentle=gentle,
        policy=policy,
    )
    show = sys.stderr.isatty() and not as_json if progress is None else progress
    started = dt.datetime.now(dt.UTC)
    with Interrupt() as interrupt:
        results, unfinished = _run(targets, options, show, interrupt, language)
        if ecs:
            from ..export.ecs import render_scan_ecs

            click.echo(render_scan_ecs(results, as_of or started, language))
        elif as_json:
            click.echo(
                render_scan(results, language, notes, errors, as_of=as_of or started,
                            interrupted=interrupt.requested, unfinished=unfinished)
            )  # fmt: skip
        else:
            _print(results, notes, deep, language, as_of)
        status = exit_status(results)
        if errors and status != 2:
            status = 3
        if interrupt.requested:
            done = tr("Interrupted: {done} of {total} finished; the others were not checked.",
                      language)  # fmt: skip
            _fail(done.format(done=len(results), total=len(targets)))
            status = EXIT_INTERRUPTED
    sys.exit(status)


def _all_targets(
    args: Sequence[str],
    targets_file: Path | None,
    resolve: Sequence[str],
    mx_domains: Sequence[str],
    nameserver: Sequence[str],
    timeout: float,
    mx_port: int,
) -> tuple[list[Target], list[str], list[Finding]]:
    """Targets, one message per entry that is not one, and the --mx notes."""
    if targets_file is not None:
        readable_file(targets_file, "--targets")
    try:
        targets, errors = collect_targets(args, targets_file, resolve)
    except TargetError as exc:
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
    return targets, errors, notes


def _print(
    results: list[ScanResult],
    notes: list[Finding],
    deep: bool,
    language: str,
    as_of: dt.datetime | None,
) -> None:
    """The terminal view (rich loads here only: --json output does not need it).

    Rendered whole first: a result whose rendering raises is shown as its target's
    ``scan.internal_error`` instead, and every other result as usual.
    """
    from rich.console import Console

    console = Console()
    try:
        with console.capture() as capture:
            _render(results, notes, deep, language, as_of, console)
    except Exception:
        results = [_renderable(r, deep, language, console) for r in results]
        with console.capture() as capture:
            _render(results, notes, deep, language, as_of, console)
    sys.stdout.write(capture.get())
    sys.stdout.flush()


def _render(
    results: list[ScanResult],
    notes: list[Finding],
    deep: bool,
    language: str,
    as_of: dt.datetime | None,
    console: Console,
) -> None:
    from .render import render_deep, render_details, render_notes, render_summary, render_table

    if as_of is not None:
        when = as_of.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        console.print(tr("Verdict as of {time}", language).format(time=when))
    if results:
        render_table(results, console, language)
        if deep:
            render_deep(results, console, language)
        render_details(results, console, language)
    render_notes(notes, console, language)
    render_summary(results, console, language)


def _renderable(result: ScanResult, deep: bool, language: str, console: Console) -> ScanResult:
    """``result`` if it renders alone, else its target with the internal error."""
    import io

    from rich.console import Console

    from .render import render_deep, render_details, render_table

    scratch = Console(file=io.StringIO(), width=console.width, force_terminal=console.is_terminal)
    try:
        render_table([result], scratch, language)
        if deep:
            render_deep([result], scratch, language)
        render_details([result], scratch, language)
    except Exception as exc:
        return failed_result(result.target, exc, REPORTING)
    return result
