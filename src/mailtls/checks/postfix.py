"""Rules over a Postfix configuration: each rule one function, one id, evaluated per service.

A rule reads the effective values of a :class:`~mailtls.config.PostfixConfig` (``-o``
override, else main.cf, else the default), and reports the file and line where the value
comes from, with the ``postconf -e`` (main.cf) or ``postconf -P`` (master.cf) command that
fixes it. A value that comes from a default is reported at the line that makes it matter
(the line that turns TLS or SMTP AUTH on), with "Postfix default" as its origin.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from ..catalog import new_finding
from ..catalog.parts.audit import ADVICE
from ..config.postfix import PostfixConfig, Service
from ..model import Finding, Location
from ..verify.store import TrustStore
from .certfiles import POSTFIX, CertContext, KeyPair, check_pair
from .ciphers import weak_in
from .postfix_client import (
    dane_without_dnssec,
    outbound_no_tls,
    outbound_unverified,
    relay_credentials_unverified,
    verify_without_ca,
)
from .postfix_outbound import RULES as OUTBOUND_RULES
from .postfix_services import (
    SMTPS,
    SUBMISSION,
    Server,
    cert_configured,
    clients,
    dedupe,
    fix_cmd,
    loc,
    loopback_only,
    map_problems,
    postconf_p,
    servers,
    service_loc,
    where,
)

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
LEGACY = PROTOCOLS[1:4]  # SSLv2 cannot be negotiated with OpenSSL 1.1 and later

Rule = Callable[[PostfixConfig, CertContext], list[Finding]]


def allowed_protocols(value: str) -> list[str]:
    """The protocol versions a ``*_tls_protocols`` value allows (both syntaxes)."""
    canon = {p.lower(): p for p in PROTOCOLS}
    include: set[str] = set()
    exclude: set[str] = set()
    low, high = 0, len(PROTOCOLS) - 1
    for tok in re.split(r"[\s,:]+", value.strip()):
        name = canon.get(tok.lstrip("!<>=").lower())
        if name is None:
            continue
        if tok.startswith(">="):
            low = PROTOCOLS.index(name)
        elif tok.startswith("<="):
            high = PROTOCOLS.index(name)
        elif tok.startswith("!"):
            exclude.add(name)
        else:
            include.add(name)
    base = include or set(PROTOCOLS)
    return [p for i, p in enumerate(PROTOCOLS)
            if p in base and p not in exclude and low <= i <= high and p != "SSLv2"]


# --- what each service reads, grouped by the line that sets it --------------------------

def _uses(c: PostfixConfig, what: str) -> list[tuple[str, Location, list[str], Service]]:
    """(parameter, location, services that read it, one of them) for ``what``.

    A parameter set on a line is reported there; a default is reported at the line
    that makes the service read it (its TLS level, or a policy entry).
    """
    grouped: dict[tuple[str, str, int], tuple[str, Location, list[str], Service]] = {}

    def add(param: str, svc: Service, anchor: Location) -> None:
        location = loc(c.origin(param, svc.key), anchor)
        key = (param, location.file, location.line)
        entry = grouped.setdefault(key, (param, location, [], svc))
        if svc.key not in entry[2]:
            entry[2].append(svc.key)

    for server in servers(c):
        for param in server.params(what):
            add(param, server.svc, loc(server.origin, service_loc(c, server.svc)))
    for client in clients(c):
        for param, policy in client.params(what):
            anchor = policy.location or loc(client.origin, service_loc(c, client.svc))
            add(param, client.svc, anchor)
    return list(grouped.values())


def legacy_protocols(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """Legacy versions allowed by the protocol parameter a service really reads."""
    out = []
    for param, location, used_by, svc in _uses(c, "protocols"):
        value = c.safe_value(param, svc.key)
        legacy = [x for x in allowed_protocols(value) if x in LEGACY]
        if legacy:
            out.append(new_finding("postfix.legacy_protocols", location=location,
                                   fix=fix_cmd(c, param, ">=TLSv1.2", svc), param=param,
                                   value=value, where=where(c.origin(param, svc.key)),
                                   protocols=", ".join(legacy), services=", ".join(used_by)))
    return out


def _exclusions(c: PostfixConfig, param: str, svc: Service) -> str:
    side = param.split("_tls_")[0]
    names = [f"{side}_tls_exclude_ciphers"]
    if "mandatory" in param:
        names.append(f"{side}_tls_mandatory_exclude_ciphers")
    return " ".join(c.safe_value(n, svc.key) for n in names)


def weak_ciphers(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """A cipher grade (as a service reads it) whose list makes weak ciphers usable."""
    out = []
    for param, location, used_by, svc in _uses(c, "ciphers"):
        value = c.safe_value(param, svc.key)
        grade = value.strip().lower()
        if grade not in ("export", "low", "medium", "high", "null"):
            continue
        weak = weak_in(c.safe_value(f"tls_{grade}_cipherlist", svc.key),
                       _exclusions(c, param, svc))
        if weak:
            out.append(new_finding("postfix.weak_ciphers", location=location,
                                   fix=fix_cmd(c, param, "medium" if grade != "medium"
                                               else "high", svc),
                                   param=param, value=value,
                                   where=where(c.origin(param, svc.key)),
                                   ciphers=", ".join(weak), services=", ".join(used_by)))
    return out


def auth_before_tls(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for server in servers(c):
        svc = server.svc
        if c.safe_value("smtpd_sasl_auth_enable", svc.key).lower() != "yes":
            continue
        if server.mandatory or c.safe_value("smtpd_tls_auth_only", svc.key) == "yes":
            continue
        if loopback_only(svc):
            continue  # a password to the same machine does not cross a network
        origin = c.origin("smtpd_sasl_auth_enable", svc.key)
        out.append(new_finding(
            "postfix.auth_before_tls", location=loc(origin, service_loc(c, svc)),
            fix=fix_cmd(c, "smtpd_tls_auth_only", "yes", svc, "smtpd_sasl_auth_enable"),
            service=svc.key, level=server.level, where=where(origin)))
    return out


def _submission(server: Server) -> bool:
    return server.svc.type == "inet" and server.svc.port in SUBMISSION + SMTPS


def submission_tls_optional(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """A submission port with TLS offered but not required (no TLS: submission_no_tls)."""
    out = []
    for server in servers(c):
        svc = server.svc
        if not _submission(server) or not server.tls or server.mandatory:
            continue
        if svc.port in SUBMISSION:
            param, value, reason = ("smtpd_tls_security_level", "encrypt",
                                    "no -o smtpd_tls_security_level=encrypt")
        else:
            param, value, reason = ("smtpd_tls_wrappermode", "yes",
                                    "no -o smtpd_tls_wrappermode=yes")
        has_cert = cert_configured(c, svc.key)[0]
        out.append(new_finding(
            "postfix.submission_tls_optional",
            location=loc(svc.overrides.get(param), service_loc(c, svc)),
            fix=postconf_p(c, svc, param, value) if has_cert
            else None, service=svc.key, where=f"{svc.file}:{svc.line}", reason=reason,
            advice=ADVICE["cert_ok"] if has_cert else ADVICE["no_cert"]))
    return out


def _inbound(c: PostfixConfig, server: Server) -> bool:
    """Port 25: an smtpd on the smtp port (not on loopback), or behind postscreen."""
    svc = server.svc
    if svc.type == "pass":
        return True
    return svc.type == "inet" and svc.port in ("smtp", "25") and not loopback_only(svc)


def no_tls(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """inbound_no_tls (port 25) and submission_no_tls: a server that never offers TLS."""
    out = []
    for server in servers(c):
        svc = server.svc
        if server.tls or not (_submission(server) or _inbound(c, server)):
            continue
        has_cert = cert_configured(c, svc.key)[0]
        location = loc(server.origin, service_loc(c, svc))
        advice = ADVICE["cert_ok"] if has_cert else ADVICE["no_cert"]
        if _submission(server):
            param, value = (("smtpd_tls_wrappermode", "yes") if svc.port in SMTPS
                            else ("smtpd_tls_security_level", "encrypt"))
            fix = postconf_p(c, svc, param, value)
            out.append(new_finding("postfix.submission_no_tls", location=location,
                                   fix=fix if has_cert else None, service=svc.key,
                                   level=server.level, where=where(server.origin),
                                   advice=advice))
            continue
        fix = fix_cmd(c, "smtpd_tls_security_level", "may", svc)
        out.append(new_finding("postfix.inbound_no_tls", location=location,
                               fix=fix if has_cert else None, service=svc.key,
                               level=server.level, where=where(server.origin), advice=advice))
    return out


def cert_unused(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """A main.cf certificate no smtpd service uses (TLS off everywhere): a note."""
    if any(s.tls for s in servers(c)):
        return []
    for name in ("smtpd_tls_chain_files", "smtpd_tls_cert_file", "smtpd_tls_eccert_file"):
        s = c.main.get(name)
        if s is not None and s.value.strip():
            return [new_finding("postfix.cert_unused", location=loc(s, service_loc(c, None)),
                                param=name, where=where(s))]
    return []


def tls_logging_off(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """Log level 0 on a side that uses TLS; a default is reported at the level's line."""
    out = []
    sides = (("smtpd_tls_loglevel", [(s.svc, s.origin) for s in servers(c) if s.tls]),
             ("smtp_tls_loglevel", [(x.svc, x.origin) for x in clients(c)
                                    if any(p.level != "none" for p in x.levels())]))
    for param, services in sides:
        for svc, level_origin in services:
            if c.safe_value(param, svc.key).strip() == "0":
                origin = c.origin(param, svc.key)
                anchor = loc(level_origin, service_loc(c, svc))
                out.append(new_finding("postfix.tls_logging_off", location=loc(origin, anchor),
                                       fix=fix_cmd(c, param, "1", svc), param=param,
                                       where=where(origin)))
    return dedupe(out)


def _pairs(c: PostfixConfig, svc: Service) -> list[KeyPair]:
    k = svc.key
    fallback = loc(c.origin("smtpd_tls_security_level", k), service_loc(c, svc))
    chain = c.origin("smtpd_tls_chain_files", k)
    chain_files = [x for x in re.split(r"[\s,]+", c.safe_value("smtpd_tls_chain_files", k)) if x]
    if chain_files:
        cl = loc(chain, fallback)
        return [KeyPair(Path(chain_files[-1]), Path(chain_files[0]), "smtpd_tls_chain_files",
                        "smtpd_tls_chain_files", cl, cl, where(chain))]
    pairs = []
    for cert_p, key_p in (("smtpd_tls_cert_file", "smtpd_tls_key_file"),
                          ("smtpd_tls_eccert_file", "smtpd_tls_eckey_file")):
        cert = c.safe_value(cert_p, k).strip()
        if not cert and cert_p != "smtpd_tls_cert_file":
            continue
        if not cert and c.safe_value("smtpd_tls_eccert_file", k).strip():
            continue
        key = c.safe_value(key_p, k).strip()
        co, ko = c.origin(cert_p, k), c.origin(key_p, k)
        pairs.append(KeyPair(Path(cert) if cert else None, Path(key) if key else None, cert_p,
                             key_p, loc(co, fallback), loc(ko or co, fallback), where(co)))
    return pairs


def certificate_files(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """cert_missing ... key_world_readable: the files of every TLS-enabled smtpd service."""
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for server in servers(c):
        if not server.tls:
            continue
        svc = server.svc
        host = c.safe_value("myhostname", svc.key)
        for pair in _pairs(c, svc):
            ident = (str(pair.cert), str(pair.key), host)
            if ident in seen:
                continue
            seen.add(ident)
            out += check_pair(POSTFIX, pair, host, ctx)
    return dedupe(out)


RULES: tuple[Rule, ...] = (
    relay_credentials_unverified,
    outbound_unverified,
    dane_without_dnssec,
    verify_without_ca,
    legacy_protocols,
    weak_ciphers,
    auth_before_tls,
    submission_tls_optional,
    no_tls,
    outbound_no_tls,
    cert_unused,
    certificate_files,
    tls_logging_off,
    *OUTBOUND_RULES,
)


def problem_findings(c: PostfixConfig) -> list[Finding]:
    out = []
    for p in [*c.problems, *map_problems(c)]:
        fid = "postfix.config_unreadable" if p.fatal else "postfix.config_error"
        out.append(new_finding(fid, location=Location(p.file, max(p.line, 1)),
                               problem=p.problem, context=p.context or p.file))
    return out


def audit_postfix(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """Every finding for one Postfix configuration; nothing more when main.cf is unusable."""
    findings = problem_findings(c)
    if any(p.fatal and p.file == c.main_cf for p in c.problems):
        return findings
    for rule in RULES:
        findings += rule(c, ctx)
    return findings


#: Rules that read only main.cf text: the certificate-file rules need the files themselves,
#: and the rules about services without TLS need the real master.cf. The outbound
#: DANE/MTA-STS rules judge a running server's choices, not a TLS off-switch.
LINT_RULES = tuple(r for r in RULES
                   if r not in (certificate_files, no_tls, outbound_no_tls, cert_unused,
                                *OUTBOUND_RULES))


def lint_main_cf(text: str, path: str) -> list[tuple[str, int, dict[str, str]]]:
    """The audit rules for a main.cf found in a source tree (``mailtls lint``'s hook).

    The file is read as Postfix would read it, with Postfix's standard master.cf
    services; rules about certificate files are left to ``audit-config`` on the server.
    Returns (finding id, line, params) for findings located in this file.
    """
    from ..config.defaults import load_defaults
    from ..config.postfix import DEFAULT_SERVICES, parse_main

    settings, problems = parse_main(text, path)
    services = [Service(n, t, c, (), {}, "master.cf", 0, 0) for n, t, c in DEFAULT_SERVICES]
    config = PostfixConfig(Path(path).parent, settings, services, load_defaults(), problems)
    ctx = CertContext(now=dt.datetime.now(dt.UTC), store=TrustStore("none", ()))
    out = []
    for rule in LINT_RULES:
        for f in rule(config, ctx):
            if f.location is not None and f.location.file == path:
                out.append((f.id, f.location.line, dict(f.params)))
    return out
