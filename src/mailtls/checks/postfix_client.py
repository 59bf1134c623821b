"""Rules about the Postfix SMTP client: relays, verification, DANE, mail sent in clear.

A fix is offered only when it keeps mail flowing: ``verify``/``secure`` come with a CA
(the configured one, else this system's bundle), ``secure`` only for a named relay, and a
level that comes from a policy table entry is left to be changed by hand. The finding's
``{advice}`` says which, and why.
"""

from __future__ import annotations

from ..catalog import new_finding
from ..catalog.parts.audit import ADVICE
from ..config.postfix import PostfixConfig, Service
from ..model import Finding, Location
from .certfiles import CertContext
from .postfix_services import (
    VERIFIED,
    Client,
    clients,
    delivers_to_mx,
    fix_cmd,
    has_ca,
    loc,
    postconf_e,
    service_loc,
    system_bundle,
    table_entries,
    where,
)

FALLIBLE = ("none", "may", "encrypt", "dane", "")


def _ca_fixes(c: PostfixConfig, svc: Service, fixes: list[str]) -> tuple[list[str], str]:
    """``fixes`` with the CA file added when needed, and the advice; no fix without a CA."""
    if has_ca(c, svc.key)[0]:
        return fixes, ADVICE["ca_present"]
    bundle = system_bundle()
    if bundle is None:
        return [], ADVICE["no_bundle"]
    return [*fixes, postconf_e(c, "smtp_tls_CAfile", str(bundle))], \
        ADVICE["ca_added"]


def relays(c: PostfixConfig, svc: Service) -> list[str]:
    """The relays this service authenticates to: relayhost and sender-dependent relays."""
    out = [c.safe_value("relayhost", svc.key).strip()]
    entries, _ = table_entries(c, "sender_dependent_relayhost_maps", svc.key)
    out += [e.value.split()[0] for e in entries if e.value.split()]
    return [r for r in dict.fromkeys(out) if r]


def _relay_level(client: Client, c: PostfixConfig, dest: str) -> tuple[str, Location, str,
                                                                         bool]:
    """(level, location, origin, from a policy entry) for delivery to ``dest``."""
    for p in client.policies:
        if p.destination == dest and p.location is not None:
            return p.level, p.location, f"{p.location.file}:{p.location.line}", True
    origin = client.origin
    fallback = loc(c.origin("smtp_sasl_auth_enable", client.svc.key), service_loc(c, client.svc))
    return client.level, loc(origin, fallback), where(origin), False


def relay_credentials_unverified(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """SMTP AUTH to a relay at a level that can fall back or does not verify the relay.

    One finding per relay and line that sets the level, naming the services.
    """
    grouped: dict[tuple[str, str, int], tuple[list[str], dict[str, str], Location,
                                              str | None]] = {}
    for client in clients(c):
        svc = client.svc
        if c.safe_value("smtp_sasl_auth_enable", svc.key).lower() != "yes":
            continue
        for dest in relays(c, svc) or [""]:
            level, location, origin, from_policy = _relay_level(client, c, dest)
            if level not in FALLIBLE:
                continue
            key = (dest, location.file, location.line)
            if key in grouped:
                grouped[key][0].append(svc.key)
                continue
            fixes: list[str] = []
            if from_policy:
                advice = ADVICE["policy_entry"]
            elif not dest:
                advice = ADVICE["no_relay"]
            else:
                fixes, advice = _ca_fixes(c, svc, [fix_cmd(
                    c, "smtp_tls_security_level", "secure", svc, "smtp_sasl_auth_enable")])
            params = {"destination": dest or "any destination (no relayhost)",
                      "level": level or "none", "where": origin, "advice": advice}
            grouped[key] = ([svc.key], params, location, "\n".join(fixes) or None)
    return [new_finding("postfix.relay_credentials_unverified", location=location, fix=fix,
                        service=", ".join(keys), destination=params["destination"],
                        level=params["level"], where=params["where"], advice=params["advice"])
            for keys, params, location, fix in grouped.values()]


def outbound_unverified(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """``encrypt``: TLS required, any certificate accepted (not reported twice with AUTH)."""
    out = []
    for client in clients(c):
        svc = client.svc
        if client.level != "encrypt":
            continue
        if c.safe_value("smtp_sasl_auth_enable", svc.key).lower() == "yes":
            continue  # relay_credentials_unverified, critical, says it already
        fixes, advice = _ca_fixes(c, svc, [fix_cmd(c, "smtp_tls_security_level", "verify",
                                                   svc)])
        out.append(new_finding("postfix.outbound_unverified",
                               location=loc(client.origin, service_loc(c, svc)),
                               fix="\n".join(fixes) or None, service=svc.key,
                               where=where(client.origin), advice=advice))
    return out


def outbound_no_tls(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    """The transports of remote mail at level ``none``: mail in clear to every MX.

    One finding per line that sets the level (or per default), naming the services.
    """
    grouped: dict[tuple[str, int], list[Client]] = {}
    for client in clients(c):
        if client.level == "none" and delivers_to_mx(c, client.svc):
            o = client.origin
            grouped.setdefault((o.file, o.line) if o else ("", 0), []).append(client)
    out = []
    for group in grouped.values():
        first = group[0]
        out.append(new_finding(
            "postfix.outbound_no_tls", location=loc(first.origin, service_loc(c, first.svc)),
            fix=fix_cmd(c, "smtp_tls_security_level", "may", first.svc),
            service=", ".join(x.svc.key for x in group), level="none",
            where=where(first.origin), advice=ADVICE["opportunistic"]))
    return out


def dane_without_dnssec(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for client in clients(c):
        svc = client.svc
        dns = c.safe_value("smtp_dns_support_level", svc.key).strip()
        if client.level not in ("dane", "dane-only") or dns == "dnssec":
            continue
        out.append(new_finding(
            "postfix.dane_without_dnssec", location=loc(client.origin, service_loc(c, svc)),
            fix=fix_cmd(c, "smtp_dns_support_level", "dnssec", svc, "smtp_tls_security_level"),
            service=svc.key, level=client.level, where=where(client.origin),
            dns=dns or "(empty)"))
    return out


def verify_without_ca(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for client in clients(c):
        svc = client.svc
        if client.level not in VERIFIED or client.level in ("fingerprint", "dane-only"):
            continue
        ok, shown = has_ca(c, svc.key)
        if ok:
            continue
        fixes, advice = _ca_fixes(c, svc, [])
        out.append(new_finding("postfix.verify_without_ca",
                               location=loc(client.origin, service_loc(c, svc)),
                               fix="\n".join(fixes) or None, service=svc.key,
                               level=client.level, where=where(client.origin), cas=shown,
                               advice=advice))
    return out
