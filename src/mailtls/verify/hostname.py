"""RFC 6125 host name matching: subjectAltName only, wildcard only as the whole left-most label.

The common name is never used (RFC 6125 section 6.4.4 allows it only when there is
no SAN; every current client has dropped it). IP addresses match IP SANs only.
Internationalised names are compared as A-labels, converted with IDNA 2008 and UTS 46
mapping (the ``idna`` package: ``faß.example`` is ``xn--fa-hia.example``, not the IDNA
2003 ``fass.example``). An ASCII name is compared as it is, lower-cased: an underscore
(``mail_relay.corp.test``, common on internal hosts) is not a valid host name, but a
certificate that lists exactly that name matches it, as OpenSSL matches it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import idna
from cryptography import x509

from .parts import common_names, inspect

LDH = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class HostName:
    """A target host as the certificate must name it."""

    text: str  # as given
    alabel: str  # lower case, no trailing dot, A-labels; the address for an IP
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    problem: str | None = None  # not a valid IDNA 2008 name: why
    ldh: bool = True  # every label letters, digits and hyphens (what strict validators want)


def host_name(host: str) -> HostName:
    bare = host.strip().strip("[]")
    try:
        ip = ipaddress.ip_address(bare)
        return HostName(host, str(ip), ip)
    except ValueError:
        pass
    name = bare.rstrip(".").lower()
    if name.isascii():
        ldh = bool(name) and all(LDH.match(label) for label in name.split("."))
        return HostName(host, name, None, None if name else "empty name", ldh)
    try:
        alabel = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        return HostName(host, name, None, str(exc) or "not a valid IDNA 2008 name", False)
    return HostName(host, alabel, None)


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    return inspect(cert).get(x509.SubjectAlternativeName)


def presented_names(cert: x509.Certificate) -> list[str]:
    """DNS names and IP addresses of the SAN, in order ([] when absent or unreadable)."""
    san = _san(cert)
    if san is None:
        return []
    names: list[str] = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return names


def _dns_match(pattern: str, host: str) -> bool:
    pattern = pattern.rstrip(".").lower()
    if pattern == host:
        return True
    if not pattern.startswith("*."):
        return False
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False  # no wildcard beyond the first label, none directly under a TLD
    first, _, rest = host.partition(".")
    return bool(first) and rest == suffix


def matches(cert: x509.Certificate, host: HostName) -> bool:
    san = _san(cert)
    if san is None or host.problem:
        return False
    if host.ip is not None:
        return host.ip in san.get_values_for_type(x509.IPAddress)
    return any(_dns_match(p, host.alabel) for p in san.get_values_for_type(x509.DNSName))


def match_hostname(cert: x509.Certificate, host: str) -> bool:
    """True when the certificate's SAN covers ``host`` (a DNS name or an IP address)."""
    return matches(cert, host_name(host))


def cn_outside_san(cert: x509.Certificate) -> str | None:
    """A subject CN that none of the SAN entries equals (CA/Browser Forum BR 7.1.4.3)."""
    san = _san(cert)
    if san is None:
        return None
    names = set(presented_names(cert))
    for cn in common_names(cert):
        wanted = host_name(cn)
        if wanted.alabel not in names and cn.lower().rstrip(".") not in names:
            return cn
    return None
