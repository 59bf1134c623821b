"""Dovecot configuration (2.3 syntax, and the 2.4 names the rules need), as Dovecot reads it.

``key = value`` (value trimmed, ``"..."`` unquoted), ``#`` starts a comment outside
quotes, a trailing ``\\`` joins the next line (its leading white space dropped),
``!include PATH`` and ``!include_try PATH`` (globs, relative to the including file's
directory; a missing ``!include_try`` is fine), ``<file`` values (kept as written, as
``doveconf -n`` prints them), and sections ``NAME [ARG] { ... }``. The filter sections
``local``, ``remote``, ``local_name`` and ``protocol`` override global settings for the
connections they match; the effective value in a filter is the innermost one set.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import files
from .files import Problem

FILTERS = ("local", "remote", "local_name", "protocol")
MAX_INCLUDE_DEPTH = 20
#: Dovecot 2.3 defaults of the settings the rules read (``doveconf -d``)
DEFAULTS = {
    "ssl": "yes",
    "disable_plaintext_auth": "yes",
    "ssl_min_protocol": "TLSv1.2",
    "ssl_cert": "",
    "ssl_key": "",
    "ssl_ca": "",
    "hostname": "",
    "verbose_ssl": "no",
    "protocols": "imap pop3 lmtp",
}
#: Dovecot 2.4 names -> the 2.3 names the rules use (auth_allow_cleartext is inverted)
RENAMED = {
    "ssl_server_cert_file": "ssl_cert",
    "ssl_server_key_file": "ssl_key",
    "ssl_server_ca_file": "ssl_ca",
}


@dataclass(frozen=True)
class DSetting:
    key: str
    value: str
    file: str
    line: int
    scope: tuple[str, ...]  # section headers from the outside in: ("local 127.0.0.2",)
    text: str = ""

    @property
    def is_file_value(self) -> bool:
        return self.value.startswith("<")

    @property
    def path(self) -> Path | None:
        """The file a ``<file`` value (or a 2.4 ``*_file`` setting) names."""
        if self.value.startswith("<"):
            return Path(self.value[1:].strip())
        return None


@dataclass
class DovecotConfig:
    path: Path
    settings: list[DSetting] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file read, in order

    def scopes(self) -> list[tuple[str, ...]]:
        """The global scope and every filter scope (nested filters included)."""
        found: dict[tuple[str, ...], None] = {(): None}
        for s in self.settings:
            if s.scope and all(h.split()[0] in FILTERS for h in s.scope):
                found[s.scope] = None
        return list(found)

    def setting(self, key: str, scope: tuple[str, ...] = ()) -> DSetting | None:
        """The setting in force for ``key`` in ``scope``: the innermost, the last one."""
        for depth in range(len(scope), -1, -1):
            prefix = scope[:depth]
            hits = [s for s in self.settings if s.key == key and s.scope == prefix]
            if hits:
                return hits[-1]
        return None

    def value(self, key: str, scope: tuple[str, ...] = ()) -> str:
        s = self.setting(key, scope)
        return s.value if s is not None else DEFAULTS.get(key, "")

    def flat(self) -> dict[tuple[tuple[str, ...], str], str]:
        """(scope, key) -> value, the last assignment winning: what ``doveconf -n`` shows."""
        return {(s.scope, s.key): s.value for s in self.settings}


def _strip_comment(line: str) -> str:
    quote = ""
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i]
    return line


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if value[0] == '"' else inner
    return value


def _lines(text: str) -> Iterator[tuple[int, str]]:
    pending, start = "", 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = _strip_comment(raw).strip()
        if pending:
            line = pending + line
        elif not line:
            continue
        if line.endswith("\\"):
            pending, start = line[:-1], start or number
            continue
        yield (start or number), line
        pending, start = "", 0
    if pending:
        yield start, pending


class _Reader:
    def __init__(self, config: DovecotConfig) -> None:
        self.config = config
        self.stack: list[str] = []

    def read(self, path: Path, scope: tuple[str, ...], where: tuple[str, int] | None,
             optional: bool = False) -> tuple[str, ...]:
        real = os.path.realpath(path)
        if real in self.stack:
            file, line = where or (str(path), 0)
            chain = " -> ".join([*self.stack, real])
            self.config.problems.append(Problem(file, line, files.P_INCLUDE_LOOP, chain))
            return scope
        if len(self.stack) >= MAX_INCLUDE_DEPTH:
            file, line = where or (str(path), 0)
            self.config.problems.append(Problem(file, line, files.P_INCLUDE_DEPTH, str(path)))
            return scope
        text, problem = files.read_config(path)
        if problem is not None:
            if where is None:
                self.config.problems.append(problem)
            elif not (optional and problem.problem == files.P_MISSING):
                self.config.problems.append(
                    Problem(where[0], where[1], files.P_INCLUDE_MISSING,
                            f"{path}: {problem.problem} {problem.context}".strip()))
            return scope
        self.config.files.append(str(path))
        self.stack.append(real)
        try:
            return self._parse(text or "", path, scope)
        finally:
            self.stack.pop()

    def _parse(self, text: str, path: Path, scope: tuple[str, ...]) -> tuple[str, ...]:
        file = str(path)
        entry_depth = len(scope)
        for number, line in _lines(text):
            if line.startswith("!include"):
                scope = self._include(line, path, scope, number)
            elif line == "}":
                if len(scope) <= entry_depth:
                    self.config.problems.append(Problem(file, number, files.P_UNBALANCED, line))
                else:
                    scope = scope[:-1]
            elif line.endswith("{") and "=" not in line:
                scope = (*scope, " ".join(line[:-1].split()))
            elif "=" in line:
                key, _, value = line.partition("=")
                key = key.strip()
                if not key or " " in key:
                    self.config.problems.append(Problem(file, number, files.P_DOVECOT_SYNTAX,
                                                        line[:200]))
                    continue
                value = _unquote(value.strip())
                key = RENAMED.get(key, key)
                if key in ("ssl_cert", "ssl_key", "ssl_ca") and value and line.partition(
                        "=")[0].strip() in RENAMED:
                    value = "<" + value  # 2.4 names a file directly
                self.config.settings.append(DSetting(key, value, file, number, scope, line))
            else:
                self.config.problems.append(Problem(file, number, files.P_DOVECOT_SYNTAX,
                                                    line[:200]))
        if len(scope) > entry_depth and self.stack and len(self.stack) == 1:
            self.config.problems.append(Problem(file, 0, files.P_DOVECOT_BLOCK, scope[-1]))
        return scope

    def _include(self, line: str, path: Path, scope: tuple[str, ...], number: int
                 ) -> tuple[str, ...]:
        directive, _, target = line.partition(" ")
        optional = directive == "!include_try"
        if directive not in ("!include", "!include_try") or not target.strip():
            self.config.problems.append(Problem(str(path), number, files.P_DOVECOT_SYNTAX, line))
            return scope
        pattern = _unquote(target.strip())
        if not os.path.isabs(pattern):
            pattern = str(path.parent / pattern)
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for m in matches:
            scope = self.read(Path(m), scope, (str(path), number), optional)
        return scope


def load_dovecot(path: Path) -> DovecotConfig:
    """Read a dovecot.conf with its includes; problems are kept, never raised."""
    config = DovecotConfig(path)
    _Reader(config).read(path, (), None)
    return config


def parse_dovecot_text(text: str, name: str = "doveconf") -> DovecotConfig:
    """Parse text with no includes (``doveconf -n`` output)."""
    config = DovecotConfig(Path(name))
    reader = _Reader(config)
    reader.stack.append(name)
    reader._parse(text, Path(name), ())
    return config
