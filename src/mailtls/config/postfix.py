"""Postfix main.cf and master.cf, read as Postfix reads them, and effective values per service.

main.cf (as ``readlline`` and ``postconf`` 3.7): a logical line starts with non-white
space; a line starting with white space continues it; lines whose first non-white
character is ``#`` and blank lines are skipped, even between continuation lines; the
continuation is appended as it is (its white space kept); ``#`` elsewhere is text. A line
``name = value`` (white space around ``=`` optional; value trimmed); the last one wins.

master.cf: the same logical lines; fields split on white space except inside ``{ }``;
8 fields, then the command's arguments, where ``-o name=value``, ``-oname=value`` and
``-o { name = value }`` override a main.cf parameter for that service alone.

The effective value of a parameter for a service: the service's ``-o``, else main.cf,
else the default (``postconf -d``, or the built-in table); expanded in that service's
context, as ``postconf -x`` and the daemons do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..catalog.parts.audit import CONFIG_PROBLEMS
from . import files
from .defaults import SERVICE_SUFFIXES, Defaults, load_defaults, mydomain_for
from .files import Problem
from .macro import Expander, MacroError, references

P_DUPLICATE_SERVICE = CONFIG_PROBLEMS["duplicate_service"]
P_UNKNOWN_OPTION = CONFIG_PROBLEMS["unknown_option"]
#: defaults whose text is a reply template or a local(8) path, not parameter references
_NOT_REFERENCES = frozenset({"default_rbl_reply", "forward_path"})

DEFAULT_SERVICES = (  # what an installation's master.cf always has, when it cannot be read
    ("smtp", "inet", "smtpd"),
    ("smtp", "unix", "smtp"),
    ("relay", "unix", "smtp"),
)


@dataclass(frozen=True)
class Setting:
    """``name = value`` at ``file:line`` (``end_line``: its last continuation line)."""

    name: str
    value: str  # raw, as written (continuations joined)
    file: str
    line: int
    end_line: int
    service: str | None = None  # "name/type" for a master.cf -o
    text: str = ""  # the source text of the setting (for -o: the option token(s))


@dataclass(frozen=True)
class Service:
    name: str
    type: str
    command: str
    args: tuple[str, ...]
    overrides: dict[str, Setting]
    file: str
    line: int
    end_line: int

    @property
    def key(self) -> str:
        return f"{self.name}/{self.type}"

    @property
    def port(self) -> str:
        """The service name without an address: ``submission``, ``587``, ``smtps``."""
        return self.name.rsplit(":", 1)[-1] if self.type == "inet" else self.name


def logical_lines(text: str) -> Iterator[tuple[int, int, str, list[int]]]:
    """(first line, last line, joined text, the line of every character) per logical line."""
    start = end = 0
    parts: list[str] = []
    where: list[int] = []
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[0].isspace():
            if parts:
                parts.append(line)
                where += [number] * len(line)
                end = number
                continue
            yield number, number, line, [number] * len(line)  # dangling: caller reports it
            continue
        if parts:
            yield start, end, "".join(parts), where
        start = end = number
        parts, where = [line], [number] * len(line)
    if parts:
        yield start, end, "".join(parts), where


def split_nameval(text: str) -> tuple[str, str] | None:
    m = re.match(r"\s*([^\s=]+)\s*=(.*)$", text, re.S)
    if not m:
        return None
    return m.group(1), m.group(2).strip()


def parse_main(text: str, file: str) -> tuple[list[Setting], list[Problem]]:
    settings: list[Setting] = []
    problems: list[Problem] = []
    for first, last, line, _ in logical_lines(text):
        if line[0].isspace():
            problems.append(Problem(file, first, files.P_LEADING_SPACE, line.strip()[:200]))
            continue
        nv = split_nameval(line)
        if nv is None:
            problems.append(Problem(file, first, files.P_NO_EQUALS, line.strip()[:200]))
            continue
        settings.append(Setting(nv[0], nv[1], file, first, last, text=line))
    return settings, problems


def _tokens(line: str, where: list[int]) -> Iterator[tuple[str, int, int, int]]:
    """(token, line, start, end) split on white space, ``{ }`` keeping white space inside."""
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start, level = i, 0
        while i < n and (level > 0 or not line[i].isspace()):
            if line[i] == "{":
                level += 1
            elif line[i] == "}":
                level -= 1
            i += 1
        if level != 0:
            raise ValueError(line[start:i])
        yield line[start:i], where[start], start, i


def _option(token: str) -> tuple[str, str] | None:
    body = token.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    return split_nameval(body)


def _service(first: int, last: int, line: str, where: list[int], file: str,
             problems: list[Problem]) -> Service | None:
    try:
        toks = list(_tokens(line, where))
    except ValueError as exc:
        problems.append(Problem(file, first, files.P_UNBALANCED, str(exc)[:200]))
        return None
    if len(toks) < 8:
        problems.append(Problem(file, first, files.P_MASTER_FIELDS, line.strip()[:200]))
        return None
    name, type_ = toks[0][0], toks[1][0]
    command = toks[7][0]
    overrides: dict[str, Setting] = {}
    args: list[str] = []
    rest = toks[8:]
    i = 0
    while i < len(rest):
        tok, lno, s, e = rest[i]
        option: str | None = None
        if tok == "-o" and i + 1 < len(rest):
            option, lno, e = rest[i + 1][0], rest[i + 1][1], rest[i + 1][3]
            i += 1
        elif tok.startswith("-o") and tok != "-o":
            option = tok[2:]
        else:
            args.append(tok)
        i += 1
        if option is None:
            continue
        nv = _option(option)
        if nv is None:
            problems.append(Problem(file, lno, files.P_MASTER_OPTION, option[:200]))
            continue
        overrides[nv[0]] = Setting(nv[0], nv[1], file, lno, lno, f"{name}/{type_}", line[s:e])
    return Service(name, type_, command, tuple(args), overrides, file, first, last)


def parse_master(text: str, file: str) -> tuple[list[Service], list[Problem]]:
    services: list[Service] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for first, last, line, where in logical_lines(text):
        if line[0].isspace():
            problems.append(Problem(file, first, files.P_LEADING_SPACE, line.strip()[:200]))
            continue
        svc = _service(first, last, line, where, file, problems)
        if svc is None:
            continue
        if svc.key in seen:
            problems.append(Problem(file, first, P_DUPLICATE_SERVICE,
                                    f"{svc.key} (first at line {seen[svc.key]})"))
            continue
        seen[svc.key] = first
        services.append(svc)
    return services, problems


def words(value: str) -> str:
    """A value as postconf prints it: white-space separated words joined by one space."""
    return " ".join(value.split())


@dataclass
class PostfixConfig:
    """One Postfix configuration directory."""

    directory: Path
    settings: list[Setting]  # every main.cf setting, in file order
    services: list[Service]
    defaults: Defaults
    problems: list[Problem] = field(default_factory=list)
    master_read: bool = True

    @cached_property
    def main(self) -> dict[str, Setting]:
        return {s.name: s for s in self.settings}  # the last one wins

    @property
    def main_cf(self) -> str:
        return str(self.directory / "main.cf")

    @property
    def master_cf(self) -> str:
        return str(self.directory / "master.cf")

    def service(self, key: str) -> Service | None:
        return next((s for s in self.services if s.key == key), None)

    def _raw_main(self, name: str) -> str | None:
        s = self.main.get(name)
        if s is not None:
            return s.value
        if name == "config_directory":
            return str(self.directory)
        if name == "mydomain":  # derived from the effective myhostname, as Postfix does
            busy: set[str] = self.__dict__.setdefault("_deriving", set())
            if name in busy:
                raise MacroError("recursive parameter reference", name, ("mydomain",
                                                                          "myhostname"))
            busy.add(name)
            try:
                return mydomain_for(self.expander(None).value("myhostname") or "")
            finally:
                busy.discard(name)
        return self.defaults.values.get(name)

    def raw(self, name: str, service: str | None = None) -> str | None:
        svc = self.service(service) if service else None
        if svc is not None and name in svc.overrides:
            return svc.overrides[name].value
        return self._raw_main(name)

    def origin(self, name: str, service: str | None = None) -> Setting | None:
        """Where the effective value comes from: a -o, a main.cf line, or None (default)."""
        svc = self.service(service) if service else None
        if svc is not None and name in svc.overrides:
            return svc.overrides[name]
        return self.main.get(name)

    def expander(self, service: str | None) -> Expander:
        cache: dict[str | None, Expander] = self.__dict__.setdefault("_expanders", {})
        if service not in cache:
            cache[service] = Expander(lambda n: self.raw(n, service))
        return cache[service]

    def value(self, name: str, service: str | None = None) -> str:
        """The effective, expanded value ("" when undefined); MacroError when it cannot be."""
        return self.expander(service).value(name) or ""

    def safe_value(self, name: str, service: str | None = None) -> str:
        try:
            return self.value(name, service)
        except MacroError:
            return ""

    # -- what postconf prints --------------------------------------------------------------

    def used_names(self) -> set[str]:
        """main.cf names ``postconf -n`` prints: known to Postfix, or referenced somewhere."""
        names = set(self.main) | {"config_directory"}
        if not self.defaults.complete:
            return names  # without the full list of Postfix's parameters, show all
        referenced = self._referenced()
        return {n for n in names if self.defaults.known(n) or n in referenced}

    def _referenced(self) -> set[str]:
        """Names some value refers to, and the per-service names of master.cf's services."""
        referenced: set[str] = set()
        for s in self.main.values():  # an overridden earlier assignment refers to nothing
            referenced.update(references(s.value))
        for svc in self.services:  # a -o value sees the service's own -o names first
            for o in svc.overrides.values():
                referenced.update(n for n in references(o.value) if n not in svc.overrides)
        for name, value in self.defaults.values.items():  # renamed: postscreen_dnsbl_ttl
            if name not in _NOT_REFERENCES and "$" in value:
                referenced.update(_safe_references(value))
        classes = self.main.get("smtpd_restriction_classes")
        if classes:
            referenced.update(re.split(r"[\s,]+", classes.value))
        if self.master_read:  # without master.cf, postconf knows no service names
            referenced.update(svc.name + sfx for svc in self.services for sfx in SERVICE_SUFFIXES)
        return referenced

    def unknown_options(self) -> list[Problem]:
        """A problem for each ``-o`` name Postfix does not know ("unused parameter")."""
        if not self.defaults.complete:
            return []
        referenced = self._referenced()
        out = []
        for svc in self.services:
            mine = {n for o in svc.overrides.values() for n in _safe_references(o.value)}
            for name, o in svc.overrides.items():
                if not (self.defaults.known(name) or name in referenced or name in mine):
                    out.append(Problem(o.file, o.line, P_UNKNOWN_OPTION,
                                       f"{svc.key}: {o.text.strip() or name}"[:300]))
        return out

    def effective_main(self) -> list[tuple[str, str]]:
        """``postconf -c DIR -n -x``: (name, expanded value), sorted; MacroError if any fails."""
        return [(n, words(self.value(n))) for n in sorted(self.used_names())]

    def effective_master(self, expand: bool = False) -> list[tuple[str, str]]:
        """``postconf -c DIR -P`` (``-P -x`` with expand): ("svc/type/name", value)."""
        out = []
        for svc in self.services:
            for name in sorted(svc.overrides):
                raw = svc.overrides[name].value
                val = self.expander(svc.key).expand(raw) if expand else raw
                out.append((f"{svc.key}/{name}", words(val)))
        return out

    def expansion_problems(self) -> list[Problem]:
        """A problem for each setting whose value Postfix cannot expand (loops, syntax)."""
        out: list[Problem] = []
        checks: list[tuple[Setting, str | None]] = [(s, None) for s in self.main.values()]
        checks += [(o, svc.key) for svc in self.services for o in svc.overrides.values()]
        for s, key in checks:
            try:
                self.expander(key).value(s.name)
            except MacroError as exc:
                loop = exc.problem.startswith("recursive")
                context = " -> ".join(exc.chain) if loop else f"{exc.problem}: {exc.text}"
                out.append(Problem(s.file, s.line, files.P_LOOP if loop else files.P_MACRO,
                                   f"{s.name} = {s.value[:150]}  ({context[:300]})"))
        return out


def _safe_references(value: str) -> set[str]:
    try:
        return set(references(value))
    except MacroError:
        return set()


def load_postfix(directory: Path, defaults: Defaults | None = None) -> PostfixConfig:
    """Read DIR/main.cf and DIR/master.cf; problems are kept, never raised.

    A main.cf that cannot be read at all leaves ``settings`` empty and a fatal problem.
    A master.cf that cannot be read is replaced by Postfix's standard services.
    """
    defaults = defaults or load_defaults()
    problems: list[Problem] = []
    text, problem = files.read_config(directory / "main.cf")
    settings: list[Setting] = []
    if problem:
        problems.append(problem)
    elif text is not None:
        settings, found = parse_main(text, str(directory / "main.cf"))
        problems += found
    mtext, mproblem = files.read_config(directory / "master.cf")
    services: list[Service] = []
    if mproblem:
        problems.append(mproblem)
        services = [Service(n, t, c, (), {}, str(directory / "master.cf"), 0, 0)
                    for n, t, c in DEFAULT_SERVICES]
    elif mtext is not None:
        services, found = parse_master(mtext, str(directory / "master.cf"))
        problems += found
    config = PostfixConfig(directory, settings, services, defaults, problems, mproblem is None)
    config.problems += config.expansion_problems() + config.unknown_options()
    return config
