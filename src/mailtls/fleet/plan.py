"""The fleet's units of work, as data: endpoints grouped by the address that serves them.

A job is one target address carrying every (scheme, port, SNI) endpoint on it, whatever
domains led there: a large provider's MX serving 100,000 domains is one job, scanned once.
Results are keyed by (scan id, address, port, SNI); the plan remembers which domains led to
which endpoint, so that results join back to domains in storage.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Target

#: a result's identity inside one scan: (address, port, SNI)
Key = tuple[str, int, str]


@dataclass(frozen=True, order=True)
class Endpoint:
    """One (scheme, port, SNI) on an address: ``sni`` is the host name verified."""

    port: int
    sni: str
    scheme: str = "smtp"

    def target(self, address: str) -> Target:
        return Target(self.scheme, self.sni, self.port, address)


@dataclass(frozen=True)
class Job:
    """The work for one address; ``attempt`` counts back-offs (421, timeouts) so far."""

    scan_id: str
    address: str
    endpoints: tuple[Endpoint, ...]
    attempt: int = 0

    def keys(self) -> list[Key]:
        return [(self.address, e.port, e.sni) for e in self.endpoints]

    def to_dict(self) -> dict[str, Any]:
        return {"scan_id": self.scan_id, "address": self.address, "attempt": self.attempt,
                "endpoints": [[e.port, e.sni, e.scheme] for e in self.endpoints]}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Job:
        eps = tuple(Endpoint(int(p), str(s), str(sc)) for p, s, sc in d["endpoints"])
        return cls(str(d["scan_id"]), str(d["address"]), eps, int(d.get("attempt", 0)))


@dataclass
class Plan:
    """Endpoints by address, de-duplicated across domains, and the domains behind each."""

    scan_id: str
    by_address: dict[str, set[Endpoint]] = field(default_factory=dict)
    domains: dict[Key, set[str]] = field(default_factory=dict)

    def add(self, target: Target, domain: str | None = None) -> None:
        address = target.address or target.host
        ep = Endpoint(target.port, target.host, target.scheme)
        self.by_address.setdefault(address, set()).add(ep)
        if domain:
            self.domains.setdefault((address, ep.port, ep.sni), set()).add(domain)

    @property
    def endpoint_count(self) -> int:
        return sum(len(v) for v in self.by_address.values())

    def jobs(self, seed: int, done: Iterable[Key] = (), batch: int = 0) -> list[Job]:
        """The jobs still to do, addresses in a seeded shuffled order (zmap style).

        ``batch`` > 0 splits an address with many endpoints into jobs of at most that many;
        the politeness lock still serialises them, wherever they run.
        """
        finished = set(done)
        out: list[Job] = []
        for address in shuffled(sorted(self.by_address), seed):
            todo = [e for e in sorted(self.by_address[address])
                    if (address, e.port, e.sni) not in finished]  # fmt: skip
            size = batch if batch > 0 else max(1, len(todo))
            out += [Job(self.scan_id, address, tuple(todo[i : i + size]))
                    for i in range(0, len(todo), size)]  # fmt: skip
        return out

    def mapping_rows(self) -> list[tuple[str, str, int, str]]:
        """(domain, address, port, SNI) rows: the join from results back to domains."""
        return sorted((d, a, p, s) for (a, p, s), ds in self.domains.items() for d in ds)


def shuffled(items: Sequence[str], seed: int) -> list[str]:
    """A seeded permutation, stable for a given seed (a restarted run keeps its order)."""
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def default_scan_id(inputs: Sequence[str]) -> str:
    """A scan id from the inputs: the same input files give the same id (resume)."""
    digest = hashlib.sha256("\0".join(inputs).encode()).hexdigest()
    return f"scan-{digest[:12]}"
