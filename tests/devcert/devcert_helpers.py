"""Run the mailtls CLI in-process under the exit-status contract (devcert tests)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from mailtls.cli.exits import run
from mailtls.cli.main import cli


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str


def mailtls(*args: str) -> Result:
    """``mailtls ARGS`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = run(cli, list(args))
    return Result(status, out.getvalue(), err.getvalue())


