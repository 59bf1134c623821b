"""Stage one: domains -> MX -> addresses, and target lists -> addresses, into a Plan.

MX discovery is :func:`mailtls.net.mx.mx_targets` itself; the resolver given to it caches
every answer, so that the MX hosts shared by many domains (a provider's) are looked up once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import dns.asyncresolver
import dns.exception

from ..model import Target
from ..net.mx import make_resolver, mx_targets
from .plan import Plan


class CachingResolver(dns.asyncresolver.Resolver):
    """A dnspython resolver that answers each (name, type) once; failures are cached too."""

    def __init__(self, base: dns.asyncresolver.Resolver) -> None:
        super().__init__(configure=False)
        self.nameservers, self.port, self.lifetime = base.nameservers, base.port, base.lifetime
        self.cache_hits = 0
        self._answers: dict[tuple[str, str], Any] = {}

    async def resolve(self, qname: Any, rdtype: Any = "A", *args: Any, **kw: Any) -> Any:
        key = (str(qname).lower().rstrip("."), str(rdtype))
        if key in self._answers:
            self.cache_hits += 1
            found = self._answers[key]
        else:
            try:
                found = await super().resolve(qname, rdtype, *args, **kw)
            except dns.exception.DNSException as exc:
                found = exc
            self._answers[key] = found
        if isinstance(found, BaseException):
            raise found
        return found


async def resolve_domains(
    plan: Plan, domains: Sequence[str], nameservers: Sequence[str] = (), port: int = 25,
    timeout: float = 5.0, concurrency: int = 64,
) -> list[str]:
    """Add every MX address of every domain to ``plan``; returns the problems, one a line."""
    resolver = CachingResolver(make_resolver(nameservers, timeout))
    gate = asyncio.Semaphore(concurrency)
    errors: list[str] = []

    async def one(domain: str) -> None:
        async with gate:
            answer = await mx_targets(domain, resolver, "smtp", port)
        for t in answer.targets:
            plan.add(t, answer.domain)
        errors.extend(answer.errors)

    await asyncio.gather(*(one(d) for d in domains))
    return errors


async def resolve_targets(plan: Plan, targets: Sequence[Target]) -> list[str]:
    """Add targets (``mailtls scan`` forms) to ``plan``, each on every address of its host."""
    errors: list[str] = []
    loop = asyncio.get_running_loop()
    cache: dict[str, list[str]] = {}
    for t in targets:
        if t.address:
            plan.add(t)
            continue
        if t.host not in cache:
            cache[t.host] = await _host_addresses(loop, t.host, errors)
        for address in cache[t.host]:
            plan.add(Target(t.scheme, t.host, t.port, address))
    return errors


async def _host_addresses(
    loop: asyncio.AbstractEventLoop, host: str, errors: list[str]
) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        errors.append(f"{host}: cannot resolve ({exc.strerror or exc})")
        return []
    return list(dict.fromkeys(str(i[4][0]) for i in infos))


def read_domains_file(text: str) -> tuple[list[str], list[str]]:
    """One domain a line ('#' comments); returns the domains and the bad lines."""
    domains: list[str] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if any(c.isspace() for c in line) or "/" in line or ":" in line:
            errors.append(f"line {number}: {line!r} is not a domain name")
            continue
        domains.append(line.lower().rstrip("."))
    return list(dict.fromkeys(domains)), errors

