"""Which named groups a server accepts, learnt from connections the scan makes anyway.

Every TLS 1.3 probe sends an empty key_share, so the server answers with a
HelloRetryRequest that names the group it picked from our supported_groups; every TLS <= 1.2
connection that ends on an ECDHE suite names its curve in the ServerKeyExchange. A tracker
per family (TLS 1.3 groups; TLS <= 1.2 curves, which OpenSSL keeps apart: ffdhe and the
ML-KEM hybrids are TLS 1.3 only, binary curves TLS 1.2 only) proposes the order in which the
next connection lists the groups, and learns from each pick:

- A server that lets the client decide picks the first group of our list it supports, so
  every group listed before the pick is unsupported. Proposals list the undecided groups
  first and the known ones last: each connection decides at least one group, and a pick of
  a known group decides all the rest.
- A server with its own order picks its favourite whatever we list. The two are told apart
  by the first two picks: the second list puts the first pick last; another pick proves
  client order. The same pick again is resolved by a list without it ("suspect"): an answer
  proves server order, a refusal proves there is only one group.
- In server order (and while suspect) the TLS <= 1.2 enumeration lists every group
  (``safe``: a missing curve would hide ECDHE suites); the dedicated group connections list
  only the undecided groups, so the picks come in the server's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ...proto.tls import NamedGroup as G

_LIKELY_LAST = (G.X448, G.SECP521R1, G.SECP384R1, G.SECP256R1, G.X25519)
TLS13_GROUPS: tuple[int, ...] = (
    G.BRAINPOOLP256R1TLS13, G.BRAINPOOLP384R1TLS13, G.BRAINPOOLP512R1TLS13,
    G.GC256A, G.GC256B, G.GC256C, G.GC256D, G.GC512A, G.GC512B, G.GC512C, G.CURVESM2,
    G.MLKEM512, G.MLKEM768, G.MLKEM1024, G.SECP256R1KYBER768DRAFT00, G.X25519KYBER768DRAFT00,
    G.SECP384R1MLKEM1024, G.SECP256R1MLKEM768, G.X25519MLKEM768,
    G.FFDHE8192, G.FFDHE6144, G.FFDHE4096, G.FFDHE3072, G.FFDHE2048, *_LIKELY_LAST,
)  # fmt: skip
TLS12_GROUPS: tuple[int, ...] = (
    *range(G.SECT163K1, G.SECP256K1 + 1), G.BRAINPOOLP256R1, G.BRAINPOOLP384R1,
    G.BRAINPOOLP512R1, *_LIKELY_LAST,
)  # fmt: skip
#: the order reports use when the client decides
DISPLAY = (G.X25519, G.SECP256R1, G.X448, G.SECP521R1, G.SECP384R1)


@dataclass
class GroupTracker:
    """Learns one family's groups; see the module docstring for the rules."""

    candidates: tuple[int, ...]
    accepted: list[int] = field(default_factory=list)  # in the order first seen
    rejected: set[int] = field(default_factory=set)
    mode: str = "unknown"  # unknown, client, suspect, server
    _seen: list[tuple[tuple[int, ...], int]] = field(default_factory=list)

    @property
    def undecided(self) -> list[int]:
        return [g for g in self.candidates if g not in self.accepted and g not in self.rejected]

    @property
    def resolved(self) -> bool:
        return bool(self._seen) and not self.undecided

    @property
    def server_order(self) -> bool | None:
        if len(self.accepted) < 2:
            return None
        return {"client": False, "server": True}.get(self.mode)

    def proposal(self, *, safe: bool = True) -> list[int]:
        """The supported_groups of the next connection (``safe``: list every group)."""
        if self.mode in ("unknown", "client"):
            return self.undecided + list(reversed(self.accepted))
        if safe:
            return list(self.candidates)
        return self.undecided

    def observe(self, offered: Sequence[int], pick: int) -> None:
        """The server picked ``pick`` from ``offered``."""
        offered = tuple(int(g) for g in offered)
        if pick not in offered:
            return  # a server that picks what we did not offer teaches nothing here
        self._seen.append((offered, pick))
        if pick not in self.accepted:
            self.accepted.append(pick)
            self.rejected.discard(pick)
        self._decide()
        if self.mode == "client":
            self._eliminate()

    def refused(self, offered: Sequence[int]) -> None:
        """A connection listing only ``offered`` (with suites known to work) was refused."""
        if not self._seen:
            return
        self.rejected.update(int(g) for g in offered if g not in self.accepted)
        if self.mode == "suspect":
            self.mode = "single"

    def _decide(self) -> None:
        if self.mode in ("client", "server"):
            return
        for offered, pick in self._seen:
            before = offered[: offered.index(pick)]
            if any(g in self.accepted for g in before):
                self.mode = "server"
                return
        picks = {pick for _, pick in self._seen}
        if len(picks) > 1:
            self.mode = "client"
        elif len(self._seen) > 1:
            self.mode = "suspect"

    def _eliminate(self) -> None:
        for offered, pick in self._seen:
            for g in offered[: offered.index(pick)]:
                if g not in self.accepted:
                    self.rejected.add(g)

    def ordered(self) -> list[int]:
        """Accepted groups: the server's order, or a fixed display order when it has none."""
        if self.mode == "server":
            return list(self.accepted)
        rank = {int(g): i for i, g in enumerate(DISPLAY)}
        return sorted(self.accepted, key=lambda g: (rank.get(g, len(rank)), g))


def merge(tls13: GroupTracker, tls12: GroupTracker) -> tuple[list[int], bool | None]:
    """Every group accepted in either family (TLS 1.3's order first), and the server order."""
    groups = tls13.ordered() + [g for g in tls12.ordered() if g not in tls13.accepted]
    order = tls13.server_order if tls13.server_order is not None else tls12.server_order
    return groups, order
