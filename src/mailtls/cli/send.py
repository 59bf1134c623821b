"""``mailtls send``: one message through ``mailtls.client``, verified or not at all.

Exit 0 once the server accepted the message (its queue id printed), 2 otherwise (the
reason, with its remediation). The password comes from ``--password-file`` (first line)
or the terminal (getpass), never from the command line or the environment.
"""

from __future__ import annotations

import getpass
import json
import stat
import sys
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import click

from ..catalog import describe, new_finding, pick_language, tr
from ..errors import ConfigError, TargetError
from ..export.json import finding_dict
from ..model import Finding
from ..targets import parse_resolve
from .exits import EXIT_NOINPUT, InputFileError

SEND_SCHEMA = 1
MAX_MESSAGE = 100 * 1024 * 1024


class _Stop(Exception):
    """A finding that ends the command before anything is sent."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


def read_password(path: Path | None, user: str, warnings: list[Finding]) -> Any:
    """The password as a client Secret: from the file (warning if world-readable) or a tty."""
    from ..client import Secret

    if path is None:
        if not sys.stdin.isatty():
            raise click.UsageError(tr("no terminal to ask for the password: use --password-file"))
        return Secret(getpass.getpass(tr("Password for {user}: ").format(user=user)))
    try:
        mode = path.stat().st_mode
        with path.open("rb") as fh:
            first = fh.readline(64 * 1024)
    except FileNotFoundError:
        raise _Stop(_unreadable(path, "no such file")) from None
    except PermissionError:
        raise _Stop(_unreadable(path, "permission denied")) from None
    except OSError as exc:
        raise _Stop(_unreadable(path, exc.strerror or type(exc).__name__)) from None
    if mode & stat.S_IROTH:
        warnings.append(new_finding("client.password_file_insecure", path=str(path),
                                    mode=oct(stat.S_IMODE(mode))))
    text = first.decode("utf-8", "replace").rstrip("\r\n")
    if not text:
        raise _Stop(_unreadable(path, "the file is empty"))
    return Secret(text)


def _unreadable(path: Path, problem: str) -> Finding:
    return new_finding("client.password_file_unreadable", path=str(path), problem=problem)


def _message(
    file: Path | None, subject: str | None, body_file: Path | None, sender: str, to: Sequence[str]
) -> bytes | EmailMessage:
    from ..client import build_message

    if file is not None:
        if subject is not None or body_file is not None:
            raise click.UsageError("--file excludes --subject and --body-file")
        return _read(file, "--file")
    if subject is None or body_file is None:
        raise click.UsageError("give --file MESSAGE.eml, or --subject and --body-file")
    body = _read(body_file, "--body-file").decode("utf-8", "replace")
    return build_message(sender, list(to), subject, body)


def _read(path: Path, option: str) -> bytes:
    try:
        if path.stat().st_size > MAX_MESSAGE:
            raise InputFileError(f"{option} {path}: larger than 100 MiB")
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{option} {path}: cannot read it ({exc.strerror})") from None


def _emit(doc: dict[str, Any], as_json: bool, lang: str, warnings: list[Finding]) -> None:
    for w in warnings:
        text = describe(w, lang)
        click.echo(f"mailtls: {text.title}: {text.detail} {text.remediation}", err=True)
    if as_json:
        doc["warnings"] = [finding_dict(w, lang) for w in warnings]
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    if doc["sent"]:
        line = f"{tr('Sent: the server accepted the message', lang)}"
        if doc.get("queue_id"):
            line += f" ({tr('queued as', lang)} {doc['queue_id']})"
        click.echo(line)
        return
    err = doc["error"]
    click.echo(f"{tr('Not sent', lang)}: {err['title']} [{err['id']}]", err=True)
    if err.get("detail"):
        click.echo(f"  {err['detail']}", err=True)
    click.echo(f"  {err['remediation']}", err=True)


def _error_doc(finding: Finding, lang: str, certificate: Any = None) -> dict[str, Any]:
    d = finding_dict(finding, lang)
    error = {k: d[k] for k in ("id", "title", "detail", "remediation", "severity")}
    if certificate is not None:
        error["certificate"] = {"subject": certificate.subject, "issuer": certificate.issuer,
                                "not_after": certificate.not_after,
                                "spki_sha256": certificate.spki_sha256,
                                "san": list(certificate.san)}
    return {"schema": SEND_SCHEMA, "sent": False, "error": error}


@click.command("send")
@click.option("--server", required=True, metavar="URL",
              help="smtp://HOST[:PORT], submission://HOST[:PORT] (STARTTLS) or smtps://HOST.")
@click.option("--from", "sender", required=True, metavar="ADDR", help="Envelope sender.")
@click.option("--to", "to", required=True, multiple=True, metavar="ADDR",
              help="Recipient (repeatable).")
@click.option("--file", "file", type=click.Path(path_type=Path), metavar="MESSAGE.eml",
              help="Send this message as it is (RFC 5322).")
@click.option("--subject", help="Subject of a simple text message (with --body-file).")
@click.option("--body-file", type=click.Path(path_type=Path), metavar="FILE",
              help="Body of a simple text message (UTF-8).")
@click.option("--user", metavar="USER", help="Log in as USER (SASL PLAIN or LOGIN, over TLS).")
@click.option("--password-file", type=click.Path(path_type=Path), metavar="FILE",
              help="Read the password from the first line of FILE (else: ask the terminal).")
@click.option("--ca-file", multiple=True, type=click.Path(path_type=Path), metavar="PEM",
              help="Also trust this CA (an internal CA); repeatable.")
@click.option("--pin-sha256", metavar="B64",
              help="Require this server key (base64 SHA-256 of the SPKI, as scan shows).")
@click.option("--resolve", multiple=True, metavar="HOST:PORT:ADDR",
              help="Connect to ADDR for HOST:PORT while verifying HOST (as curl).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds allowed for each step.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document (schema 1).")
@click.option("--lang", metavar="LANG", help="en or zh_CN (default: from the environment).")
def send_command(server: str, sender: str, to: tuple[str, ...], file: Path | None,
                 subject: str | None, body_file: Path | None, user: str | None,
                 password_file: Path | None, ca_file: tuple[Path, ...], pin_sha256: str | None,
                 resolve: tuple[str, ...], timeout: float, as_json: bool,
                 lang: str | None) -> None:
    """Send one message over verified TLS, or not at all (exit 0 sent, 2 not sent)."""
    from ..client import Client, MailTLSClientError

    language = pick_language(lang)
    if password_file is not None and user is None:
        raise click.UsageError("--password-file needs --user")
    warnings: list[Finding] = []
    try:
        address = _address(server, resolve)
        message = _message(file, subject, body_file, sender, to)
        secret = read_password(password_file, user, warnings) if user is not None else None
        with Client(server, username=user, password=secret, ca_file=list(ca_file) or None,
                    pin_sha256=pin_sha256, address=address, timeout=timeout) as c:
            result = c.send_message(message, sender=sender, recipients=list(to))
    except MailTLSClientError as exc:
        _emit(_error_doc(exc.finding, language, exc.certificate), as_json, language, warnings)
        sys.exit(2)
    except _Stop as stop:  # the password file cannot be read
        _emit(_error_doc(stop.finding, language), as_json, language, warnings)
        sys.exit(EXIT_NOINPUT)
    except ConfigError as exc:  # a --ca-file that cannot be read or is no certificate file
        raise InputFileError(str(exc)) from None
    except (ValueError, TargetError) as exc:
        raise click.UsageError(str(exc)) from None
    doc = {"schema": SEND_SCHEMA, "sent": True, "queue_id": result.queue_id,
           "reply": result.reply, "recipients": list(result.recipients)}
    _emit(doc, as_json, language, warnings)


def _address(server: str, resolve: Sequence[str]) -> str | None:
    from ..targets import parse_target

    target = parse_target(server)
    for entry in resolve:
        (host, port), addr = parse_resolve(entry)
        if (host, port) == (target.host, target.port):
            return addr
    return None
