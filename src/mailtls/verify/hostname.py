"""RFC 6125 host name matching: subjectAltName only, wildcard only as the whole left-most label.

The common name is never used (RFC 6125 section 6.4.4 allows it only when there is
no SAN; every current client has dropped it). IP addresses match IP SANs only.
Internationalised names are compared as A-labels.
"""

from __future__ import annotations

import ipaddress

from cryptography import x509


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:  # malformed extension
        return None


def presented_names(cert: x509.Certificate) -> list[str]:
    """DNS names and IP addresses of the SAN, in order."""
    san = _san(cert)
    if san is None:
        return []
    names: list[str] = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return names


def _to_alabel(host: str) -> str:
    host = host.rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


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


def match_hostname(cert: x509.Certificate, host: str) -> bool:
    """True when the certificate's SAN covers ``host`` (a DNS name or an IP address)."""
    san = _san(cert)
    if san is None:
        return False
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None:
        return ip in san.get_values_for_type(x509.IPAddress)
    wanted = _to_alabel(host)
    return any(_dns_match(p, wanted) for p in san.get_values_for_type(x509.DNSName))
