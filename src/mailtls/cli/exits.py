"""The command line's contract, the same for every command: exit statuses and error documents.

    0    nothing above low               64   usage error (EX_USAGE)
    1    medium or high finding          66   an input file cannot be read (EX_NOINPUT)
    2    critical finding                130  interrupted (SIGINT, SIGTERM)
    3    could not test (or audit, lint) 141  stdout closed early (as for SIGPIPE)

``main()`` in cli/main.py applies it centrally: click's usage errors (exit 2 by default)
become 64, ``InputFileError`` 66, an interrupt 130, a closed stdout a quiet 141, and an
error that escapes a command 3 with a one-line message (the traceback with MAILTLS_DEBUG=1).
With ``--json`` (or ``--format json``) every such outcome is also a JSON document on stdout
(``schemas/error-1.json``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..catalog import pick_language, tr
from ..failures import exception_text
from . import early, help_i18n

if TYPE_CHECKING:
    from ..verify import TrustStore

EXIT_USAGE = 64
EXIT_NOINPUT = 66
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141
EXIT_INTERNAL = 3
ERROR_SCHEMA = 1

EPILOG = (
    "Exit status: 0 nothing above low, 1 medium or high, 2 critical, 3 could not test; "
    "64 usage error, 66 input file unreadable, 130 interrupted (finished results are "
    "still printed), 141 output closed early."
)


class InputFileError(click.ClickException):
    """An input file (--targets, --ca-file, a configuration) that cannot be read: exit 66."""

    exit_code = EXIT_NOINPUT
    error_id = "cli.input_unreadable"

    def show(self, file: object = None) -> None:
        click.echo(f"mailtls: {self.format_message()}", err=True)


class StdoutClosed(Exception):
    """The reader of stdout went away (``| head -1``): a quiet exit 141."""


class ContractGroup(click.Group):
    """A group whose commands follow the contract: the exit statuses in every --help, and
    EPIPE out of a command raised as StdoutClosed (click itself would exit 1)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not command.epilog:
            command.epilog = EPILOG
        return name, command, rest

    command_epilog = EPILOG  # also a msgid of --help (help_i18n.help_texts)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epilog = self.epilog or EPILOG

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise StdoutClosed from exc


def trust_store(trust: str, ca_files: Sequence[Path]) -> TrustStore:
    """``--trust`` and ``--ca-file`` as every command reads them: an unreadable or
    unusable --ca-file is an input error (66), ``--trust none`` alone a usage error."""
    from ..errors import ConfigError
    from ..verify import TrustStore  # only the commands that verify pay for the import

    if trust == "none" and not ca_files:
        raise click.UsageError("--trust none needs at least one --ca-file")
    for path in ca_files:
        readable_file(path, "--ca-file")
    try:
        return TrustStore.build(trust, ca_files)
    except ConfigError as exc:
        raise InputFileError(str(exc)) from None


def readable_file(path: Path, option: str) -> Path:
    """``path`` if it is a regular file this process can read; InputFileError naming it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputFileError(f"{option} {path}: cannot read it ({exc.strerror})") from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise InputFileError(f"{option} {path}: is a directory, not a file")
    finally:
        os.close(fd)
    return path


def readable_dir(path: Path, option: str) -> Path:
    """``path`` if it is a directory this process can list; InputFileError naming it."""
    try:
        os.listdir(path)
    except NotADirectoryError:
        raise InputFileError(f"{option} {path}: not a directory") from None
    except OSError as exc:
        raise InputFileError(f"{option} {path}: cannot read it ({exc.strerror})") from None
    return path


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (read from the words themselves, so that it
    holds for a usage error found before click has parsed anything)."""
    for i, arg in enumerate(args):
        if arg == "--":
            return False
        if arg == "--json" or arg == "--format=json":
            return True
        if arg == "--format" and i + 1 < len(args) and args[i + 1] == "json":
            return True
    return False


def command_name(args: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    return next((a for a in args if not a.startswith("-")), None)


def error_document(command: str | None, error_id: str, message: str, status: int) -> str:
    """``{"schema": 1, "error": {"id": ..., "message": ...}, ...}`` (schemas/error-1.json)."""
    doc = {
        "schema": ERROR_SCHEMA,
        "tool": {"name": "mailtls", "version": __version__},
        "command": command,
        "error": {"id": error_id, "message": message},
        "exit_status": status,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _language(args: Sequence[str]) -> str:
    for i, arg in enumerate(args):
        if arg.startswith("--lang="):
            return pick_language(arg.partition("=")[2])
        if arg == "--lang" and i + 1 < len(args):
            return pick_language(args[i + 1])
    return pick_language()


def _quiet_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so that the interpreter's last flush is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _say(text: str, err: bool = True) -> None:
    with contextlib.suppress(OSError, ValueError):  # the stream closed as well
        click.echo(text, err=err)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    _say(str(exc.code))
    return 1


def run(group: click.Group, args: Sequence[str], prog_name: str = "mailtls") -> int:
    """Run ``group`` on ``args`` under the contract above; the exit status."""
    args = list(args)
    early.restore()
    help_i18n.install(_language(args))
    if os.environ.get("MAILTLS_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")

    def fail(error_id: str, message: str, status: int, show: Callable[[], None]) -> int:
        show()
        if wants_json(args):
            _say(error_document(command_name(args), error_id, message, status), err=False)
        return status

    try:
        try:
            rv = group.main(args, prog_name=prog_name, standalone_mode=False)
            status = rv if isinstance(rv, int) else 0
        except SystemExit as exc:
            status = _exit_code(exc)
        sys.stdout.flush()
        return status
    except (StdoutClosed, BrokenPipeError):
        _quiet_stdout()
        return EXIT_PIPE
    except InputFileError as exc:
        return fail(exc.error_id, exc.format_message(), EXIT_NOINPUT, exc.show)
    except click.FileError as exc:
        return fail("cli.input_unreadable", exc.format_message(), EXIT_NOINPUT, exc.show)
    except click.UsageError as exc:
        return fail("cli.usage_error", exc.format_message(), EXIT_USAGE, exc.show)
    except click.ClickException as exc:
        return fail("cli.error", exc.format_message(), exc.exit_code, exc.show)
    except (click.Abort, KeyboardInterrupt):
        message = tr("interrupted", _language(args))
        return fail("cli.interrupted", message, EXIT_INTERRUPTED,
                    lambda: _say(f"mailtls: {message}"))  # fmt: skip
    except Exception as exc:
        logging.getLogger("mailtls").debug("internal error", exc_info=exc)
        text = tr("internal error: {error}. Please report this bug (MAILTLS_DEBUG=1 prints "
                  "the traceback).", _language(args)).format(error=exception_text(exc))  # fmt: skip
        return fail("cli.internal_error", text, EXIT_INTERNAL, lambda: _say(f"mailtls: {text}"))
