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
from collections.abc import Callable, Iterable
from pathlib import Path

from ..catalog import new_finding
from ..config import files
from ..config.postfix import PostfixConfig, Service, Setting
from ..model import Finding, Location
from ..verify.store import SYSTEM_BUNDLES, TrustStore
from .certfiles import POSTFIX, CertContext, KeyPair, check_pair

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
LEGACY = PROTOCOLS[:4]
WEAK_CIPHERS = {"EXPORT": "EXPORT", "EXP": "EXPORT", "LOW": "LOW", "ENULL": "NULL",
                "NULL": "NULL", "RC4": "RC4"}
UNVERIFIED = ("none", "may", "encrypt", "")
SUBMISSION = ("submission", "587")
SMTPS = ("smtps", "submissions", "465")
DEFAULT_ORIGIN = "Postfix default"
_MAP_SPEC = re.compile(r"inline:\{([^}]*)\}|(?:texthash|hash|lmdb|btree|cdb|dbm):(\S+?)(?=[\s,]|$)")

Rule = Callable[[PostfixConfig, CertContext], list[Finding]]


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


def fix_cmd(c: PostfixConfig, name: str, value: str, svc: Service | None) -> str:
    """``postconf -P`` when the service overrides the parameter, else ``postconf -e``."""
    if svc is not None and name in svc.overrides:
        return f"postconf -c {c.directory} -P '{svc.key}/{name}={value}'"
    return f"postconf -c {c.directory} -e '{name} = {value}'"


def _fix_for(c: PostfixConfig, name: str, value: str, svc: Service | None,
             related: str) -> str:
    """Fix at the same level as ``related`` (an -o of the service, or main.cf)."""
    if svc is not None and (related in svc.overrides or name in svc.overrides):
        return f"postconf -c {c.directory} -P '{svc.key}/{name}={value}'"
    return f"postconf -c {c.directory} -e '{name} = {value}'"


def smtpd_services(c: PostfixConfig) -> list[Service]:
    return [s for s in c.services if s.command == "smtpd" and s.type in ("inet", "pass")]


def client_services(c: PostfixConfig) -> list[Service]:
    return [s for s in c.services if s.command == "smtp" and s.type == "unix"]


def server_level(c: PostfixConfig, key: str | None) -> str:
    level = c.safe_value("smtpd_tls_security_level", key).strip().lower()
    if level:
        return level
    if c.safe_value("smtpd_enforce_tls", key) == "yes":
        return "encrypt"
    return "may" if c.safe_value("smtpd_use_tls", key) == "yes" else "none"


def client_level(c: PostfixConfig, key: str | None) -> str:
    level = c.safe_value("smtp_tls_security_level", key).strip().lower()
    if level:
        return level
    if c.safe_value("smtp_enforce_tls", key) == "yes":
        return "verify" if c.safe_value("smtp_tls_enforce_peername", key) == "yes" else "encrypt"
    return "may" if c.safe_value("smtp_use_tls", key) == "yes" else "none"


def server_tls_on(c: PostfixConfig, svc: Service) -> bool:
    return (c.safe_value("smtpd_tls_wrappermode", svc.key) == "yes"
            or server_level(c, svc.key) in ("may", "encrypt"))


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for f in findings:
        key = (f.id, f.location.file if f.location else "", f.location.line if f.location else 0,
               f.params.get("param", "") + f.params.get("file", ""))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# --- TLS policy for a relay: smtp_tls_policy_maps, read from its source file ----------------

def policy_entry(c: PostfixConfig, key: str, destination: str) -> tuple[str, Location] | None:
    """The policy map entry for ``destination``: (level, location), when it can be read."""
    maps = c.safe_value("smtp_tls_policy_maps", key)
    for m in _MAP_SPEC.finditer(maps):
        if m.group(1) is not None:
            for item in m.group(1).split(","):
                k, _, v = item.strip().partition("=")
                if k.strip() == destination and v.split():
                    return v.split()[0].lower(), Location(c.main_cf, _line_of(c, "smtp_tls_"
                                                                              "policy_maps"))
            continue
        text, problem = files.read_config(Path(m.group(2)))
        if text is None or problem is not None:
            continue
        for number, line in enumerate(text.split("\n"), 1):
            parts = line.split()
            if len(parts) >= 2 and not parts[0].startswith("#") and parts[0] == destination:
                return parts[1].lower(), Location(m.group(2), number, snippet=line.strip())
    return None


def _line_of(c: PostfixConfig, name: str) -> int:
    s = c.main.get(name)
    return s.line if s else 1


def relay_level(c: PostfixConfig, svc: Service) -> tuple[str, str, Location, str]:
    """(level, destination, location, origin) that applies to the relay of ``svc``."""
    dest = c.safe_value("relayhost", svc.key).strip()
    origin = c.origin("smtp_tls_security_level", svc.key)
    fallback = loc(c.origin("smtp_sasl_auth_enable", svc.key), service_loc(c, svc))
    if dest:
        found = policy_entry(c, svc.key, dest)
        if found:
            return found[0], dest, found[1], f"{found[1].file}:{found[1].line}"
    return (client_level(c, svc.key), dest or "any destination (no relayhost)",
            loc(origin, fallback), where(origin))


def _ca_fix(c: PostfixConfig) -> str:
    bundle = next((p for p in SYSTEM_BUNDLES if Path(p).is_file()), SYSTEM_BUNDLES[0])
    return f"postconf -c {c.directory} -e 'smtp_tls_CAfile = {bundle}'"


def _has_ca(c: PostfixConfig, key: str) -> tuple[bool, str]:
    names = ("smtp_tls_CAfile", "smtp_tls_CApath", "smtp_tls_trust_anchor_file")
    values = {n: c.safe_value(n, key).strip() for n in names}
    usable = [v for v in values.values() if v and Path(v.split(",")[0].strip()).exists()]
    shown = ", ".join(f"{n} = {v or '(empty)'}" for n, v in values.items())
    return bool(usable), shown


# --- the rules --------------------------------------------------------------------------------

def relay_credentials_unverified(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """SMTP AUTH to a relay at a level that does not verify the relay's certificate."""
    out = []
    for svc in client_services(c):
        if c.safe_value("smtp_sasl_auth_enable", svc.key).lower() != "yes":
            continue
        level, dest, location, origin = relay_level(c, svc)
        if level not in UNVERIFIED:
            continue
        fixes = [_fix_for(c, "smtp_tls_security_level", "secure", svc, "smtp_sasl_auth_enable")]
        if not _has_ca(c, svc.key)[0]:
            fixes.append(_ca_fix(c))
        out.append(new_finding("postfix.relay_credentials_unverified", location=location,
                               fix="\n".join(fixes), service=svc.key, destination=dest,
                               level=level or "none", where=origin))
    return out


def outbound_unverified(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """``encrypt``: TLS required, any certificate accepted (not reported twice with AUTH)."""
    out = []
    for svc in client_services(c):
        if client_level(c, svc.key) != "encrypt":
            continue
        if c.safe_value("smtp_sasl_auth_enable", svc.key).lower() == "yes":
            continue  # relay_credentials_unverified, critical, says it already
        origin = c.origin("smtp_tls_security_level", svc.key)
        out.append(new_finding("postfix.outbound_unverified",
                               location=loc(origin, service_loc(c, svc)),
                               fix=fix_cmd(c, "smtp_tls_security_level", "verify", svc),
                               service=svc.key, where=where(origin)))
    return out


def dane_without_dnssec(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for svc in client_services(c):
        level = client_level(c, svc.key)
        dns = c.safe_value("smtp_dns_support_level", svc.key).strip()
        if level not in ("dane", "dane-only") or dns == "dnssec":
            continue
        origin = c.origin("smtp_tls_security_level", svc.key)
        out.append(new_finding(
            "postfix.dane_without_dnssec", location=loc(origin, service_loc(c, svc)),
            fix=_fix_for(c, "smtp_dns_support_level", "dnssec", svc, "smtp_tls_security_level"),
            service=svc.key, level=level, where=where(origin), dns=dns or "(empty)"))
    return out


def verify_without_ca(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for svc in client_services(c):
        level = client_level(c, svc.key)
        if level not in ("verify", "secure"):
            continue
        ok, shown = _has_ca(c, svc.key)
        if ok:
            continue
        origin = c.origin("smtp_tls_security_level", svc.key)
        out.append(new_finding("postfix.verify_without_ca",
                               location=loc(origin, service_loc(c, svc)), fix=_ca_fix(c),
                               service=svc.key, level=level, where=where(origin), cas=shown))
    return out


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
            if p in base and p not in exclude and low <= i <= high]


def _per_service(c: PostfixConfig, services: list[Service], params: tuple[str, ...],
                 enabled: Callable[[Service], bool], anchor: str) -> Iterable[
                     tuple[Service, str, str, Setting | None, Location]]:
    for svc in services:
        if not enabled(svc):
            continue
        for p in params:
            origin = c.origin(p, svc.key)
            fallback = loc(c.origin(anchor, svc.key), service_loc(c, svc))
            yield svc, p, c.safe_value(p, svc.key), origin, loc(origin, fallback)


def _tls_params(c: PostfixConfig, suffix: tuple[str, ...]) -> Iterable[
        tuple[Service, str, str, Setting | None, Location]]:
    yield from _per_service(c, smtpd_services(c), tuple("smtpd_tls_" + s for s in suffix),
                            lambda s: server_tls_on(c, s), "smtpd_tls_security_level")
    yield from _per_service(c, client_services(c), tuple("smtp_tls_" + s for s in suffix),
                            lambda s: client_level(c, s.key) != "none",
                            "smtp_tls_security_level")


def legacy_protocols(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for svc, p, value, origin, location in _tls_params(c, ("protocols", "mandatory_protocols")):
        legacy = [x for x in allowed_protocols(value) if x in LEGACY]
        if legacy:
            out.append(new_finding("postfix.legacy_protocols", location=location,
                                   fix=fix_cmd(c, p, ">=TLSv1.2", svc), param=p, value=value,
                                   where=where(origin), protocols=", ".join(legacy)))
    return _dedupe(out)


def weak_in(cipherlist: str, exclude: str) -> list[str]:
    present: dict[str, bool] = {}
    for tok in re.split(r"[\s:,]+", cipherlist) + ["!" + e for e in re.split(r"[\s:,]+", exclude)]:
        name = WEAK_CIPHERS.get(tok.lstrip("!-+").upper())
        if name is None or tok.startswith("+"):
            continue
        present[name] = not tok.startswith(("!", "-"))
    return [k for k, v in present.items() if v]


def weak_ciphers(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for svc, p, value, origin, location in _tls_params(c, ("ciphers", "mandatory_ciphers")):
        grade = value.strip().lower()
        if grade not in ("export", "low", "medium", "high", "null"):
            continue
        side = p.split("_tls_")[0]
        excl = "_mandatory_exclude_ciphers" if "mandatory" in p else "_exclude_ciphers"
        weak = weak_in(c.safe_value(f"tls_{grade}_cipherlist", svc.key),
                       c.safe_value(f"{side}_tls{excl}", svc.key))
        if weak:
            out.append(new_finding("postfix.weak_ciphers", location=location,
                                   fix=fix_cmd(c, p, "medium", svc), param=p, value=value,
                                   where=where(origin), ciphers=", ".join(weak)))
    return _dedupe(out)


def auth_before_tls(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for svc in smtpd_services(c):
        if c.safe_value("smtpd_sasl_auth_enable", svc.key).lower() != "yes":
            continue
        if c.safe_value("smtpd_tls_wrappermode", svc.key) == "yes":
            continue
        level = server_level(c, svc.key)
        if level == "encrypt" or c.safe_value("smtpd_tls_auth_only", svc.key) == "yes":
            continue
        origin = c.origin("smtpd_sasl_auth_enable", svc.key)
        out.append(new_finding(
            "postfix.auth_before_tls", location=loc(origin, service_loc(c, svc)),
            fix=_fix_for(c, "smtpd_tls_auth_only", "yes", svc, "smtpd_sasl_auth_enable"),
            service=svc.key, level=level, where=where(origin)))
    return out


def submission_tls_optional(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for svc in smtpd_services(c):
        if svc.type != "inet":
            continue
        wrapper = c.safe_value("smtpd_tls_wrappermode", svc.key) == "yes"
        if svc.port in SUBMISSION and not wrapper and server_level(c, svc.key) != "encrypt":
            param, value, reason = ("smtpd_tls_security_level", "encrypt",
                                    "no -o smtpd_tls_security_level=encrypt")
        elif svc.port in SMTPS and not wrapper:
            param, value, reason = ("smtpd_tls_wrappermode", "yes",
                                    "no -o smtpd_tls_wrappermode=yes")
        else:
            continue
        origin = svc.overrides.get(param)
        out.append(new_finding(
            "postfix.submission_tls_optional", location=loc(origin, service_loc(c, svc)),
            fix=f"postconf -c {c.directory} -P '{svc.key}/{param}={value}'",
            service=svc.key, where=f"{svc.file}:{svc.line}", reason=reason))
    return out


def tls_logging_off(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for svc, p, value, origin, location in _tls_params(c, ("loglevel",)):
        if value.strip() == "0":
            out.append(new_finding("postfix.tls_logging_off", location=location,
                                   fix=fix_cmd(c, p, "1", svc), param=p, where=where(origin)))
    return _dedupe(out)


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
    for svc in smtpd_services(c):
        if not server_tls_on(c, svc):
            continue
        host = c.safe_value("myhostname", svc.key)
        for pair in _pairs(c, svc):
            ident = (str(pair.cert), str(pair.key), host)
            if ident in seen:
                continue
            seen.add(ident)
            out += check_pair(POSTFIX, pair, host, ctx)
    return _dedupe(out)


RULES: tuple[Rule, ...] = (
    relay_credentials_unverified,
    outbound_unverified,
    dane_without_dnssec,
    verify_without_ca,
    legacy_protocols,
    weak_ciphers,
    auth_before_tls,
    submission_tls_optional,
    certificate_files,
    tls_logging_off,
)


def problem_findings(c: PostfixConfig) -> list[Finding]:
    out = []
    for p in c.problems:
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


#: Rules that read only main.cf text; the certificate-file rules need the files themselves.
LINT_RULES = tuple(r for r in RULES if r is not certificate_files)


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
