"""Run a client command once per scenario against a fresh rogue listener, and judge it.

The command is an argv list: ``{host}``, ``{port}`` and ``{scheme}`` are replaced in each
argument and nothing goes through a shell. A command that hangs is killed (its whole
process group) after ``timeout`` seconds; one that crashes or cannot start is recorded
with its stderr; the matrix is produced in every case.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..pki.mitm import MitmPKI, make_pki
from .listener import Listener, server_context
from .scenarios import SCHEMES, Scenario, applicable
from .verdict import Result, judge, went_on

STDERR_CHARS = 2000


@dataclass(frozen=True)
class RunOptions:
    protocol: str
    implicit_tls: bool
    command: tuple[str, ...]
    timeout: float = 20.0
    host: str = "127.0.0.1"
    hostname: str = "localhost"
    scenarios: tuple[str, ...] = ()
    env: dict[str, str] | None = None


def substitute(command: Sequence[str], host: str, port: int, scheme: str) -> list[str]:
    values = {"{host}": host, "{port}": str(port), "{scheme}": scheme}
    out = []
    for arg in command:
        for key, value in values.items():
            arg = arg.replace(key, value)
        out.append(arg)
    return out


def _run_command(argv: list[str], timeout: float,
                 env: dict[str, str] | None) -> tuple[str, str]:
    """(status, stderr): status is "exit N", "killed after Ns" or "could not start"."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True, env=env)
    except OSError as exc:
        return "could not start", f"{argv[0]}: {exc.strerror or exc}"
    try:
        _, err = proc.communicate(timeout=timeout)
        status = f"exit {proc.returncode}"
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        status = f"killed after {timeout:g}s"
    return status, err.decode("utf-8", "replace")[-STDERR_CHARS:]


def _listen(options: RunOptions, scenario: Scenario, pki: MitmPKI,
            directory: Path) -> Listener:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 on purpose
        ctx = server_context(pki.served[scenario.cert], scenario.tls1_0_only, directory,
                             scenario.id)
    return Listener(options.protocol, options.implicit_tls, scenario, ctx, options.host, 0,
                    options.hostname)


def run_scenarios(options: RunOptions, pki: MitmPKI | None = None,
                  progress: Callable[[Result], None] | None = None) -> list[Result]:
    """One run of the command per scenario; the control first, its result judging the rest."""
    pki = pki or make_pki(dt.datetime.now(dt.UTC))
    scheme = SCHEMES[(options.protocol, options.implicit_tls)]
    results: list[Result] = []
    control_ok: bool | None = None
    with tempfile.TemporaryDirectory(prefix="mailtls-mitm-") as tmp:
        for scenario in applicable(options.implicit_tls, options.scenarios):
            listener = _listen(options, scenario, pki, Path(tmp))
            argv = substitute(options.command, options.hostname, listener.port, scheme)
            status, stderr = _run_command(argv, options.timeout, options.env)
            listener.finish()
            conns = list(listener.connections)
            result = judge(scenario, conns, control_ok)
            if scenario.id == "control":
                control_ok = went_on(conns)
            result.stderr, result.exit_status = stderr, status
            result.message = b"".join(c.capture.message for c in conns)
            results.append(result)
            if progress is not None:
                progress(result)
    return results
