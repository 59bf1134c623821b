"""Dovecot's own reading of a configuration: ``doveconf -c FILE -n``, when it is installed.

doveconf stops at the first line Dovecot refuses (``Fatal: Error in configuration file F
line N: MESSAGE``): that line is reported with doveconf's message, in place of mailtls's
built-in problem for the same line, because a file doveconf refuses is a Dovecot that will
not start. The version doveconf prints in its first line (``# 2.3.19.1 (hash): FILE``) is
compared with the version the file declares (``dovecot_config_version``, else 2.3): a file
written for another version is not judged by this doveconf.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import files
from .files import Problem

TIMEOUT = 30.0
_VERSION = re.compile(r"^# (\d+)\.(\d+)[.\d]* \(", re.M)
_FATAL = re.compile(r"^doveconf: Fatal: Error in configuration file (.+?)(?: line (\d+))?: (.*)$",
                    re.M)
_STARTED = re.compile(r"section started at (.+):(\d+)\)")


@dataclass(frozen=True)
class Doveconf:
    """One run: ``status`` is "ok", "missing" (not installed, or it could not run) or
    "other_version"; ``installed`` the major.minor version of doveconf."""

    status: str
    installed: str = ""
    problems: tuple[Problem, ...] = ()


def find_doveconf() -> str | None:
    return shutil.which("doveconf")


def _run(argv: list[str]) -> tuple[str, str] | None:
    """(version, stderr), or None when doveconf cannot be run or does not answer."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False, stdin=subprocess.DEVNULL,
                              env={**os.environ, "LC_ALL": "C"}, errors="replace")
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(done.stdout)
    if match is None:
        return None
    return f"{match.group(1)}.{match.group(2)}", done.stderr


def refusals(stderr: str, base: Path) -> tuple[Problem, ...]:
    """doveconf's fatal configuration errors as problems (file, line, its message)."""
    found: dict[tuple[str, int, str], None] = {}
    for m in _FATAL.finditer(stderr):
        file, line, message = m.group(1), int(m.group(2) or 0), m.group(3).strip()
        started = _STARTED.search(message)
        if not line and started:
            file, line = started.group(1), int(started.group(2))
        if not os.path.isabs(file) and not Path(file).exists():
            file = str(base.parent / file)
        found[(file, line, message)] = None
    return tuple(Problem(f, n, files.P_DOVECONF, msg) for f, n, msg in found)


def run_doveconf(path: Path, declared: str, binary: str | None = None) -> Doveconf:
    """Run doveconf on ``path`` (a file declaring Dovecot ``declared``, e.g. "2.3")."""
    binary = binary or find_doveconf()
    if binary is None:
        return Doveconf("missing")
    out = _run([binary, "-c", str(path), "-n"])
    if out is None:
        return Doveconf("missing")
    version, stderr = out
    if version != declared:
        return Doveconf("other_version", version)
    return Doveconf("ok", version, refusals(stderr, path))


def merge(problems: list[Problem], run: Doveconf) -> list[Problem]:
    """Built-in problems, judged by doveconf when it ran: a file it accepts has no refused
    line; the line it refuses carries its message instead of ours."""
    if run.status != "ok":
        return problems
    if not run.problems:
        return [p for p in problems if p.fatal]
    spots = {(p.file, p.line) for p in run.problems}
    files_whole = {p.file for p in run.problems if p.line == 0}
    kept = [p for p in problems
            if p.fatal or ((p.file, p.line) not in spots and not (
                p.file in files_whole and p.line == 0))]
    return kept + list(run.problems)
