"""Rules over a Dovecot configuration: each rule one function, one id.

Settings are read per scope: the global one and every filter block (``local``,
``remote``, ``local_name``, ``protocol``, nested too). A finding points at the line that
sets the value, or, for a default, at the first line of dovecot.conf; its fix is the
Dovecot line to write there.
"""

from __future__ import annotations

from collections.abc import Callable

from ..catalog import new_finding
from ..config.dovecot import DovecotConfig, DSetting
from ..model import Finding, Location
from .certfiles import DOVECOT, CertContext, KeyPair, check_pair

LEGACY = ("sslv3", "tlsv1", "tlsv1.1", "any")
DEFAULT_ORIGIN = "Dovecot default"

Rule = Callable[[DovecotConfig, CertContext, str], list[Finding]]


def _where(s: DSetting | None) -> str:
    return f"{s.file}:{s.line}" if s is not None else DEFAULT_ORIGIN


def _scope(scope: tuple[str, ...]) -> str:
    return "".join(f", {h} {{ }}" for h in scope)


def _loc(c: DovecotConfig, s: DSetting | None) -> Location:
    if s is not None:
        return Location(s.file, s.line, snippet=s.text[:300])
    return Location(str(c.path), 1)


def ssl_disabled(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    return [new_finding("dovecot.ssl_disabled", location=_loc(c, s), fix="ssl = required",
                        where=_where(s), scope=_scope(s.scope))
            for s in _explicit(c, "ssl") if s.value.lower() == "no"]


def _explicit(c: DovecotConfig, key: str) -> list[DSetting]:
    """The settings of ``key`` in force in some filter scope (the last of each scope)."""
    last: dict[tuple[str, ...], DSetting] = {}
    scopes = set(c.scopes())
    for s in c.settings:
        if s.key == key and s.scope in scopes:
            last[s.scope] = s
    return list(last.values())


def ssl_not_required(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    out = []
    protocols = [p for p in c.value("protocols").split() if p not in ("lmtp", "none")]
    covered = protocols and all(c.value("ssl", (f"protocol {p}",)) == "required"
                                for p in protocols)
    glob = c.setting("ssl")
    if c.value("ssl").lower() == "yes" and not covered:
        out.append(new_finding("dovecot.ssl_not_required", location=_loc(c, glob),
                               fix="ssl = required", where=_where(glob), scope=""))
    out += [new_finding("dovecot.ssl_not_required", location=_loc(c, s), fix="ssl = required",
                        where=_where(s), scope=_scope(s.scope))
            for s in _explicit(c, "ssl") if s.scope and s.value.lower() == "yes"]
    return out


def plaintext_auth(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    out = [new_finding("dovecot.plaintext_auth", location=_loc(c, s),
                       fix="disable_plaintext_auth = yes", setting="disable_plaintext_auth = no",
                       where=_where(s), scope=_scope(s.scope))
           for s in _explicit(c, "disable_plaintext_auth") if s.value.lower() == "no"]
    out += [new_finding("dovecot.plaintext_auth", location=_loc(c, s),
                        fix="auth_allow_cleartext = no", setting="auth_allow_cleartext = yes",
                        where=_where(s), scope=_scope(s.scope))
            for s in _explicit(c, "auth_allow_cleartext") if s.value.lower() == "yes"]
    return out


def legacy_protocols(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    return [new_finding("dovecot.legacy_protocols", location=_loc(c, s),
                        fix="ssl_min_protocol = TLSv1.2", value=s.value, where=_where(s),
                        scope=_scope(s.scope))
            for s in _explicit(c, "ssl_min_protocol") if s.value.lower() in LEGACY]


def _scope_host(scope: tuple[str, ...], host: str) -> str:
    for h in reversed(scope):
        kind, _, arg = h.partition(" ")
        if kind == "local_name" and arg.strip():
            return arg.strip().strip('"').split()[0]
    return host


def certificate_files(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for scope in c.scopes():
        if c.value("ssl", scope).lower() == "no":
            continue
        cs, ks = c.setting("ssl_cert", scope), c.setting("ssl_key", scope)
        if scope and (cs is None or cs.scope != scope) and (ks is None or ks.scope != scope):
            continue  # nothing of its own: the global check covers it
        name = _scope_host(scope, c.value("hostname", scope) or host)
        cert = cs.path if cs is not None else None
        key = ks.path if ks is not None else None
        ident = (str(cert), str(key), name)
        if ident in seen:
            continue
        seen.add(ident)
        anchor = _loc(c, c.setting("ssl", scope))
        pair = KeyPair(cert, key or cert, "ssl_cert", "ssl_key",
                       _loc(c, cs) if cs else anchor, _loc(c, ks) if ks else anchor, _where(cs))
        out += check_pair(DOVECOT, pair, name, ctx)
    return out


RULES: tuple[Rule, ...] = (
    ssl_disabled,
    ssl_not_required,
    plaintext_auth,
    legacy_protocols,
    certificate_files,
)


def audit_dovecot(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    """Every finding for one Dovecot configuration (``host``: the server's name)."""
    findings = [
        new_finding("dovecot.config_unreadable" if p.fatal else "dovecot.config_error",
                    location=Location(p.file, max(p.line, 1)), problem=p.problem,
                    context=p.context or p.file)
        for p in c.problems
    ]
    if any(p.fatal and p.file == str(c.path) for p in c.problems):
        return findings
    for rule in RULES:
        findings += rule(c, ctx, host)
    return findings

