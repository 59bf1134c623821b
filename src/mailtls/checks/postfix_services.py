"""What each Postfix service really uses: its TLS level, and from it the parameters it reads.

Postfix picks one protocol (and cipher) setting per service and TLS level, so a rule must
judge the parameter the service reads, not every parameter that is set:

* SMTP server (``smtpd``, smtpd.c): TLS is mandatory (``enforce_tls``) with
  ``smtpd_tls_wrappermode = yes`` or level ``encrypt`` (``verify``/``secure`` are
  accepted and treated as ``encrypt``). Mandatory: ``smtpd_tls_mandatory_protocols``,
  ``smtpd_tls_mandatory_ciphers`` and both exclusion lists; opportunistic (``may``):
  ``smtpd_tls_protocols``, ``smtpd_tls_ciphers``, ``smtpd_tls_exclude_ciphers``;
  ``none``: nothing. The level is ``smtpd_tls_security_level``, else the obsolete
  ``smtpd_enforce_tls``/``smtpd_use_tls``.
* SMTP client (``smtp``, smtp_tls_policy.c ``policy_create``): the level per
  destination is the ``smtp_tls_policy_maps`` entry, else ``smtp_tls_security_level``
  (else the obsolete ``smtp_enforce_tls``/``smtp_use_tls``). Level ``may``:
  ``smtp_tls_protocols``, ``smtp_tls_ciphers``, ``smtp_tls_exclude_ciphers``; ``encrypt``
  and above: the ``mandatory`` ones. ``dane`` without usable TLSA records (``dane_init``:
  no TLSA, or a destination not signed with DNSSEC) falls back to ``may``, so it uses both.
  A policy entry's ``protocols=``/``ciphers=``/``exclude=`` replace main.cf's.

A policy table is read when it is ``inline:{...}`` or a file-based type whose source
text file is readable (``texthash:``, or the source of ``hash:``/``lmdb:``/... ``FILE``);
a file-based table that cannot be read is a problem of the configuration.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..catalog.parts.audit import CONFIG_PROBLEMS
from ..config import files
from ..config.files import Problem
from ..config.postfix import PostfixConfig, Service, Setting
from ..model import Finding, Location
from ..verify.store import SYSTEM_BUNDLES
from .shell import quoted

DEFAULT_ORIGIN = "Postfix default"
SUBMISSION = ("submission", "587")
SMTPS = ("smtps", "submissions", "465")
MANDATORY = ("encrypt", "verify", "secure", "fingerprint", "dane-only")
VERIFIED = ("verify", "secure", "fingerprint", "dane-only")
_FILE_MAP = re.compile(r"(?:texthash|hash|lmdb|btree|cdb|dbm|sdbm):(\S+?)(?=[\s,]|$)")
_MAP_SPEC = re.compile(r"inline:(\{)|(?:texthash|hash|lmdb|btree|cdb|dbm|sdbm):(\S+?)(?=[\s,]|$)")
P_MAP_UNREADABLE = CONFIG_PROBLEMS["map_unreadable"]


# --- locations and fixes ------------------------------------------------------------------

def where(s: Setting | None) -> str:
    return f"{s.file}:{s.line}" if s is not None else DEFAULT_ORIGIN


def loc(s: Setting | None, fallback: Location) -> Location:
    if s is None:
        return fallback
    return Location(s.file, s.line, snippet=(s.text or f"{s.name} = {s.value}").strip()[:300])


def service_loc(c: PostfixConfig, svc: Service | None) -> Location:
    if svc is not None and svc.line:
        return Location(svc.file, svc.line, snippet=f"{svc.name} {svc.type} ... {svc.command}")
    first = c.settings[0] if c.settings else None
    return Location(c.main_cf, first.line if first else 1)


def fix_cmd(c: PostfixConfig, name: str, value: str, svc: Service | None,
            related: str = "") -> str:
    """``postconf -P`` when the service sets ``name`` (or ``related``) with -o, else ``-e``."""
    if svc is not None and (name in svc.overrides or (related and related in svc.overrides)):
        return postconf_p(c, svc, name, value)
    return postconf_e(c, name, value)


def postconf_e(c: PostfixConfig, name: str, value: str) -> str:
    """The ``postconf -e`` command, safe to paste whatever the folder and value hold."""
    return f"postconf -c {shlex.quote(str(c.directory))} -e {quoted(f'{name} = {value}')}"


def postconf_p(c: PostfixConfig, svc: Service, name: str, value: str) -> str:
    """The ``postconf -P`` command for one service's ``-o`` override, safe to paste."""
    assignment = quoted(f"{svc.key}/{name}={value}")
    return f"postconf -c {shlex.quote(str(c.directory))} -P {assignment}"


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for f in findings:
        key = (f.id, f.location.file if f.location else "", f.location.line if f.location else 0,
               f.params.get("param", "") + f.params.get("file", ""))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def system_bundle() -> str | None:
    """The CA bundle of this system, when there is one."""
    return next((p for p in SYSTEM_BUNDLES if Path(p).is_file()), None)


def has_ca(c: PostfixConfig, key: str) -> tuple[bool, str]:
    names = ("smtp_tls_CAfile", "smtp_tls_CApath", "smtp_tls_trust_anchor_file")
    values = {n: c.safe_value(n, key).strip() for n in names}
    usable = [v for v in values.values() if v and Path(v.split(",")[0].strip()).exists()]
    shown = ", ".join(f"{n} = {v or '(empty)'}" for n, v in values.items())
    return bool(usable), shown


# --- policy tables ------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One ``key value`` of a lookup table, where it is written."""

    key: str
    value: str
    location: Location


def _inline_items(text: str) -> list[str]:
    """Items of ``inline:{ a=b, {c = d e} }`` (the text after the first ``{``)."""
    items, depth, cur = [], 1, ""
    for ch in text:
        if ch == "{":
            depth += 1
            if depth == 2:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                break
            if depth == 1:
                continue
        if depth == 1 and (ch.isspace() or ch == ","):
            items.append(cur)
            cur = ""
            continue
        cur += ch
    items.append(cur)
    return [i.strip() for i in items if i.strip()]


def table_entries(c: PostfixConfig, name: str, key: str | None) -> tuple[list[Entry], bool]:
    """The entries of the tables in parameter ``name``; False when some could not be read."""
    spec = c.safe_value(name, key)
    origin = c.origin(name, key)
    here = loc(origin, Location(c.main_cf, 1))
    out: list[Entry] = []
    complete = True
    for m in _MAP_SPEC.finditer(spec):
        if m.group(1):
            for item in _inline_items(spec[m.end():]):
                k, _, v = item.partition("=")
                out.append(Entry(k.strip(), v.strip(), here))
            continue
        path = m.group(2)
        text, problem = files.read_config(Path(path))
        if text is None or problem is not None:
            complete = False
            continue
        for number, line in enumerate(text.split("\n"), 1):
            parts = line.split(None, 1)
            if len(parts) == 2 and not parts[0].startswith("#"):
                out.append(Entry(parts[0], parts[1].strip(),
                                 Location(path, number, snippet=line.strip()[:300])))
    if re.search(r"\b(?:mysql|pgsql|ldap|sqlite|proxy|tcp|socketmap|memcache):", spec):
        complete = False
    return out, complete


def map_problems(c: PostfixConfig) -> list[Problem]:
    """A problem for each file-based table of the TLS and relay maps that cannot be read."""
    out = []
    names = ("smtp_tls_policy_maps", "sender_dependent_relayhost_maps", "smtp_sasl_password_maps")
    for name in names:
        s = c.main.get(name)
        if s is None:
            continue
        for m in _FILE_MAP.finditer(c.safe_value(name)):
            _, problem = files.read_config(Path(m.group(1)))
            if problem is not None:
                out.append(Problem(s.file, s.line, P_MAP_UNREADABLE,
                                   f"{name}: {m.group(1)}: {problem.problem}"))
    return out


# --- the model ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    """An smtpd service and the TLS it really uses."""

    svc: Service
    level: str  # none, may or encrypt, as smtpd uses it
    wrapper: bool
    origin: Setting | None  # the setting that decides the level

    @property
    def tls(self) -> bool:
        return self.wrapper or self.level in ("may", "encrypt")

    @property
    def mandatory(self) -> bool:
        return self.wrapper or self.level == "encrypt"

    def params(self, what: str) -> tuple[str, ...]:
        """The parameters this service reads for ``what`` (protocols, ciphers, exclude)."""
        if not self.tls:
            return ()
        if what == "exclude":
            extra = ("smtpd_tls_mandatory_exclude_ciphers",) if self.mandatory else ()
            return ("smtpd_tls_exclude_ciphers", *extra)
        return (f"smtpd_tls_mandatory_{what}" if self.mandatory else f"smtpd_tls_{what}",)


@dataclass(frozen=True)
class Policy:
    """The TLS level for one destination (``""``: every destination without an entry)."""

    destination: str
    level: str
    location: Location | None  # the policy entry; None for the service's own level
    attrs: tuple[tuple[str, str], ...] = ()

    def attr(self, name: str) -> str | None:
        return next((v for k, v in self.attrs if k == name), None)


@dataclass(frozen=True)
class Client:
    """An smtp client service, its own level and the readable policy entries."""

    svc: Service
    level: str
    origin: Setting | None
    policies: tuple[Policy, ...]

    def levels(self) -> list[Policy]:
        return [Policy("", self.level, None), *self.policies]

    def params(self, what: str) -> list[tuple[str, Policy]]:
        """(parameter, the policy that makes the service read it) for ``what``."""
        out: list[tuple[str, Policy]] = []
        for p in self.levels():
            if p.attr({"protocols": "protocols", "ciphers": "ciphers"}.get(what, "exclude")):
                continue  # the policy entry's own value replaces main.cf's
            uses = client_reads(p.level, what)
            out += [(name, p) for name in uses]
        return out


def client_reads(level: str, what: str) -> tuple[str, ...]:
    opportunistic = level in ("may", "dane")  # dane without usable TLSA falls back to may
    mandatory = level in MANDATORY or level == "dane"
    if what == "exclude":
        return (("smtp_tls_exclude_ciphers",) if opportunistic or mandatory else ()) + (
            ("smtp_tls_mandatory_exclude_ciphers",) if mandatory else ())
    return ((f"smtp_tls_{what}",) if opportunistic else ()) + (
        (f"smtp_tls_mandatory_{what}",) if mandatory else ())


def server_level(c: PostfixConfig, key: str | None) -> tuple[str, Setting | None]:
    level = c.safe_value("smtpd_tls_security_level", key).strip().lower()
    if level:
        level = "encrypt" if level in ("verify", "secure", "fingerprint") else level
        return level, c.origin("smtpd_tls_security_level", key)
    if c.safe_value("smtpd_enforce_tls", key).lower() == "yes":
        return "encrypt", c.origin("smtpd_enforce_tls", key)
    if c.safe_value("smtpd_use_tls", key).lower() == "yes":
        return "may", c.origin("smtpd_use_tls", key)
    return "none", c.origin("smtpd_tls_security_level", key)


def client_level(c: PostfixConfig, key: str | None) -> tuple[str, Setting | None]:
    level = c.safe_value("smtp_tls_security_level", key).strip().lower()
    if level:
        return level, c.origin("smtp_tls_security_level", key)
    if c.safe_value("smtp_enforce_tls", key).lower() == "yes":
        peer = c.safe_value("smtp_tls_enforce_peername", key).lower() == "yes"
        return ("verify" if peer else "encrypt"), c.origin("smtp_enforce_tls", key)
    if c.safe_value("smtp_use_tls", key).lower() == "yes":
        return "may", c.origin("smtp_use_tls", key)
    return "none", c.origin("smtp_tls_security_level", key)


def servers(c: PostfixConfig) -> list[Server]:
    out = []
    for s in c.services:
        if s.command == "smtpd" and s.type in ("inet", "pass", "unix"):
            level, origin = server_level(c, s.key)
            wrapper = c.safe_value("smtpd_tls_wrappermode", s.key).lower() == "yes"
            if wrapper:
                origin = c.origin("smtpd_tls_wrappermode", s.key)
            out.append(Server(s, level, wrapper, origin))
    return out


def _policy(entry: Entry) -> Policy | None:
    words = entry.value.split()
    if not words:
        return None
    attrs = tuple((k.lower(), v) for k, _, v in (w.partition("=") for w in words[1:]))
    return Policy(entry.key, words[0].lower(), entry.location, attrs)


def clients(c: PostfixConfig) -> list[Client]:
    out = []
    for s in c.services:
        if s.command != "smtp" or s.type != "unix":
            continue
        level, origin = client_level(c, s.key)
        entries, _ = table_entries(c, "smtp_tls_policy_maps", s.key)
        policies = tuple(p for p in map(_policy, entries) if p is not None)
        out.append(Client(s, level, origin, policies))
    return out


def transport_of(c: PostfixConfig, name: str) -> str:
    """The transport (master.cf service name) of ``default_transport``-like parameters."""
    return c.safe_value(name).strip().split(":", 1)[0]


def delivers_to_mx(c: PostfixConfig, svc: Service) -> bool:
    """The service is the one Postfix uses for remote mail (default or relay transport)."""
    return svc.name in (transport_of(c, "default_transport"), transport_of(c, "relay_transport"))


def loopback_only(svc: Service) -> bool:
    host = svc.name.rsplit(":", 1)[0] if ":" in svc.name else ""
    return host.strip("[]") in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


def cert_configured(c: PostfixConfig, key: str | None) -> tuple[bool, Setting | None]:
    """A server certificate is configured for the service and its files exist."""
    for name in ("smtpd_tls_chain_files", "smtpd_tls_cert_file", "smtpd_tls_eccert_file"):
        value = c.safe_value(name, key).strip()
        if value:
            paths = [p for p in re.split(r"[\s,]+", value) if p]
            return all(Path(p).is_file() for p in paths), c.origin(name, key)
    return False, None
