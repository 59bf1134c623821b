"""Cipher suites per protocol version: "offer all, remove the chosen one, repeat".

For one version, each connection offers the suites not chosen yet (in a fixed order); the
server picks one, which is accepted and removed; a refusal ends the list. That costs one
connection per accepted suite plus one, whatever the size of the registry. A silent close,
a reset or a timeout is not a refusal at first sight (Context.settle): it gets a second
look without the DHE suites (a server without DH parameters closes when it picks one), and
those are then offered on their own, so that nothing hides behind a suite it cannot serve.

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
from .context import TLS12_SUITES, TLS13_SUITES, Context, Send, Settled, ambiguous
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


def _sender(ctx: Context, version: V, what: str) -> Send:
    async def send(offer: tuple[int, ...]) -> Flight | None:
        if version == V.TLSv1_3:
            return await ctx.tls13(offer, what)
        return await ctx.legacy(version, offer, what)

    return send


@dataclass
class _Enumeration:
    """One version's loop (see enumerate_suites)."""

    ctx: Context
    result: VersionResult
    remaining: list[int]
    held: set[int] = field(default_factory=set)  # left out until the rest is done
    held_closed_twice: bool = False

    @property
    def version(self) -> V:
        return self.result.version

    def accept(self, chosen: CipherSuite, offer: tuple[int, ...]) -> bool:
        if chosen.code not in self.remaining:
            self.ctx.runner.note(f"{self.version.label}: the server chose {chosen.name}, "
                                 "not offered")  # fmt: skip
            return False
        self.result.supported = True
        self.result.accepted.append(chosen)
        self.result.offers.append(tuple(c for c in offer if c in self.remaining))
        self.remaining.remove(chosen.code)
        return True

    def end(self, flight: Flight) -> None:
        """No pick: a refusal (alert, or a silent close seen twice) or another version."""
        r = self.result
        if flight.answered and flight.version != self.version and not r.accepted:
            r.supported = False
        elif not r.accepted:
            r.supported = False if flight.refused else None
        r.complete = flight.refused or flight.answered

    async def round(self, settled: Settled) -> bool:
        """Digest one settled answer; True to go on."""
        flight = settled.flight
        if settled.unknown or flight is None:
            return False  # unknown from here on: not complete
        if settled.held:
            self.held.update(c for c in settled.held if c in self.remaining)
        chosen = _pick(flight, self.version)
        if chosen is not None:
            return self.accept(chosen, settled.offer)
        if settled.held and settled.closed_twice:
            self.held_closed_twice = True  # closed with and without them: see finish()
        if flight.closed and flight.alert is None and self.result.accepted:
            self.ctx.runner.note(f"{self.version.label}: the server closed the connection "
                                 "instead of refusing the remaining suites")  # fmt: skip
        self.end(flight)
        return False

    async def finish(self, send: Send, what: str) -> bool:
        """The held suites (a class the server closed on) get offers of their own; True
        when one of them was accepted (the loop then goes on with them back in)."""
        offer = tuple(c for c in self.remaining if c in self.held)
        if not offer:
            return False
        if self.held_closed_twice:  # closed with them and without them: one look confirms
            flight = await send(offer)
            settled = Settled(flight, offer)
        else:
            settled = await self.ctx.settle(send, offer, what)
        flight = settled.flight
        if settled.unknown or flight is None:
            self.result.complete = False
            return False
        chosen = _pick(flight, self.version)
        if chosen is None:
            if flight.closed and flight.alert is None:
                names = ", ".join(cipher_suite(c).name for c in offer[:2])
                self.ctx.runner.note(f"{self.version.label}: the server closed the connection, "
                                     f"twice, when offered only {len(offer)} DHE suites "
                                     f"({names}, ...): none is accepted (no DH parameters?)"
                                     )  # fmt: skip
            return False
        self.held.clear()
        self.result.complete = False
        return self.accept(chosen, settled.offer)


async def enumerate_suites(
    ctx: Context,
    version: V,
    first: Flight | None = None,
    first_offer: Sequence[int] = (),
    held: Sequence[int] = (),
) -> VersionResult:
    """Every suite ``version`` accepts; ``first`` is a flight of this version already
    obtained with ``first_offer`` (it counts as the first round).

    An ambiguous answer (silent close, reset, timeout) gets a second look without the
    suites a server may choke on (Context.settle); those are then offered on their own at
    the end, so a suite the server cannot serve hides nothing behind it. ``held``: suites
    a second look already left out (Settled.held)."""
    picked = first is not None and _pick(first, version) is not None
    result = VersionResult(version, supported=True if picked else None)
    run = _Enumeration(ctx, result, list(TLS13_SUITES if version == V.TLSv1_3 else TLS12_SUITES))
    run.held.update(held)
    what = f"{version.label} suites"
    send = _sender(ctx, version, what)
    offer = tuple(first_offer) or tuple(run.remaining)
    settled: Settled | None = Settled(first, offer)
    if first is not None and ambiguous(first):  # a first flight that says nothing
        settled = await ctx.settle(send, offer, what, first=first)
    for _ in range(2):  # the plain loop; again once if a held class answered
        while run.remaining:
            if settled is None:
                offer = tuple(c for c in run.remaining if c not in run.held)
                if not offer:
                    break
                settled = await ctx.settle(send, offer, what)
            going = await run.round(settled)
            settled = None
            if not going:
                break
        if not run.remaining or not any(c not in run.held for c in run.remaining):
            result.complete = True
        if not result.complete or not run.held or not await run.finish(send, what):
            return result
    result.complete = False  # pragma: no cover - a held class answered twice
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
