"""Would this Postfix authenticate the MX hosts it sends to? DANE and MTA-STS when sending.

Only the transports that deliver remote mail to MX hosts themselves are judged
(``default_transport``/``relay_transport``, and no ``relayhost`` for the service: mail
handed to a relay is the relay's business, and postfix_client judges the relay):

* **DANE** (RFC 7672) is applied when ``smtp_tls_security_level`` is ``dane`` or
  ``dane-only`` *and* ``smtp_dns_support_level = dnssec`` (without DNSSEC lookups Postfix
  sees no TLSA records). Level ``may`` delivers to a DANE domain without checking its TLSA
  records: ``postfix.dane_not_enforced``, fixed by ``dane`` (which stays opportunistic for
  domains without TLSA records, so it never stops mail that ``may`` delivers, except to a
  domain whose own DANE is broken, which RFC 7672 asks senders to defer). Levels ``none``
  (outbound_no_tls) and ``dane`` without DNSSEC (dane_without_dnssec) are said elsewhere;
  a mandatory level for every MX host is left alone (``dane`` would lower it for
  domains without TLSA records).
* **MTA-STS** (RFC 8461): Postfix has no MTA-STS code; a resolver daemon answers as a
  policy table, e.g. postfix-mta-sts-resolver as
  ``smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix``. A ``socketmap:``
  table in ``smtp_tls_policy_maps`` counts as one (whether the daemon runs is not checked
  here: a configuration audit reads files); none: ``postfix.mta_sts_not_enforced``.
* Both applied: ``postfix.outbound_authenticated`` (info) says so.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..catalog import new_finding
from ..config.postfix import PostfixConfig
from ..model import Finding
from .certfiles import CertContext
from .postfix_services import Client, clients, delivers_to_mx, fix_cmd, loc, service_loc, where

RESOLVER_MAP = "socketmap:inet:127.0.0.1:8461:postfix"  # postfix-mta-sts-resolver's default
_SOCKETMAP = re.compile(r"socketmap:\S+?(?=[\s,]|$)")


def _direct(c: PostfixConfig) -> list[Client]:
    """The client services that deliver to MX hosts themselves (no relayhost)."""
    return [cl for cl in clients(c) if delivers_to_mx(c, cl.svc)
            and not c.safe_value("relayhost", cl.svc.key).strip()]  # fmt: skip


def _once(findings: list[Finding]) -> list[Finding]:
    """One finding per id and line (smtp and relay share main.cf's), naming every service."""
    grouped: dict[tuple[str, str, int], Finding] = {}
    for f in findings:
        key = (f.id, f.location.file if f.location else "", f.location.line if f.location else 0)
        first = grouped.get(key)
        if first is None:
            grouped[key] = f
        else:
            services = f"{first.params['service']}, {f.params['service']}"
            grouped[key] = replace(first, params={**first.params, "service": services})
    return list(grouped.values())


def dane_enforced(c: PostfixConfig, client: Client) -> bool:
    dns = c.safe_value("smtp_dns_support_level", client.svc.key).strip().lower()
    return client.level in ("dane", "dane-only") and dns == "dnssec"


def sts_resolver(c: PostfixConfig, client: Client) -> str:
    """The ``socketmap:`` table of ``smtp_tls_policy_maps`` (an MTA-STS resolver), or ""."""
    found = _SOCKETMAP.search(c.safe_value("smtp_tls_policy_maps", client.svc.key))
    return found.group(0) if found else ""


def dane_not_enforced(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for client in _direct(c):
        if client.level != "may" or dane_enforced(c, client):
            continue
        svc = client.svc
        dns = c.safe_value("smtp_dns_support_level", svc.key).strip()
        fixes = [fix_cmd(c, "smtp_tls_security_level", "dane", svc)]
        if dns.lower() != "dnssec":
            fixes.insert(0, fix_cmd(c, "smtp_dns_support_level", "dnssec", svc,
                                    "smtp_tls_security_level"))  # fmt: skip
        out.append(new_finding(
            "postfix.dane_not_enforced", location=loc(client.origin, service_loc(c, svc)),
            fix="\n".join(fixes), service=svc.key, level=client.level,
            where=where(client.origin), dns=dns or "(empty)"))
    return _once(out)


def mta_sts_not_enforced(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for client in _direct(c):
        if client.level == "none" or sts_resolver(c, client):
            continue
        svc = client.svc
        current = c.safe_value("smtp_tls_policy_maps", svc.key).strip()
        origin = c.origin("smtp_tls_policy_maps", svc.key) or client.origin
        value = f"{current} {RESOLVER_MAP}" if current else RESOLVER_MAP
        out.append(new_finding(
            "postfix.mta_sts_not_enforced", location=loc(origin, service_loc(c, svc)),
            fix=fix_cmd(c, "smtp_tls_policy_maps", value, svc), service=svc.key,
            maps=current or "(empty)", where=where(origin)))
    return _once(out)


def outbound_authenticated(c: PostfixConfig, ctx: CertContext) -> list[Finding]:
    out = []
    for client in _direct(c):
        resolver = sts_resolver(c, client)
        if not (resolver and dane_enforced(c, client)):
            continue
        out.append(new_finding(
            "postfix.outbound_authenticated",
            location=loc(client.origin, service_loc(c, client.svc)), service=client.svc.key,
            level=client.level, resolver=resolver))
    return _once(out)


RULES = (dane_not_enforced, mta_sts_not_enforced, outbound_authenticated)
