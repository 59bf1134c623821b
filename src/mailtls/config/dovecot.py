"""Dovecot configuration (2.3 syntax, and the 2.4 names the rules need), as Dovecot reads it.

``key = value`` (value trimmed, ``"..."`` unquoted), ``#`` starts a comment outside
quotes, a trailing ``\\`` joins the next line (its leading white space dropped),
``!include PATH`` and ``!include_try PATH`` (globs, relative to the including file's
directory; a missing ``!include_try`` is fine), ``<file`` values (kept as written, as
``doveconf -n`` prints them), and sections ``NAME [ARG] { ... }``. The filter sections
``local``, ``remote``, ``local_name`` and ``protocol`` override global settings for the
connections they match; the effective value in a filter is the innermost one set.

Obsolete settings are read as ``doveconf`` 2.3 reads them (``old-set-parser.c``):
``ssl_protocols`` becomes ``ssl_min_protocol`` (the lowest protocol it enables),
``ssl_cert_file``/``ssl_key_file``/``ssl_ca_file`` become ``ssl_cert = <file``...,
``ssl_disable`` becomes ``ssl`` (inverted), and the DH parameter settings are dropped.
Dovecot 2.4's layout (``dovecot_config_version`` first, the ``ssl_server { ... }`` and
``ssl_client { ... }`` named filters whose settings take the filter name as prefix,
``ssl_server_cert_file`` naming a file directly) is read too. ``$name`` in a value is the
value ``name`` had at that point (``protocols = $protocols imap``).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import files
from .files import Problem

if TYPE_CHECKING:
    from .doveconf import Doveconf

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
#: Dovecot 2.4 named filters whose settings carry the filter's name as prefix
NAMED_FILTERS = ("ssl_server", "ssl_client")
#: names only Dovecot 2.4 knows (a 2.3 doveconf refuses them: "Unknown setting")
ONLY_24 = frozenset({"dovecot_config_version", "dovecot_storage_version", "auth_allow_cleartext",
                     *RENAMED, *NAMED_FILTERS})
#: 2.4 settings that the named filters' short names stand for (``ssl_server { cert_file }``)
PREFIXED_24 = frozenset({*RENAMED, "ssl_server_key_password", "ssl_server_dh_file",
                         "ssl_server_prefer_ciphers", "ssl_server_request_client_cert",
                         "ssl_server_require_crl", "ssl_server_cert_username_field",
                         "ssl_server_alt_cert_file", "ssl_server_alt_key_file",
                         "ssl_client_ca_file", "ssl_client_ca_dir", "ssl_client_cert_file",
                         "ssl_client_key_file", "ssl_client_require_valid_cert"})
#: 2.3 names Dovecot 2.4 no longer knows (it refuses them)
ONLY_23 = frozenset({"ssl_cert", "ssl_key", "ssl_ca", "disable_plaintext_auth", "ssl_protocols",
                     "ssl_dh_parameters_length", "ssl_parameters_regenerate", "ssl_cert_file",
                     "ssl_key_file", "ssl_ca_file", "ssl_disable", "ssl_dh",
                     "ssl_prefer_server_ciphers"})
#: what Dovecot accepts for the values the rules read (others stop it at start)
CHOICES = {"ssl": ("yes", "no", "required")}
BOOLEANS = frozenset({"disable_plaintext_auth", "auth_allow_cleartext", "verbose_ssl",
                      "ssl_prefer_server_ciphers", "ssl_require_crl",
                      "ssl_client_require_valid_cert"})
#: ssl_protocols -> ssl_min_protocol, as Dovecot 2.3's ssl_protocols_to_min_protocol()
PROTOCOL_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2")
FILE_KEYS = {"ssl_cert_file": "ssl_cert", "ssl_key_file": "ssl_key", "ssl_ca_file": "ssl_ca"}
DROPPED = frozenset({"ssl_parameters_regenerate", "ssl_dh_parameters_length"})


def min_protocol(ssl_protocols: str) -> tuple[str | None, str]:
    """(ssl_min_protocol, "") as doveconf 2.3 derives it, or (None, the reason it cannot)."""
    state = dict.fromkeys(PROTOCOL_VERSIONS, 0)
    explicit = False
    for word in ssl_protocols.replace(",", " ").split():
        name = word[1:] if word.startswith("!") else word
        if name not in state:
            return None, f"Unrecognized protocol '{name}'"
        state[name] = -1 if word.startswith("!") else 1
        explicit = explicit or not word.startswith("!")
    wanted = 1 if explicit else 0
    for name in PROTOCOL_VERSIONS:
        if state[name] == wanted:
            return name, ""
    return None, "All protocols disabled"


@dataclass(frozen=True)
class Obsolete:
    """A setting doveconf reads under another name, or ignores (``new`` empty)."""

    key: str
    value: str
    file: str
    line: int
    new: str  # the setting it became ("" when dropped or not convertible)
    error: str = ""  # why doveconf could not convert it


@dataclass(frozen=True)
class DSetting:
    key: str
    value: str
    file: str
    line: int
    scope: tuple[str, ...]  # section headers from the outside in: ("local 127.0.0.2",)
    text: str = ""
    written: str = ""  # the key as written when Dovecot reads it under another name

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
    obsolete: list[Obsolete] = field(default_factory=list)
    version: str = "2.3"  # "2.4" when the first setting is dovecot_config_version = 2.4...
    version_setting: DSetting | None = None
    doveconf: Doveconf | None = None  # how doveconf judged the file (None: not asked)

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


def _valid(key: str, value: str) -> bool:
    """Whether Dovecot accepts the value (booleans: yes/y/1/no, any case; enums exact)."""
    if key in BOOLEANS:
        return value.lower() in ("yes", "y", "1", "no")
    return key not in CHOICES or value in CHOICES[key]


def is_true(value: str) -> bool:
    return value.lower() in ("yes", "y", "1")


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
                scope = self._open(file, number, scope, " ".join(line[:-1].split()))
            elif "=" in line:
                self._assign(file, number, line, scope)
            else:
                self.config.problems.append(Problem(file, number, files.P_DOVECOT_SYNTAX,
                                                    line[:200]))
        if len(scope) > entry_depth and self.stack and len(self.stack) == 1:
            self.config.problems.append(Problem(file, 0, files.P_DOVECOT_BLOCK, scope[-1]))
        return scope

    def _open(self, file: str, number: int, scope: tuple[str, ...], header: str
              ) -> tuple[str, ...]:
        kind = header.split()[0]
        filters = [h.split()[0] for h in scope if h.split()[0] in FILTERS]
        if kind in ("local", "remote", "local_name") and "protocol" in filters:
            self._problem(file, number, files.P_FILTER_NESTING, header)
        if kind in NAMED_FILTERS:
            self._version_check(file, number, kind, header)
        return (*scope, header)

    def _problem(self, file: str, number: int, problem: str, context: str) -> None:
        self.config.problems.append(Problem(file, number, problem, context[:200]))

    def _version_check(self, file: str, number: int, key: str, line: str) -> None:
        v24 = self.config.version == "2.4"
        if (key in ONLY_24 and not v24) or (key in ONLY_23 and v24):
            self._problem(file, number, files.P_UNKNOWN_23 if not v24 else files.P_UNKNOWN_24,
                          line)

    def _assign(self, file: str, number: int, line: str, scope: tuple[str, ...]) -> None:
        key, _, value = line.partition("=")
        key = key.strip()
        if not key or " " in key:
            self._problem(file, number, files.P_DOVECOT_SYNTAX, line)
            return
        value = self._expand(_unquote(value.strip()), scope)
        named = [h for h in scope if h in NAMED_FILTERS]
        if named and not key.startswith(named[-1] + "_") and f"{named[-1]}_{key}" in PREFIXED_24:
            key = f"{named[-1]}_{key}"
        scope = tuple(h for h in scope if h not in NAMED_FILTERS)
        if key == "dovecot_config_version" and not self.config.settings:
            self.config.version = "2.4" if not value.startswith(("2.3", "2.2")) else "2.3"
        self._version_check(file, number, key, line)
        written, key, value = key, *self._rename(file, number, key, value)
        if not key:
            return
        if not _valid(key, value):
            self._problem(file, number, files.P_BAD_VALUE, line)
        s = DSetting(key, value, file, number, scope, line, written if written != key else "")
        self.config.settings.append(s)
        if written == "dovecot_config_version" and len(self.config.settings) == 1:
            self.config.version_setting = s

    def _rename(self, file: str, number: int, key: str, value: str) -> tuple[str, str]:
        """(key, value) as Dovecot reads the setting; key "" when it drops the line."""
        if key in RENAMED:
            return RENAMED[key], ("<" + value if value and not value.startswith("<") else value)
        new, new_value, error = "", value, ""
        if key == "ssl_protocols":
            minimum, error = min_protocol(value)
            new, new_value = ("ssl_min_protocol", minimum) if minimum else ("", value)
        elif key in FILE_KEYS and value:
            new, new_value = FILE_KEYS[key], "<" + value
        elif key == "ssl_disable":
            new, new_value = "ssl", {"yes": "no", "no": "yes"}.get(value.lower(), value)
        elif key not in DROPPED and key not in FILE_KEYS:
            return key, value
        self.config.obsolete.append(Obsolete(key, value, file, number, new, error))
        return new, new_value

    def _expand(self, value: str, scope: tuple[str, ...]) -> str:
        """``$name`` -> the value ``name`` has at this point (doveconf 2.3 does the same)."""
        if "$" not in value or self.config.version != "2.3":
            return value
        words = []
        for word in value.split(" "):
            if word.startswith("$") and word[1:].replace("_", "a").isalnum():
                s = self.config.setting(word[1:], scope)
                word = s.value if s is not None else ""
            words.append(word)
        return " ".join(words)

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


def load_dovecot(path: Path, doveconf: str | None = "auto") -> DovecotConfig:
    """Read a dovecot.conf with its includes; problems are kept, never raised.

    ``doveconf``: the doveconf to check the file with ("auto": the installed one, None: none).
    """
    config = DovecotConfig(path)
    _Reader(config).read(path, (), None)
    if any(p.fatal and p.file == str(path) for p in config.problems):
        return config
    from .doveconf import Doveconf, merge, run_doveconf

    run = (run_doveconf(path, config.version, None if doveconf == "auto" else doveconf)
           if doveconf is not None else Doveconf("missing"))
    config.doveconf = run
    config.problems = merge(config.problems, run)
    return config


def parse_dovecot_text(text: str, name: str = "doveconf") -> DovecotConfig:
    """Parse text with no includes (``doveconf -n`` output)."""
    config = DovecotConfig(Path(name))
    reader = _Reader(config)
    reader.stack.append(name)
    reader._parse(text, Path(name), ())
    return config
