"""Rules over a Dovecot configuration: each rule one function, one id.

Settings are read per scope: the global one and every filter block (``local``,
``remote``, ``local_name``, ``protocol``, nested too). A finding points at the line that
sets the value, or, for a default, at the first line of dovecot.conf; its fix is the
Dovecot line to write there.

Dovecot considers a connection secured when it uses TLS, comes from
``login_trusted_networks``, or is local (its remote address is its local address:
loopback). A ``local``/``remote`` block that only matches loopback addresses therefore
exposes nothing on the network, and a ``remote`` block inside the trusted networks allows
clear-text passwords that Dovecot allows there anyway. A ``protocol`` block only speaks
for its protocol (``protocol sieve { ssl = no }`` is about ManageSieve), and only when
that protocol is served.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from ..catalog import new_finding
from ..catalog.parts.audit import OBSOLETE_REASONS
from ..config.dovecot import DovecotConfig, DSetting, is_true
from ..model import Finding, Location
from .certfiles import DOVECOT, CertContext, KeyPair, check_pair
from .ciphers import ANONYMOUS, WEAK_CIPHERS, weak_in

LEGACY = ("sslv3", "tlsv1", "tlsv1.1", "any")
DEFAULT_ORIGIN = "Dovecot default"
#: protocols whose clients log in (lmtp, lda, doveadm: no user passwords from clients)
LOGIN_PROTOCOLS = {"imap": "IMAP", "pop3": "POP3", "sieve": "ManageSieve",
                   "managesieve": "ManageSieve", "submission": "Submission"}
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Dovecot as a TLS client: the setting that turns verification off, and the setting that
#: must ask for TLS for it to matter ("" when it always matters). 2.4 reads
#: ``ssl_client { require_valid_cert = no }`` as ssl_client_require_valid_cert.
CLIENT_VERIFY = {"ssl_client_require_valid_cert": "", "imapc_ssl_verify": "imapc_ssl",
                 "submission_relay_ssl_verify": "submission_relay_ssl"}
DOVECOT_WEAK = {**WEAK_CIPHERS, **ANONYMOUS}
#: the OpenSSL word that removes each weak class (the fix appends them)
REMOVE = {"EXPORT": "!EXPORT", "LOW": "!LOW", "NULL": "!eNULL", "RC4": "!RC4", "3DES": "!3DES",
          "aNULL": "!aNULL"}

Rule = Callable[[DovecotConfig, CertContext, str], list[Finding]]


def _where(s: DSetting | None) -> str:
    return f"{s.file}:{s.line}" if s is not None else DEFAULT_ORIGIN


def _scope(scope: tuple[str, ...]) -> str:
    return "".join(f", {h} {{ }}" for h in scope)


def _loc(c: DovecotConfig, s: DSetting | None) -> Location:
    if s is not None:
        return Location(s.file, s.line, snippet=s.text[:300])
    return Location(str(c.path), 1)


def _networks(text: str) -> list[Network] | None:
    """The networks of a filter argument or login_trusted_networks; None if one is a name."""
    nets: list[Network] = []
    for word in text.replace(",", " ").split():
        try:
            nets.append(ipaddress.ip_network(word.strip("[]"), strict=False))
        except ValueError:
            return None
    return nets


def _within(nets: list[Network] | None, outer: list[Network] | tuple[Network, ...]) -> bool:
    return bool(nets) and all(
        any(n.version == o.version and n.subnet_of(o) for o in outer)  # type: ignore[arg-type]
        for n in nets or ())


def _loopback(scope: tuple[str, ...]) -> bool:
    """Only connections on the host itself match: a local or remote address in loopback."""
    return any(h.split()[0] in ("local", "remote") and _within(
        _networks(h.partition(" ")[2]), LOOPBACK) for h in scope)


def _trusted(c: DovecotConfig, scope: tuple[str, ...]) -> bool:
    trusted = _networks(c.value("login_trusted_networks"))
    return any(h.split()[0] == "remote" and _within(_networks(h.partition(" ")[2]), trusted or ())
               for h in scope)


def _served(c: DovecotConfig, scope: tuple[str, ...]) -> list[str]:
    """The login protocols that the scope's settings apply to, as display names."""
    served = [p for p in c.value("protocols").split() if p in LOGIN_PROTOCOLS]
    for h in scope:
        kind, _, arg = h.partition(" ")
        if kind == "protocol":
            served = [p for p in served if p in arg.replace(",", " ").split()]
    return list(dict.fromkeys(LOGIN_PROTOCOLS[p] for p in served))


def _exposed(c: DovecotConfig, s: DSetting) -> str:
    """The protocols a setting of ``s.scope`` exposes on the network ("" when none)."""
    return "" if _loopback(s.scope) else ", ".join(_served(c, s.scope))


def ssl_disabled(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    return [new_finding("dovecot.ssl_disabled", location=_loc(c, s), fix="ssl = required",
                        where=_where(s), scope=_scope(s.scope), protocols=_exposed(c, s))
            for s in _explicit(c, "ssl") if s.value == "no" and _exposed(c, s)]


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
    protocols = [p for p in c.value("protocols").split() if p in LOGIN_PROTOCOLS]
    optional = [LOGIN_PROTOCOLS[p] for p in protocols
                if c.value("ssl", (f"protocol {p}",)) == "yes"]
    glob = c.setting("ssl")
    if c.value("ssl") == "yes" and optional:
        out.append(new_finding("dovecot.ssl_not_required", location=_loc(c, glob),
                               fix="ssl = required", where=_where(glob), scope="",
                               protocols=", ".join(dict.fromkeys(optional))))
    out += [new_finding("dovecot.ssl_not_required", location=_loc(c, s), fix="ssl = required",
                        where=_where(s), scope=_scope(s.scope), protocols=_exposed(c, s))
            for s in _explicit(c, "ssl") if s.scope and s.value == "yes" and _exposed(c, s)]
    return out


def plaintext_auth(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    def exposed(s: DSetting) -> bool:
        return bool(_exposed(c, s)) and not _trusted(c, s.scope)

    out = [new_finding("dovecot.plaintext_auth", location=_loc(c, s),
                       fix="disable_plaintext_auth = yes", setting="disable_plaintext_auth = no",
                       where=_where(s), scope=_scope(s.scope))
           for s in _explicit(c, "disable_plaintext_auth") if s.value.lower() == "no"
           and exposed(s)]
    out += [new_finding("dovecot.plaintext_auth", location=_loc(c, s),
                        fix="auth_allow_cleartext = no", setting="auth_allow_cleartext = yes",
                        where=_where(s), scope=_scope(s.scope))
            for s in _explicit(c, "auth_allow_cleartext") if is_true(s.value) and exposed(s)]
    return out


def legacy_protocols(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    return [new_finding("dovecot.legacy_protocols", location=_loc(c, s),
                        fix="ssl_min_protocol = TLSv1.2", value=s.value, where=_where(s),
                        scope=_scope(s.scope), setting=_as_written(s))
            for s in _explicit(c, "ssl_min_protocol") if s.value.lower() in LEGACY]


def _as_written(s: DSetting) -> str:
    """The line as written: ``ssl_protocols = !SSLv3`` for what Dovecot reads as TLSv1."""
    return " ".join(s.text.split()) if s.written else f"{s.key} = {s.value}"


def _key_as_written(s: DSetting) -> str:
    """The key on the line (``require_valid_cert`` inside ``ssl_client { }``), for fixes."""
    return s.text.partition("=")[0].strip() or s.key


def client_unverified(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    """Dovecot connecting with TLS to another server and accepting any certificate."""
    out = []
    for key, needs in CLIENT_VERIFY.items():
        for s in _explicit(c, key):
            if s.value.strip().lower() not in ("no", "n", "0"):
                continue
            if needs and c.value(needs, s.scope).strip().lower() in ("", "no"):
                continue  # that client does not use TLS at all: nothing to verify
            out.append(new_finding("dovecot.client_unverified", location=_loc(c, s),
                                   fix=f"{_key_as_written(s)} = yes", setting=_as_written(s),
                                   where=_where(s), scope=_scope(s.scope)))
    return out


def weak_ciphers(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    """An ssl_cipher_list (2.3 and 2.4) that names weak classes without removing them."""
    out = []
    for s in _explicit(c, "ssl_cipher_list"):
        weak = weak_in(s.value, words=DOVECOT_WEAK)
        if not weak or _loopback(s.scope):
            continue
        fix = f"{_key_as_written(s)} = {s.value}:" + ":".join(REMOVE[w] for w in weak)
        out.append(new_finding("dovecot.weak_ciphers", location=_loc(c, s), fix=fix,
                               setting=_as_written(s), where=_where(s), scope=_scope(s.scope),
                               ciphers=", ".join(weak)))
    return out


def obsolete_setting(c: DovecotConfig, ctx: CertContext, host: str) -> list[Finding]:
    out = []
    for o in c.obsolete:
        s = next((x for x in c.settings if (x.file, x.line) == (o.file, o.line)), None)
        if s is not None and s.key == "ssl_min_protocol" and s.value.lower() in LEGACY:
            continue  # dovecot.legacy_protocols reports (and fixes) this line
        reason = ("converted" if o.new else "unconvertible" if o.key == "ssl_protocols"
                  else "dropped")
        fix = (f"{s.key} = {s.value}" if s is not None else
               "ssl_min_protocol = TLSv1.2" if reason == "unconvertible" else None)
        out.append(new_finding("dovecot.obsolete_setting",
                               location=Location(o.file, o.line, snippet=f"{o.key} = {o.value}"),
                               fix=fix, setting=f"{o.key} = {o.value}",
                               where=f"{o.file}:{o.line}", reason=OBSOLETE_REASONS[reason]))
    return out


def doveconf_notes(c: DovecotConfig) -> list[Finding]:
    """How the file was judged when doveconf could not be asked."""
    run = c.doveconf
    if run is None or run.status == "ok":
        return []
    if run.status == "missing":
        return [new_finding("dovecot.doveconf_missing", location=Location(str(c.path), 1),
                            file=str(c.path))]
    v = c.version_setting
    return [new_finding("dovecot.doveconf_other_version", location=_loc(c, v),
                        installed=run.installed, version=c.version, file=str(c.path),
                        where=_where(v) if v else f"{c.path}:1")]


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
        if c.value("ssl", scope) == "no":
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
    client_unverified,
    weak_ciphers,
    obsolete_setting,
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
    findings += doveconf_notes(c)
    for rule in RULES:
        findings += rule(c, ctx, host)
    return findings

