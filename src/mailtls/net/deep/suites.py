"""Cipher suites per protocol version: "offer all, remove the chosen one, repeat".

For one version, each connection offers the suites not chosen yet (in a fixed order); the
server picks one, which is accepted and removed; a refusal ends the list. That costs one
connection per accepted suite plus one, whatever the size of the registry.

Preference order. A server that lets the client decide picks the first accepted suite of
our list, so its picks follow our list; a server with its own order picks its favourite,
and then the removal order *is* its order. ``follows_offer()`` checks the picks against our
list: a pick that does not follow it proves server order. Picks that follow it prove
nothing by themselves (a server could prefer exactly our order), so one more connection
offering the accepted suites reversed decides (``order_flight``): the same first pick means
server order, the other end of the list means the client decides. For the older versions
of a server whose order is known from its best version, the picks are checked against that
order instead, and the extra connection is only made when both explanations fit.

TLS 1.3 runs the same loop with HelloRetryRequests (empty key_share), which name the suite
without any key exchange.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ...proto.tls import CipherSuite, ProtocolVersion, cipher_suite
from .context import TLS12_SUITES, TLS13_SUITES, Context
from .flight import Flight

V = ProtocolVersion


@dataclass
class VersionResult:
    """What one protocol version gave: None for "could not tell"."""

    version: V
    supported: bool | None = None
    accepted: list[CipherSuite] = field(default_factory=list)  # in the order picked
    offers: list[tuple[int, ...]] = field(default_factory=list)  # what each pick chose from
    complete: bool = False  # the list ended with a refusal, not an unknown
    server_order: bool | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(s.code for s in self.accepted)

    def follows_offer(self) -> bool:
        """Every pick was the first accepted suite of what that connection offered."""
        accepted = set(self.codes)
        for offer, pick in zip(self.offers, self.codes, strict=False):
            if next((c for c in offer if c in accepted), None) != pick:
                return False
        return True

    def follows(self, order: Sequence[int]) -> bool:
        """The picks came in ``order`` (restricted to what this version accepted)."""
        mine = set(self.codes)
        return [c for c in order if c in mine] == list(self.codes)


def _pick(flight: Flight, version: V) -> CipherSuite | None:
    if flight.version != version:
        return None
    return flight.chosen


async def _probe(ctx: Context, version: V, offer: Sequence[int], what: str) -> Flight | None:
    if version == V.TLSv1_3:
        return await ctx.tls13(offer, what)
    return await ctx.legacy(version, offer, what)


async def enumerate_suites(
    ctx: Context, version: V, first: Flight | None = None, first_offer: Sequence[int] = ()
) -> VersionResult:
    """Every suite ``version`` accepts; ``first`` is a flight of this version already
    obtained with ``first_offer`` (it counts as the first round)."""
    result = VersionResult(version, supported=True if first is not None else None)
    remaining = list(TLS13_SUITES if version == V.TLSv1_3 else TLS12_SUITES)
    flight, offer = first, tuple(first_offer) or tuple(remaining)
    while remaining:
        if flight is None:
            offer = tuple(remaining)
            flight = await _probe(ctx, version, offer, f"{version.label} suites")
        if flight is None or flight.error:
            return result  # unknown from here on: not complete
        chosen = _pick(flight, version)
        if chosen is None and flight.closed and flight.alert is None and result.accepted:
            ctx.runner.note(f"{version.label}: the server closed the connection instead of "
                            "refusing the remaining suites")  # fmt: skip
        if chosen is None:
            result.complete = flight.refused or flight.answered
            if flight.answered and flight.version != version and not result.accepted:
                result.supported = False
            elif not result.accepted:
                result.supported = False if flight.refused else None
            return result
        if chosen.code not in remaining:
            ctx.runner.note(f"{version.label}: the server chose {chosen.name}, not offered")
            return result
        result.supported = True
        result.accepted.append(chosen)
        result.offers.append(tuple(c for c in offer if c in remaining))
        remaining.remove(chosen.code)
        flight = None
    result.complete = True
    return result


async def order_flight(ctx: Context, result: VersionResult) -> None:
    """One connection offering the accepted suites reversed decides the order."""
    if len(result.accepted) < 2:
        return
    reverse = tuple(reversed(result.codes))
    what = f"{result.version.label} order"
    if result.version == V.TLSv1_3:
        flight = await ctx.tls13(reverse, what, groups=ctx.tls13_groups.proposal(safe=True))
    else:
        flight = await ctx.legacy(result.version, reverse, what)
    decide_order(result, flight.chosen if flight is not None else None)


def decide_order(result: VersionResult, pick: CipherSuite | None) -> None:
    """Given the pick from the reversed list: first accepted -> server order."""
    if pick is None:
        return
    if pick.code == result.codes[0]:
        result.server_order = True
    elif pick.code == result.codes[-1]:
        result.server_order = False


def infer_order(result: VersionResult, reference: VersionResult | None) -> bool:
    """Decide the order without a connection where the picks allow it; True if decided.

    Picks that do not follow our list prove server order. Otherwise the server's best
    version (``reference``) speaks for the whole server: client order there means client
    order here; server order there, with picks here that do not follow it, means the
    client decides here. Anything else needs order_flight()."""
    if len(result.accepted) < 2:
        return True
    if not result.follows_offer():
        result.server_order = True
        return True
    if reference is None or reference.server_order is None:
        return False
    if reference.server_order is False or not result.follows(reference.codes):
        result.server_order = False
        return True
    return False


def suite(code: int) -> CipherSuite:
    return cipher_suite(code)
