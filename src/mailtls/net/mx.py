"""MX discovery: a domain's mail exchangers, in preference order, on every address.

RFC 5321 section 5.1: MX records sorted by preference; no MX at all means the
domain itself is the mail exchanger (implicit MX); RFC 7505: a single MX of "."
is a null MX, the domain accepts no mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver

from ..catalog import new_finding
from ..errors import TargetError
from ..model import Finding, Target
from ..targets import normalize_host


@dataclass(frozen=True)
class MXAnswer:
    domain: str
    targets: tuple[Target, ...]
    notes: tuple[Finding, ...]
    errors: tuple[str, ...]


def make_resolver(
    nameservers: Sequence[str] = (), timeout: float = 5.0
) -> dns.asyncresolver.Resolver:
    """The system resolver, or the given ``ADDR[:PORT]`` name servers."""
    if not nameservers:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        addrs, port = [], 53
        for ns in nameservers:
            host, _, p = ns.rpartition(":") if ns.count(":") == 1 else (ns, "", "")
            addrs.append(host or ns)
            port = int(p) if p.isdigit() else port
        resolver.nameservers = addrs
        resolver.port = port
    resolver.lifetime = timeout
    return resolver


async def _addresses(
    resolver: dns.asyncresolver.Resolver, host: str
) -> tuple[list[str], str | None]:
    found: list[str] = []
    problem = None
    for rdtype in ("A", "AAAA"):
        try:
            answer = await resolver.resolve(host, rdtype)
            found += [r.to_text() for r in answer]
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            continue
        except dns.exception.DNSException as exc:
            problem = str(exc) or type(exc).__name__
    return found, (problem if not found else None)


async def mx_targets(
    domain: str, resolver: dns.asyncresolver.Resolver, scheme: str = "smtp", port: int = 25
) -> MXAnswer:
    """Every (MX host, address) pair of ``domain`` as targets, best preference first."""
    try:
        domain = normalize_host(domain, domain)
    except TargetError as exc:
        return MXAnswer(domain, (), (), (str(exc),))
    try:
        answer = await resolver.resolve(domain, "MX")
        records = sorted(
            ((r.preference, r.exchange.to_text().rstrip(".").lower()) for r in answer),
            key=lambda x: x[0],
        )
    except dns.resolver.NoAnswer:
        records = []
    except dns.resolver.NXDOMAIN:
        return MXAnswer(domain, (), (), (f"--mx {domain}: the domain does not exist (NXDOMAIN)",))
    except dns.exception.DNSException as exc:
        return MXAnswer(domain, (), (), (f"--mx {domain}: MX lookup failed ({exc})",))
    notes: list[Finding] = []
    if len(records) == 1 and records[0][1] in ("", "."):
        return MXAnswer(domain, (), (new_finding("mx.null", domain=domain),), ())
    if not records:
        notes.append(new_finding("mx.implicit", domain=domain))
        records = [(0, domain)]
    targets: list[Target] = []
    errors: list[str] = []
    for _, host in records:
        addrs, problem = await _addresses(resolver, host)
        if problem or not addrs:
            errors.append(
                f"--mx {domain}: MX host {host} has no address ({problem or 'no A/AAAA'})"
            )
        targets += [Target(scheme, host, port, a) for a in addrs]
    return MXAnswer(domain, tuple(targets), tuple(notes), tuple(errors))
