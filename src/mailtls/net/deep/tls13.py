"""TLS 1.3: the suites, their order and the named groups, learnt in the same connections.

Every TLS 1.3 probe sends an empty key_share, so the answer is a HelloRetryRequest that
names a suite *and* a group. The suite loop ("offer the rest, remove the pick") therefore
lists only the undecided groups whenever it can tell a refusal apart, and each answer then
teaches a suite and a group at once:

- After two picks, each offer is the remaining suites followed by the accepted ones
  reversed (the "sentinels"). A server that lets the client decide picks a remaining suite
  if it has one, else the first sentinel (the last suite picked); a server with its own
  order picks its favourite, which is the first suite ever picked (it won over every other
  accepted suite). So the first sentinel proves both "client order" and "no suite left":
  the loop ends without a refusal probe, and without an order probe. The first pick proves
  server order, and the loop goes on without sentinels.
- With a sentinel in the offer a suite is always acceptable: a refusal says that none of
  the listed (undecided) groups is. Without one, a refusal is ambiguous (no suite left, or
  no listed group): the next connection lists every group, and what it gets settles both.
- Silent closes and unreadable answers get a second look (Context.settle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...proto.tls import CipherSuite, ProtocolVersion
from .context import TLS13_SUITES, Context, Send, Settled, ambiguous
from .flight import Flight
from .groups import GroupTracker
from .suites import VersionResult

V = ProtocolVersion
WHAT = "TLSv1.3 suites"
COMMON = (0x1301, 0x1302, 0x1303)  # AES-GCM and ChaCha20: what nearly every server has


@dataclass
class _Round:
    offer: tuple[int, ...]
    groups: tuple[int, ...]
    sentinels: tuple[int, ...]
    unsafe: bool  # only undecided groups and no sentinel: a refusal is ambiguous


class Tls13:
    """One TLS 1.3 enumeration (see the module docstring)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.result = VersionResult(V.TLSv1_3)
        self.remaining = list(TLS13_SUITES)
        self.sentinels_on = True
        self.safe_next = False  # the last refusal was ambiguous: list every group
        self.ambiguous_groups: tuple[int, ...] = ()  # what that refusal listed

    @property
    def tracker(self) -> GroupTracker:
        return self.ctx.tls13_groups

    def plan(self) -> _Round:
        accepted = self.result.codes
        sentinels = tuple(reversed(accepted)) if self.sentinels_on and len(accepted) >= 2 else ()
        undecided = tuple(self.tracker.undecided)
        # without a sentinel, list only undecided groups while a common suite is left
        # (after those, the likely answer is the refusal that ends the list)
        likely = bool(sentinels) or any(c in COMMON for c in self.remaining)
        if undecided and accepted and not self.safe_next and likely:
            groups, unsafe = undecided, not sentinels
        else:
            groups, unsafe = tuple(self.tracker.proposal(safe=True)), False
        return _Round(tuple(self.remaining) + sentinels, groups, sentinels, unsafe)

    def accept(self, chosen: CipherSuite, offer: Sequence[int]) -> None:
        self.result.supported = True
        self.result.accepted.append(chosen)
        self.result.offers.append(tuple(c for c in offer if c in self.remaining))
        self.remaining.remove(chosen.code)

    def picked(self, r: _Round, chosen: CipherSuite) -> bool:
        """A pick; True to go on."""
        code = chosen.code
        if code in self.remaining:
            self.accept(chosen, r.offer)
            return True
        if r.sentinels and code == r.sentinels[0]:
            self.result.server_order = False  # client order, and nothing left
            self.result.complete = True
            return False
        if r.sentinels and code == r.sentinels[-1]:
            self.result.server_order = True  # its favourite: the loop goes on without
            self.sentinels_on = False
            return True
        self.sentinels_on = False  # neither rule explains it: plain loop from here on
        if code not in self.result.codes:
            self.ctx.runner.note(f"TLSv1.3: the server chose {chosen.name}, not offered")
            return False
        return True

    def refused(self, r: _Round, flight: Flight) -> bool:
        """A refusal (alert, or a silent close seen twice); True to go on."""
        if r.sentinels:
            self.tracker.refused(r.groups)  # a suite was acceptable: no listed group is
            return True
        if r.unsafe:
            self.safe_next = True  # no suite left, or no listed group: ask with all groups
            self.ambiguous_groups = r.groups
            return True
        self.safe_next = False  # the suites are done; those groups stay undecided
        self.result.complete = True
        if not self.result.accepted:
            self.result.supported = False
        if flight.closed and flight.alert is None and self.result.accepted:
            self.ctx.runner.note("TLSv1.3: the server closed the connection instead of "
                                 "refusing the remaining suites")  # fmt: skip
        return False

    async def step(self, settled: Settled, r: _Round) -> bool:
        flight = settled.flight
        if settled.unknown or flight is None:
            return False  # unknown from here on: not complete
        chosen = flight.chosen if flight.version == V.TLSv1_3 else None
        if chosen is not None:
            if self.safe_next:
                self._settle_groups(chosen)
            return self.picked(r, chosen)
        if flight.answered:  # another version: TLS 1.3 is not there
            if not self.result.accepted:
                self.result.supported = False
            self.result.complete = True
            return False
        return self.refused(r, flight)

    def _settle_groups(self, chosen: CipherSuite) -> None:
        """The ambiguous refusal had a suite to pick (this one): its groups were refused."""
        if chosen.code in self.remaining and self.ambiguous_groups:
            self.tracker.refused(self.ambiguous_groups)
        self.safe_next = False
        self.ambiguous_groups = ()

    async def run(self, first: Flight | None, first_offer: Sequence[int]) -> VersionResult:
        r = _Round(tuple(first_offer) or tuple(self.remaining), (), (), False)
        settled = Settled(first, r.offer)
        if first is not None and ambiguous(first):
            settled = await self.ctx.settle(self._send(r), r.offer, WHAT, first=first)
        while await self.step(settled, r):
            if not self.remaining:
                self.result.complete = True
                break
            r = self.plan()
            settled = await self.ctx.settle(self._send(r), r.offer, WHAT)
        return self.result

    def _send(self, r: _Round) -> Send:
        groups = list(r.groups) or None

        async def send(offer: tuple[int, ...]) -> Flight | None:
            return await self.ctx.tls13(offer, WHAT, groups=groups)

        return send


async def enumerate_tls13(
    ctx: Context, first: Flight | None, first_offer: Sequence[int]
) -> VersionResult:
    """Every TLS 1.3 suite, the order when the picks decide it, and groups on the way."""
    return await Tls13(ctx).run(first, first_offer)
