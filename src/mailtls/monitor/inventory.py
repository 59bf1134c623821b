"""The inventory: a TOML file naming what to watch, how often, and whom to tell.

    load_inventory(path) -> Inventory        InventoryError(path, line, message) otherwise
    EXAMPLE                                  the commented file ``mailtls monitor init`` writes

tomllib reports syntax errors with a line number but knows nothing of our keys, so every
semantic error (unknown key, wrong type, bad target, duplicate) is located here by
:func:`locate`, which walks the file's table headers to the key's line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, TargetError
from ..model import Target
from ..targets import normalize_host, parse_target

MAX_BYTES = 32 * 1024 * 1024
Key = tuple[str | int, ...]


class InventoryError(ConfigError):
    """An inventory that cannot be used; the message names the file and the line."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.reason = path, line, message


@dataclass(frozen=True)
class Thresholds:
    warn_days: int = 30
    crit_days: int = 14
    unreachable_after: int = 3


@dataclass(frozen=True)
class Endpoint:
    """One endpoint to watch: ``target`` carries the forced address (``resolve``)."""

    target: Target
    ca_files: tuple[Path, ...] = ()
    pin_sha256: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    limits: Thresholds = Thresholds()
    line: int | None = None

    @property
    def key(self) -> str:
        """The history series of this endpoint: its URL (addresses are kept per row)."""
        return self.target.url


@dataclass(frozen=True)
class Domain:
    """A mail domain whose MX hosts are watched, looked up again at every pass."""

    name: str
    scheme: str = "smtp"
    port: int = 25
    ca_files: tuple[Path, ...] = ()
    tags: tuple[str, ...] = ()
    limits: Thresholds = Thresholds()
    line: int | None = None
    authenticated: bool = False  # also judge DANE/MTA-STS (mailtls.monitor.domains)
    trust_anchor: Path | None = None  # DNSSEC anchor for that; None: the root's


@dataclass(frozen=True)
class Webhook:
    url: str
    retries: int = 3
    timeout: float = 10.0


@dataclass(frozen=True)
class Email:
    """Alerts by mail through mailtls.client: TLS verified, never a fallback to clear text."""

    server: str
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password_file: Path | None = None
    ca_files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Notify:
    stdout: bool = True
    webhooks: tuple[Webhook, ...] = ()
    emails: tuple[Email, ...] = ()


@dataclass(frozen=True)
class Inventory:
    path: Path
    endpoints: tuple[Endpoint, ...]
    domains: tuple[Domain, ...] = ()
    history: str | None = None  # a database URL; None: <inventory>.history.sqlite beside it
    retention_days: int = 400
    every: float = 86400.0  # seconds between passes
    jitter: float = 600.0  # at most this many seconds added at random to each wait
    timeout: float = 30.0
    concurrency: int = 50
    trust: str = "mozilla"
    nameservers: tuple[str, ...] = ()
    notify: Notify = field(default_factory=Notify)

    @property
    def history_url(self) -> str:
        if self.history:
            return self.history
        return f"sqlite:///{self.path.with_suffix('.history.sqlite').resolve()}"


# --- locating keys ---------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*\"?([A-Za-z0-9_\-]+)\"?\s*=")


def locate(text: str, key: Key) -> int | None:
    """The 1-based line of ``key``: ("endpoint", 2, "warn_days"), ("schedule", "every"),
    ("endpoint", 2) for the third ``[[endpoint]]`` itself, ("history",) at the top level.

    Headers give the table (the n-th ``[[endpoint]]`` for index n); inside it, the line
    that assigns the last name. Falls back to the table's header line, then None.
    """
    if key and isinstance(key[-1], int):
        scope, leaf = key, None
    else:
        scope, leaf = key[:-1], (str(key[-1]) if key else None)
    table = [k for k in scope if isinstance(k, str)]
    index = next((k for k in scope if isinstance(k, int)), 0)
    current: list[str] = []
    count: dict[str, int] = {}
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            current = [p.strip().strip('"') for p in m.group(2).split(".")]
            dotted = ".".join(current)
            count[dotted] = count.get(dotted, -1) + 1
            if current == table and count[dotted] == index:
                header_line = number
                if leaf is None:
                    return number
            elif leaf is not None and not table and current == [leaf]:
                return number  # a top-level table written as a header
            continue
        inside = current == table and (not table or count.get(".".join(table)) == index)
        k = _KEY.match(line)
        if inside and k and k.group(1) == leaf:
            return number
    return header_line


# --- reading -------------------------------------------------------------------------


class _Reader:
    """Typed access to the parsed document, every error raised at the key's line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, key: Key, message: str) -> InventoryError:
        return InventoryError(self.path, locate(self.text, key), message)

    def table(self, data: Mapping[str, Any], key: Key, allowed: Sequence[str]) -> None:
        for name in data:
            if name not in allowed:
                known = ", ".join(allowed)
                raise self.fail((*key, name), f"unknown key {_dotted((*key, name))!r} "
                                f"(known here: {known})")

    def get(self, data: Mapping[str, Any], key: Key, kind: type | tuple[type, ...],
            default: Any) -> Any:
        name = key[-1]
        assert isinstance(name, str)
        if name not in data:
            return default
        value = data[name]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            value = object()  # true is not a number
        if not isinstance(value, kind):
            raise self.fail(key, f"{_dotted(key)!r} must be {_kind_name(kind)}, "
                            f"not {type(data[name]).__name__}")
        return value

    def number(self, data: Mapping[str, Any], key: Key, default: float, low: float,
               high: float) -> float:
        value = self.get(data, key, (int, float), default)
        if not low <= value <= high:
            raise self.fail(key, f"{_dotted(key)!r} must be from {low:g} to {high:g}, "
                            f"not {value}")
        return float(value)

    def strings(self, data: Mapping[str, Any], key: Key) -> tuple[str, ...]:
        value = self.get(data, key, (list, str), [])
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(i, str) for i in items):
            raise self.fail(key, f"{_dotted(key)!r} must be a list of strings")
        return tuple(items)

    def paths(self, data: Mapping[str, Any], key: Key) -> tuple[Path, ...]:
        base = self.path.parent
        return tuple(base / p for p in self.strings(data, key))

    def duration(self, data: Mapping[str, Any], key: Key, default: float) -> float:
        value = self.get(data, key, (int, float, str), default)
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
            if not m:
                raise self.fail(key, f"{_dotted(key)!r}: {value!r} is not a duration "
                                "(e.g. 90s, 15m, 6h, 1d)")
            unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
            value = float(m.group(1)) * unit
        if value < 0:
            raise self.fail(key, f"{_dotted(key)!r} must not be negative")
        return float(value)


def _dotted(key: Key) -> str:
    out = ""
    for k in key:
        out += f"[{k + 1}]" if isinstance(k, int) else (f".{k}" if out else k)
    return out


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "a table", bool: "true or false"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


_TOP = ("history", "schedule", "scan", "defaults", "endpoint", "domain", "notify")
_LIMIT_KEYS = ("warn_days", "crit_days", "unreachable_after")
_ENDPOINT_KEYS = ("target", "resolve", "ca_file", "pin_sha256", "tags", *_LIMIT_KEYS)
_DOMAIN_KEYS = ("name", "scheme", "port", "ca_file", "tags", "authenticated", "trust_anchor",
                *_LIMIT_KEYS)


def load_inventory(path: Path) -> Inventory:
    """Read and check an inventory; InventoryError (file:line: what) for anything wrong."""
    try:
        raw = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise InventoryError(path, None, f"cannot read the inventory ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise InventoryError(path, None, f"larger than {MAX_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise InventoryError(path, None, f"not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InventoryError(path, int(m.group(1)) if m else None,
                             f"not valid TOML: {reason}") from None
    return _Parser(_Reader(path, text)).inventory(data)


class _Parser:
    def __init__(self, reader: _Reader) -> None:
        self.r = reader

    def section(self, data: Mapping[str, Any], name: str, allowed: Sequence[str]
                ) -> Mapping[str, Any]:
        value: Mapping[str, Any] = self.r.get(data, (name,), dict, {})
        self.r.table(value, (name,), allowed)
        return value

    def inventory(self, data: Mapping[str, Any]) -> Inventory:
        r = self.r
        r.table(data, (), _TOP)
        hist = self.section(data, "history", ("url", "retention_days"))
        sched = self.section(data, "schedule", ("every", "jitter"))
        scan = self.section(data, "scan", ("timeout", "concurrency", "trust", "nameservers"))
        defaults = self.section(data, "defaults", _LIMIT_KEYS)
        base = self.limits(defaults, ("defaults",), Thresholds())
        trust = r.get(scan, ("scan", "trust"), str, "mozilla")
        if trust not in ("mozilla", "system", "none"):
            raise r.fail(("scan", "trust"), f"'scan.trust' must be mozilla, system or none, "
                         f"not {trust!r}")
        endpoints = self.entries(data, "endpoint", lambda e, k: self.endpoint(e, k, base))
        domains = self.entries(data, "domain", lambda e, k: self.domain(e, k, base))
        if not endpoints and not domains:
            raise r.fail((), "no [[endpoint]] and no [[domain]]: nothing to watch")
        self.no_duplicates(endpoints)
        return Inventory(
            path=r.path,
            endpoints=tuple(endpoints),
            domains=tuple(domains),
            history=r.get(hist, ("history", "url"), str, None),
            retention_days=int(r.number(hist, ("history", "retention_days"), 400, 1, 36500)),
            every=r.duration(sched, ("schedule", "every"), 86400.0) or 86400.0,
            jitter=r.duration(sched, ("schedule", "jitter"), 600.0),
            timeout=r.number(scan, ("scan", "timeout"), 30.0, 0.1, 3600),
            concurrency=int(r.number(scan, ("scan", "concurrency"), 50, 1, 10000)),
            trust=trust,
            nameservers=r.strings(scan, ("scan", "nameservers")),
            notify=self.notify(data),
        )

    def entries(self, data: Mapping[str, Any], name: str, build: Any) -> list[Any]:
        items = self.r.get(data, (name,), list, [])
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.r.fail((name, i), f"each {name} must be a table ([[{name}]])")
            out.append(build(item, (name, i)))
        return out

    def limits(self, data: Mapping[str, Any], key: Key, base: Thresholds) -> Thresholds:
        r = self.r
        warn = int(r.number(data, (*key, "warn_days"), base.warn_days, 0, 3650))
        crit = int(r.number(data, (*key, "crit_days"), base.crit_days, 0, 3650))
        after = int(r.number(data, (*key, "unreachable_after"), base.unreachable_after, 1, 1000))
        if crit > warn:
            raise r.fail((*key, "crit_days"), f"crit_days ({crit}) is more than warn_days "
                         f"({warn}): the critical threshold comes after the warning")
        return Thresholds(warn, crit, after)

    def endpoint(self, e: Mapping[str, Any], key: Key, base: Thresholds) -> Endpoint:
        r = self.r
        r.table(e, key, _ENDPOINT_KEYS)
        text = r.get(e, (*key, "target"), str, None)
        if text is None:
            raise r.fail(key, f"{_dotted(key)!r} has no 'target'")
        try:
            target = parse_target(text)
        except TargetError as exc:
            raise r.fail((*key, "target"), str(exc)) from None
        resolve = r.get(e, (*key, "resolve"), str, None)
        if resolve is not None:
            try:
                target = Target(target.scheme, target.host, target.port,
                                normalize_ip(resolve))
            except ValueError:
                raise r.fail((*key, "resolve"), f"resolve {resolve!r} is not an IP "
                             "address") from None
        return Endpoint(target, r.paths(e, (*key, "ca_file")), r.strings(e, (*key, "pin_sha256")),
                        r.strings(e, (*key, "tags")), self.limits(e, key, base),
                        locate(r.text, key))

    def domain(self, e: Mapping[str, Any], key: Key, base: Thresholds) -> Domain:
        r = self.r
        r.table(e, key, _DOMAIN_KEYS)
        name = r.get(e, (*key, "name"), str, None)
        if name is None:
            raise r.fail(key, f"{_dotted(key)!r} has no 'name'")
        try:
            name = normalize_host(name, name)
        except TargetError as exc:
            raise r.fail((*key, "name"), str(exc)) from None
        scheme = r.get(e, (*key, "scheme"), str, "smtp")
        if scheme not in ("smtp", "submission", "smtps"):
            raise r.fail((*key, "scheme"), f"scheme {scheme!r}: MX hosts take smtp, "
                         "submission or smtps")
        port = int(r.number(e, (*key, "port"), 25, 1, 65535))
        anchor = r.get(e, (*key, "trust_anchor"), str, None)
        return Domain(name, scheme, port, r.paths(e, (*key, "ca_file")),
                      r.strings(e, (*key, "tags")), self.limits(e, key, base),
                      locate(r.text, key), r.get(e, (*key, "authenticated"), bool, False),
                      None if anchor is None else r.path.parent / anchor)

    def no_duplicates(self, endpoints: Sequence[Endpoint]) -> None:
        first: dict[Target, Endpoint] = {}
        for e in endpoints:
            if e.target in first:
                raise InventoryError(self.r.path, e.line, f"{e.target.url} "
                                     f"(resolve {e.target.address or '-'}) is listed twice; "
                                     f"first at line {first[e.target].line}")
            first[e.target] = e

    def notify(self, data: Mapping[str, Any]) -> Notify:
        r = self.r
        n = self.section(data, "notify", ("stdout", "webhook", "email"))
        hooks = []
        for i, h in enumerate(r.get(n, ("notify", "webhook"), list, [])):
            key: Key = ("notify", "webhook", i)
            r.table(h, key, ("url", "retries", "timeout"))
            url = r.get(h, (*key, "url"), str, "")
            if not re.match(r"https?://", url):
                raise r.fail((*key, "url"), f"webhook url {url!r} must start with http(s)://")
            hooks.append(Webhook(url, int(r.number(h, (*key, "retries"), 3, 0, 20)),
                                 r.number(h, (*key, "timeout"), 10.0, 0.1, 300)))
        mails = []
        for i, m in enumerate(r.get(n, ("notify", "email"), list, [])):
            key = ("notify", "email", i)
            r.table(m, key, ("server", "from", "to", "username", "password_file", "ca_file"))
            missing = [k for k in ("server", "from", "to") if k not in m]
            if missing:
                raise r.fail(key, f"{_dotted(key)!r} needs {', '.join(missing)}")
            pw = r.get(m, (*key, "password_file"), str, None)
            mails.append(Email(r.get(m, (*key, "server"), str, ""),
                               r.get(m, (*key, "from"), str, ""), r.strings(m, (*key, "to")),
                               r.get(m, (*key, "username"), str, None),
                               r.path.parent / pw if pw else None,
                               r.paths(m, (*key, "ca_file"))))
        return Notify(r.get(n, ("notify", "stdout"), bool, True), tuple(hooks), tuple(mails))


def normalize_ip(text: str) -> str:
    import ipaddress

    return str(ipaddress.ip_address(text.strip("[]")))


EXAMPLE = """\
# mailtls monitor inventory (TOML). Check it with: mailtls monitor run --inventory FILE
# Every key is optional but at least one [[endpoint]] or [[domain]].

[history]
# url = "postgresql://mailtls@db.example.net/mailtls"   # default: FILE.history.sqlite beside
retention_days = 400          # observations older than this are deleted after each pass

[schedule]                    # for `mailtls monitor daemon`
every = "1d"                  # 90s, 15m, 6h, 1d
jitter = "10m"                # a random delay up to this, so monitors do not beat in step

[scan]
timeout = 30                  # seconds per endpoint
concurrency = 50
trust = "mozilla"             # mozilla, system, none (with ca_file only)
# nameservers = ["127.0.0.1:53"]   # for [[domain]] MX look-ups; default: the system's

[defaults]                    # every entry may override these
warn_days = 30                # cert.expires_soon (medium) this many days before expiry
crit_days = 14                # cert.expires_soon (high) from here on
unreachable_after = 3         # monitor.unreachable after this many failed passes in a row

[[endpoint]]
target = "submission://mail.example.com:587"    # any target form of `mailtls scan`
tags = ["production"]

[[endpoint]]
target = "imaps://mail.example.com"
resolve = "192.0.2.10"        # connect here, verify the name (as --resolve)
ca_file = ["corp-ca.pem"]     # a private CA, relative to this file
# pin_sha256 = ["base64 SPKI SHA-256"]          # the key must be one of these
warn_days = 45

[[domain]]
name = "example.com"          # every MX host on every address, looked up at each pass
port = 25
# authenticated = true        # also judge DANE/MTA-STS (the verdict of `mailtls domain`):
#                             # domain.verdict_regressed when it stops being authenticated
# trust_anchor = "ds.txt"     # DNSSEC anchor for that (default: the root zone's KSKs)

[notify]
stdout = true                 # one line per alert raised or resolved
# [[notify.webhook]]
# url = "https://alerts.example.net/mailtls"    # JSON POST, retried
# retries = 3
# [[notify.email]]
# server = "submission://smtp.example.net"      # TLS verified by mailtls.client
# from = "monitor@example.net"
# to = ["postmaster@example.net"]
# username = "monitor"
# password_file = "smtp-password"
"""
