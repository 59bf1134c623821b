"""MX discovery: a domain's mail exchangers, in preference order, on every address.

RFC 5321 section 5.1: MX records sorted by preference; no MX at all means the
domain itself is the mail exchanger (implicit MX); RFC 7505: a single MX of "."
is a null MX, the domain accepts no mail.
"""

from __future__ import annotations

import ipaddress
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


def parse_nameserver(text: str) -> tuple[str, int]:
    """``ADDR``, ``ADDR:PORT`` or ``[ADDR6]:PORT``; TargetError otherwise."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or "53"
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        message = f"--nameserver {text!r}: expected ADDR[:PORT] with an IP address"
        raise TargetError(message) from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise TargetError(f"--nameserver {text!r}: port {port!r} is not a number from 1 to 65535")
    return address, int(port)


def make_resolver(
    nameservers: Sequence[str] = (), timeout: float = 5.0
) -> dns.asyncresolver.Resolver:
    """The system resolver, or the given ``ADDR[:PORT]`` name servers (one port for all)."""
    if not nameservers:
        resolver = dns.asyncresolver.Resolver()
    else:
        parsed = [parse_nameserver(ns) for ns in nameservers]
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [a for a, _ in parsed]
        resolver.port = parsed[0][1]
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
