"""DNS queries with the DNSSEC records (DO bit), for mailtls domain's own validation.

One query goes to one configured server (``--resolver ADDR[:PORT]``, the system's first
name server otherwise) over UDP, and again over TCP when the answer is truncated. The
DO and CD bits are set: the answer carries RRSIGs and NSEC/NSEC3 records, and a
validating resolver hands over even data it finds bogus, so that mailtls judges it
itself (mailtls.domain.dnssec) from its own trust anchor. An authoritative server (Knot,
in the tests) answers such queries as they are; no recursion is needed for names it
serves.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.resolver

from ..errors import TargetError


@dataclass(frozen=True)
class Server:
    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_server(text: str, option: str = "--resolver") -> Server:
    """``ADDR``, ``ADDR:PORT`` or ``[ADDR6]:PORT``; TargetError naming ``option`` otherwise."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":") or "53"
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        raise TargetError(f"{option} {text!r}: expected ADDR[:PORT] with an IP address") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise TargetError(f"{option} {text!r}: port {port!r} is not a number from 1 to 65535")
    return Server(address, int(port))


def system_server() -> Server:
    """The first name server of the system's resolver configuration."""
    try:
        conf = dns.resolver.Resolver()
    except dns.exception.DNSException as exc:
        raise TargetError(f"no system resolver ({exc}); give --resolver ADDR[:PORT]") from None
    first = str(conf.nameservers[0])
    return Server(first, int(conf.port))


class QueryError(Exception):
    """A query got no usable answer (timeout, refused, malformed); the text says which."""


@dataclass
class Transport:
    """Sends queries to one server; counts them (a test can see the cache work)."""

    server: Server
    timeout: float = 5.0
    sent: int = 0

    def query(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
        request = dns.message.make_query(name, rdtype, want_dnssec=True, payload=4096)
        request.flags |= dns.flags.CD | dns.flags.RD
        self.sent += 1
        where = f"{name.to_text()} {dns.rdatatype.to_text(rdtype)} at {self.server}"
        try:
            answer = dns.query.udp(request, self.server.address, self.timeout,
                                   self.server.port, ignore_trailing=True)  # fmt: skip
            if answer.flags & dns.flags.TC:
                answer = dns.query.tcp(request, self.server.address, self.timeout,
                                       self.server.port)  # fmt: skip
        except dns.exception.Timeout:
            raise QueryError(f"{where}: no answer within {self.timeout:g} s") from None
        except (OSError, dns.exception.DNSException) as exc:
            raise QueryError(f"{where}: {exc or type(exc).__name__}") from None
        return answer
