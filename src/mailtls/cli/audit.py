"""``mailtls audit-config``: Postfix and Dovecot configuration, read as the servers read it."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .. import __version__
from ..catalog import describe, ntr, pick_language, tr
from ..checks.certfiles import CertContext
from ..checks.dovecot import audit_dovecot
from ..checks.postfix import audit_postfix
from ..config import MacroError, load_postfix
from ..config.dovecot import load_dovecot
from ..config.edit import WriteRefused, companions, plan_fixes, write_in_place, write_under
from ..config.files import read_config
from ..export.sarif import render_sarif
from ..failures import AUDITING_CONFIG, internal_error, is_internal
from ..model import Finding, Location, Severity
from .exits import EXIT_INTERRUPTED, readable_dir, readable_file, trust_store
from .interrupt import Interrupt

AUDIT_SCHEMA = 1
DEFAULT_POSTFIX = Path("/etc/postfix")
DEFAULT_DOVECOT = Path("/etc/dovecot/dovecot.conf")
STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
         Severity.LOW: "cyan", Severity.INFO: "dim"}


@dataclass
class Audit:
    findings: list[Finding] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # path -> text, for --fix
    inputs: dict[str, str] = field(default_factory=dict)
    failed: bool = False
    interrupted: bool = False  # SIGINT/SIGTERM: the inputs not yet audited were skipped


def exit_status(audit: Audit) -> int:
    """0/1/2/3 as for scan; an internal error counts as "could not audit" (3)."""
    if audit.interrupted:
        return EXIT_INTERRUPTED
    worst = max((f.severity for f in audit.findings if not is_internal(f)),
                default=Severity.INFO)  # fmt: skip
    if worst >= Severity.CRITICAL:
        return 2
    if audit.failed:
        return 3
    return 1 if worst >= Severity.MEDIUM else 0


def _remember(audit: Audit, paths: Sequence[str]) -> None:
    for p in paths:
        text, problem = read_config(Path(p))
        if text is not None and problem is None:
            audit.files[p] = text


def _audit_postfix(audit: Audit, postfix: Path, ctx: CertContext, hostname: str) -> None:
    config = load_postfix(postfix)
    audit.inputs["postfix_defaults"] = config.defaults.source
    audit.findings += audit_postfix(config, ctx)
    audit.failed |= any(p.fatal for p in config.problems)
    _remember(audit, [config.main_cf, config.master_cf])


def _audit_dovecot(audit: Audit, dovecot: Path, ctx: CertContext, hostname: str) -> None:
    dconfig = load_dovecot(dovecot)
    audit.findings += audit_dovecot(dconfig, ctx, hostname)
    audit.failed |= any(p.fatal for p in dconfig.problems)
    _remember(audit, dconfig.files)


def run_audit(postfix: Path | None, dovecot: Path | None, ctx: CertContext,
              hostname: str) -> Audit:
    """Each configuration on its own: what one raises becomes its ``scan.internal_error``
    (at its file) and the others are audited; an interrupt keeps what was audited."""
    audit = Audit()
    steps = [("postfix", postfix, postfix / "main.cf" if postfix else None, _audit_postfix),
             ("dovecot", dovecot, dovecot, _audit_dovecot)]  # fmt: skip
    for name, where, main_file, step in steps:
        if where is None or main_file is None:
            continue
        audit.inputs[name] = str(where)
        before = len(audit.findings)
        try:
            step(audit, where, ctx, hostname)
        except KeyboardInterrupt:
            audit.interrupted = True
            break
        except Exception as exc:  # isolation: this configuration's bug stays its own
            del audit.findings[before:]
            audit.findings.append(internal_error(exc, AUDITING_CONFIG,
                                                 location=Location(str(main_file), 1)))
            audit.failed = True
    audit.findings.sort(key=lambda f: (f.location.file if f.location else "",
                                       f.location.line if f.location else 0, -f.severity))
    return audit


def finding_json(f: Finding, lang: str) -> dict[str, Any]:
    text = describe(f, lang)
    return {
        "id": f.id,
        "severity": f.severity.label,
        "file": f.location.file if f.location else None,
        "line": f.location.line if f.location else None,
        "title": text.title,
        "detail": text.detail,
        "fix": f.fix,
        "remediation": text.remediation,
        "references": list(text.references),
        "snippet": f.location.snippet if f.location else None,
        "params": dict(f.params),
    }


def render_json(audit: Audit, lang: str, as_of: dt.datetime | None = None) -> str:
    doc = {
        "schema": AUDIT_SCHEMA,
        "tool": {"name": "mailtls", "version": __version__},
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "inputs": audit.inputs,
        "as_of": as_of.isoformat(timespec="seconds") if as_of else None,
        "interrupted": audit.interrupted,
        "complete": not audit.failed and not audit.interrupted,
        "findings": [finding_json(f, lang) for f in audit.findings],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _where(f: Finding) -> str:
    loc = f.location
    if loc is None:
        return "-"
    return f"{loc.file}:{loc.line}" + (f":{loc.column}" if loc.column else "")


def render_text(audit: Audit, console: Console, lang: str) -> None:
    """Per finding one line, ``PATH:LINE SEVERITY ID TITLE`` in a pipe (never wrapped), or
    grouped by file on a terminal; snippet, detail, remediation and fix lines indented."""
    from rich.text import Text

    from .lines import emit, pair, plain

    current = None
    for f in audit.findings:
        text = describe(f, lang)
        severity = tr(f.severity.label, lang)
        if plain(console):
            emit(console, f"{_where(f)} {severity} {f.id} {text.title}")
        else:
            file = f.location.file if f.location else ""
            if file != current:
                emit(console, "")
                emit(console, Text(file, style="bold"))
                current = file
            line = f.location.line if f.location else 0
            head = Text.assemble((severity, STYLE[f.severity]), f" {line}  ",
                                 (text.title, "bold"), (f"  {f.id}", "dim"))
            emit(console, head, 2)
        if f.location and f.location.snippet:
            emit(console, Text(f.location.snippet, style="dim"), 4)
        for sentence in (text.detail, text.remediation):
            emit(console, sentence, 4)
        for cmd in (f.fix or "").splitlines():
            emit(console, pair(tr("Fix", lang), Text(cmd, style="green"), lang), 4)
    _summary(audit, console, lang)


def _summary(audit: Audit, console: Console, lang: str) -> None:
    from .lines import emit

    counts = {s: sum(1 for f in audit.findings if f.severity == s) for s in Severity}
    if not audit.findings:
        emit(console, tr("No finding.", lang))
    parts = [ntr("{count} finding", "{count} findings", len(audit.findings), lang)]
    parts += [f"{n} {tr(s.label, lang)}" for s, n in sorted(counts.items(), reverse=True) if n]
    emit(console, "")
    emit(console, tr(", ", lang).join(parts))


def print_effective(directory: Path) -> int:
    """``postconf -c DIR -n -x``; a value that cannot be expanded is named on stderr."""
    config = load_postfix(directory)
    status = 0
    for p in config.problems:
        if p.fatal and p.file == config.main_cf:
            click.echo(f"mailtls: {p.file}: {tr(p.problem)} {p.context}".rstrip(), err=True)
            return 3
    for name in sorted(config.used_names()):
        try:
            value = " ".join(config.value(name).split())
        except MacroError as exc:
            s = config.main.get(name)
            at = f"{s.file}, line {s.line}" if s else config.main_cf
            chain = " -> ".join(exc.chain)
            click.echo(f"mailtls: {at}: {name}: {exc.problem}"
                       + (f" ({chain})" if chain else ""), err=True)
            status = 3
            continue
        click.echo(f"{name} = {value}" if value else f"{name} =")
    return status


def apply_fix(audit: Audit, write: bool, to: Path | None, in_place: bool, lang: str) -> None:
    plan = plan_fixes(audit.findings, audit.files)
    diff = plan.diff()
    click.echo(diff, nl=False)
    if not diff:
        click.echo(tr("No change to propose.", lang), err=True)
    if plan.commands:
        click.echo(tr("Also run:", lang), err=True)
        for cmd in plan.commands:
            click.echo(f"  {cmd}", err=True)
    if not write or not diff:
        return
    try:
        if in_place:
            written = write_in_place({p: plan.texts[p] for p in plan.changed()})
        else:
            assert to is not None
            written = write_under(to, companions(plan))
    except WriteRefused as exc:
        raise click.UsageError(tr(exc.reason, lang).format(**exc.params)) from None
    except OSError as exc:
        raise click.FileError(exc.filename or str(to), exc.strerror) from None
    for w in written:
        if w.backup is None:
            click.echo(tr("Wrote {path}", lang).format(path=w.path), err=True)
        else:
            click.echo(tr("Wrote {path} (backup {backup})", lang).format(
                path=w.path, backup=w.backup), err=True)


def _parse_time(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint="--at") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _targets(postfix: Path | None, dovecot: Path | None) -> tuple[Path | None, Path | None]:
    """The configurations to audit; one named that cannot be read is an input error (66)."""
    if postfix is not None:
        readable_dir(postfix, "--postfix")
    if dovecot is not None:
        readable_file(dovecot, "--dovecot")
    if postfix is None and dovecot is None:
        postfix = DEFAULT_POSTFIX if (DEFAULT_POSTFIX / "main.cf").exists() else None
        dovecot = DEFAULT_DOVECOT if DEFAULT_DOVECOT.exists() else None
        if postfix is None and dovecot is None:
            raise click.UsageError(f"no configuration found ({DEFAULT_POSTFIX}/main.cf, "
                                   f"{DEFAULT_DOVECOT}): give --postfix DIR or --dovecot FILE")
    return postfix, dovecot


@click.command("audit-config")
@click.option("--postfix", type=click.Path(path_type=Path), metavar="DIR",
              help="Postfix configuration directory (main.cf, master.cf).")
@click.option("--dovecot", type=click.Path(path_type=Path), metavar="FILE",
              help="Dovecot configuration file (dovecot.conf; its includes are followed).")
@click.option("--effective", is_flag=True,
              help="Print the effective main.cf as 'postconf -c DIR -n -x' does, and stop.")
@click.option("--json", "as_json", is_flag=True, help="JSON output (schema 1).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default=None,
              help="Output format (default text; --json is --format json).")
@click.option("--fix", is_flag=True, help="Print a unified diff that applies every fix.")
@click.option("--write", is_flag=True,
              help="With --fix: write the fixed files (needs --to DIR or --in-place).")
@click.option("--to", "to_dir", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="With --write: write fixed copies under DIR (DIR/etc/postfix/main.cf, ...).")
@click.option("--in-place", is_flag=True,
              help="With --write: change the files themselves, keeping FILE.bak copies.")
@click.option("--ca-file", multiple=True, type=click.Path(path_type=Path), metavar="PEM",
              help="Also trust these CA certificates when checking certificate files.")
@click.option("--trust", type=click.Choice(["mozilla", "system", "none"]), default="mozilla",
              show_default=True, help="Base trust store for certificate files.")
@click.option("--hostname", metavar="NAME",
              help="Server name for Dovecot's certificates (default: 'hostname' setting, "
                   "else this machine's name).")
@click.option("--warn-days", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="Report *.cert_expires_soon this many days before expiry.")
@click.option("--at", "at_time", metavar="TIME", help="Check dates as of this ISO 8601 time.")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN (default: from LANG).")
def audit_command(postfix: Path | None, dovecot: Path | None, effective: bool, as_json: bool,
                  fmt: str | None, fix: bool, write: bool, to_dir: Path | None, in_place: bool,
                  ca_file: tuple[Path, ...], trust: str, hostname: str | None, warn_days: int,
                  at_time: str | None, lang: str | None) -> None:
    """Audit Postfix and Dovecot TLS configuration: what accepts any certificate, and the fix.

    With no option, audits /etc/postfix and /etc/dovecot/dovecot.conf when present.
    Ctrl-C (or SIGTERM) stops and still prints what was audited.
    """
    language = pick_language(lang)
    if effective:
        if postfix is None:
            raise click.UsageError("--effective needs --postfix DIR")
        sys.exit(print_effective(readable_dir(postfix, "--postfix")))
    if write and not fix:
        raise click.UsageError("--write goes with --fix")
    if write and (to_dir is None) == (not in_place):
        raise click.UsageError("--write needs exactly one of --to DIR (a copy) or --in-place")
    if (to_dir is not None or in_place) and not write:
        raise click.UsageError("--to and --in-place go with --fix --write")
    fmt = fmt or ("json" if as_json else "text")
    postfix, dovecot = _targets(postfix, dovecot)
    store = trust_store(trust, ca_file)
    now = _parse_time(at_time)
    ctx = CertContext(now, store, warn_days)
    with Interrupt() as interrupt:
        audit = run_audit(postfix, dovecot, ctx, hostname or socket.gethostname())
        audit.interrupted |= interrupt.requested
        if fix and not audit.interrupted:
            apply_fix(audit, write, to_dir, in_place, language)
        elif fmt == "json":
            click.echo(render_json(audit, language, now))
        elif fmt == "sarif":
            click.echo(render_sarif(audit.findings, language))
        else:
            render_text(audit, Console(), language)
    sys.exit(exit_status(audit))
