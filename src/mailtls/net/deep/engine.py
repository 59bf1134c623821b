"""The deep scan of one endpoint: which probes run, in which order, on how many connections.

1. One TLS 1.3 hello offering every version and every suite: the answer names the top
   version (and is the first round of that version's enumeration).
2. At once, within the per-address limit: TLS 1.3 suites, order and groups in the same
   connections (tls13.py); TLS 1.2 suites; TLS 1.1 and below by descent (a hello capped at
   TLS 1.1 is answered with the best of 1.1, 1.0 and SSLv3, and that answer is the first
   round of its enumeration); SSLv2 (on SMTP with MAIL FROM before STARTTLS); then a full
   TLS 1.2 handshake (pyOpenSSL) that carries the STARTTLS injection probe, offers the
   accepted suites reversed (the order test), staples, renegotiates, and gives the session
   that one more connection tries to resume (by id, by ticket) when the server offered it.
3. What is still open: preference orders the picks did not decide, groups, the fallback
   SCSV, the Heartbleed / CCS probes if no connection carried them, TLS 1.3-only chains.

Each probe is isolated (``Scan._isolated``): whatever it raises leaves its own results
unknown (None), with a ProbeFailure in ``outcomes`` and a note; the others stand.

Silent closes, resets and timeouts are never a "no" at first sight (context.settle): one
second look, without the DHE suites a server may choke on. Every connection also feeds the
collectors (context.py): certificates, DH sizes, curves, compression, renegotiation_info,
extended master secret, heartbeat, stapling. ``connections`` counts every connection the
server saw, the caller's plain probe included (``already``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from OpenSSL import SSL

from ...model import PROTOCOLS, DeepObservation, Target
from ...proto.injection import Verdict
from ...proto.tls import AlertDescription, CipherSuite, ProtocolVersion, SSLv2ServerHello
from ...proto.tls.robot import RobotResult
from .context import LEGACY, TLS12_SUITES, TLS13_SUITES, Context, Settled, ambiguous
from .flight import Flight, hello_hook
from .full import (
    ECDSA_SIGALGS,
    PROTO,
    RSA_SIGALGS,
    FullResult,
    full_handshake,
    make_context,
)
from .groups import TLS12_GROUPS, merge
from .mail import injection, injection_applies, mail_dialogue
from .robot import robot_check, robot_fields
from .runner import Budget, Limiter, Runner
from .suites import VersionResult, decide_order, enumerate_suites, infer_order, order_flight
from .tls13 import enumerate_tls13

V = ProtocolVersion
TOP_VERSIONS = (V.TLSv1_3, V.TLSv1_2, V.TLSv1_1, V.TLSv1_0)
ALL = (V.SSLv2, V.SSLv3, V.TLSv1_0, V.TLSv1_1, V.TLSv1_2, V.TLSv1_3)
LABEL = dict(zip(ALL, PROTOCOLS, strict=True))
FULL = "full handshake"
#: the probes' names in outcomes and notes (Scan methods run under _isolated)
PROBES = {
    "_tls13": "TLS 1.3", "_tls12": "TLS 1.2", "_legacy": "TLS 1.1 and below",
    "_sslv2": "SSLv2", "_full": FULL, "_full_at": FULL, "_orders": "preference order",
    "_fallback": "fallback SCSV", "_leftover_probes": "Heartbleed and CCS",
    "_injection": "STARTTLS injection", "_robot": "ROBOT", "_groups": "groups",
    "_tls13_chains": "TLS 1.3 certificates",
}  # fmt: skip
Job = Coroutine[Any, Any, None]


class Scan:
    """State of one deep scan; ``run()`` returns the DeepObservation."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.results: dict[V, VersionResult] = {}
        self.sslv2: bool | None = None
        self.mail_code: int | None = None
        self.injection: tuple[str | None, tuple[str, ...]] = (None, ())
        self.full: FullResult | None = None
        self.resumption: dict[str, bool | None] = {"ids": None, "tickets": None}
        self.fallback: bool | None = None
        self.client_reneg: bool | None = None
        self.failed: set[str] = set()  # probes that raised (see _isolated)
        self.robot: RobotResult | None = None

    # --- phase 1 and 2 ---------------------------------------------------------------

    async def run(self) -> DeepObservation:
        first_offer = TLS13_SUITES + TLS12_SUITES
        p1 = await self._top(first_offer)
        top = p1.version if p1 is not None and p1.answered else None
        t12 = asyncio.create_task(self._isolated(self._tls12(p1, top, first_offer)))
        jobs = [self._tls13(p1, top, first_offer), self._legacy(p1, top, first_offer)]
        await asyncio.gather(t12, self._gather(*jobs, self._sslv2(), self._full(t12)))
        await self._finish()
        return self.observation()

    async def _isolated(self, job: Job, what: str | None = None) -> None:
        """The boundary of one probe: whatever it raises leaves its own results unknown
        (None), with an outcome and a note; the other probes stand (design.md)."""
        name = str(getattr(job, "__name__", "probe"))
        what = what or PROBES.get(name, name.strip("_"))
        try:
            await job
        except Exception as exc:  # a probe's failure is data, never the scan's end
            self.failed.add(what)
            self.ctx.runner.crashed(what, exc)

    async def _gather(self, *jobs: Job) -> None:
        await asyncio.gather(*(self._isolated(job) for job in jobs))

    async def _top(self, offer: Sequence[int]) -> Flight | None:
        """The first hello: every version, every suite (None when it failed)."""
        groups = self.ctx.tls13_groups.proposal()
        groups += [g for g in self.ctx.tls12_groups.proposal() if g not in groups]
        found: list[Flight | None] = [None]

        async def probe() -> None:
            found[0] = await self.ctx.tls13(offer, "top version", groups=groups,
                                            versions=TOP_VERSIONS)  # fmt: skip

        await self._isolated(probe(), "top version")
        return found[0]

    async def _tls13(self, p1: Flight | None, top: V | None, offer: Sequence[int]) -> None:
        if top == V.TLSv1_3 and p1 is not None:
            self.results[V.TLSv1_3] = await enumerate_tls13(self.ctx, p1, offer)
        elif p1 is not None and (p1.answered or p1.refused):
            self.results[V.TLSv1_3] = VersionResult(V.TLSv1_3, supported=False, complete=True)
        else:
            self.results[V.TLSv1_3] = VersionResult(V.TLSv1_3)

    async def _tls12(self, p1: Flight | None, top: V | None, offer: Sequence[int]) -> None:
        v = V.TLSv1_2
        if top == v and p1 is not None:
            self.results[v] = await enumerate_suites(self.ctx, v, p1, offer)
            return
        if top is not None and top < v:
            self.results[v] = VersionResult(v, supported=False, complete=True)
            return
        flight = await self.ctx.legacy(v, TLS12_SUITES, "TLS 1.2")
        if flight is not None and (flight.version == v or ambiguous(flight)):
            self.results[v] = await enumerate_suites(self.ctx, v, flight, TLS12_SUITES)
        elif flight is not None and (flight.answered or flight.refused):
            self.results[v] = VersionResult(v, supported=False, complete=True)
        else:
            self.results[v] = VersionResult(v)

    async def _legacy(self, p1: Flight | None, top: V | None, offer: Sequence[int]) -> None:
        first: Flight | None = None
        start = V.TLSv1_1
        if top is not None and top <= V.TLSv1_1 and p1 is not None:
            start, first = top, p1
        await self._descend(start, first, offer if first is not None else TLS12_SUITES)

    async def _descend(self, v: V, flight: Flight | None, offer: Sequence[int]) -> None:
        """TLS 1.1 and below: a hello capped at ``v`` is answered with the best version
        the server has at or below ``v``; that version is then enumerated."""
        order = LEGACY[LEGACY.index(v) :]
        held: tuple[int, ...] = ()
        closed_twice = False
        while order:
            v = order[0]
            if v == V.SSLv3 and closed_twice and flight is None:
                # two silent closes of hellos capped at a TLS version already said "no
                # SSLv3" for a server that reads extensions; this extension-less hello
                # covers the ones that do not, and one silent close answers it
                offer = TLS12_SUITES
                flight = await self.ctx.legacy(v, offer, f"{v.label} and below")
            if flight is None or (ambiguous(flight) and (flight.error or not closed_twice)):
                settled = await self._settle_descent(v, flight, offer)
                flight, offer, held = settled.flight, settled.offer, settled.held
                closed_twice = settled.closed_twice
            w = flight.version if flight is not None else None
            if flight is None or flight.error:
                for x in order:
                    self.results.setdefault(x, VersionResult(x))
                return
            if w is not None and w in order:
                for x in order[: order.index(w)]:
                    self.results[x] = VersionResult(x, supported=False, complete=True)
                self.results[w] = await enumerate_suites(self.ctx, w, flight, offer, held)
                order, flight = order[order.index(w) + 1 :], None
                continue
            order = self._refused_below(order, flight)
            flight = None

    async def _settle_descent(self, v: V, first: Flight | None, offer: Sequence[int]) -> Settled:
        what = f"{v.label} and below"
        if first is None:
            offer = TLS12_SUITES

        async def send(suites: tuple[int, ...]) -> Flight | None:
            return await self.ctx.legacy(v, suites, what)

        return await self.ctx.settle(send, offer, what, first=first)

    def _refused_below(self, order: tuple[V, ...], flight: Flight) -> tuple[V, ...]:
        """A refusal at ``order[0]``: a protocol_version alert rules out everything below
        (the server parsed the hello and has no lower version); any other refusal rules
        out the TLS versions, and SSLv3 gets its own hello without extensions."""
        alert = flight.alert
        said_version = alert is not None and alert.description == AlertDescription.PROTOCOL_VERSION
        for x in order:
            if x != V.SSLv3 or said_version or order[0] == V.SSLv3:
                self.results[x] = VersionResult(x, supported=False, complete=True)
        if said_version or order[0] == V.SSLv3 or V.SSLv3 not in order:
            return ()
        return (V.SSLv3,)

    async def _sslv2(self) -> None:
        dialogue = mail_dialogue(self.ctx.runner)
        hook = hello_hook(
            self.ctx.sslv2_hello(), read_timeout=self.ctx.runner.budget.read_timeout,
            expect_sslv2=True,
        )  # fmt: skip
        result, d = await self.ctx.runner.session(hook, what="SSLv2", dialogue=dialogue)
        code = getattr(d, "mail_code", None)
        self.mail_code = code if isinstance(code, int) else None
        if isinstance(result, Flight) and ambiguous(result):  # a second look
            result, _ = await self.ctx.runner.session(hook, what="SSLv2 again")
        if not isinstance(result, Flight):
            return
        hello = result.sslv2
        if isinstance(hello, SSLv2ServerHello):
            self.sslv2 = bool(hello.cipher_specs)
            self.results[V.SSLv2] = VersionResult(V.SSLv2, True, list(hello.cipher_specs))
            self.ctx.collected.add_chain((hello.certificate,) if hello.certificate else ())
        elif result.error is None:
            self.sslv2 = False
        else:
            self.ctx.runner.note(f"SSLv2: {result.error}")

    async def _injection(self) -> None:
        """STARTTLS injection on a connection of its own: only when no full handshake
        carried it (see _full_at)."""
        if self.injection == (None, ()):
            self.injection = await injection(self.ctx.runner)

    # --- full handshakes ---------------------------------------------------------------

    async def _full(self, t12: asyncio.Task[None]) -> None:
        await t12  # isolated: never raises
        r12 = self.results.get(V.TLSv1_2)
        if r12 is None or not r12.supported:
            return  # decided in _finish, once the older versions are known
        await self._full_at(V.TLSv1_2, r12)

    async def _full_at(self, version: V, result: VersionResult | None) -> None:
        names = [s.openssl for s in reversed(result.accepted) if s.openssl] if result else []
        ctx = make_context(version, ":".join(names) if len(names) >= 2 else None)
        offered = [n for n in SSL.Connection(ctx, None).get_cipher_list() if n in names]
        full = await self._first_full(ctx, version)
        self.full = full
        if full is None or full.error:
            if full is not None:
                self.ctx.runner.note(f"{version.label} full handshake: {full.error}")
            return
        self.ctx.collected.add_chain(full.chain)
        if full.ocsp:
            self.ctx.collected.stapling = True
        self.client_reneg = full.renegotiation
        if result is not None and len(offered) >= 2 and full.cipher is not None:
            # offered is the accepted list reversed: the client's pick is its first
            # element, the server's favourite its last
            pick = full.cipher.openssl
            if pick == offered[-1]:
                result.server_order = True
            elif pick == offered[0]:
                result.server_order = False
        await self._resume(ctx, version, full)

    async def _first_full(self, ctx: SSL.Context, version: V) -> FullResult | None:
        """The first full handshake also carries the STARTTLS injection probe. A server
        that feeds the pipelined command to TLS (Dovecot) breaks that handshake: a second
        one without it then shows that the pipelined bytes never ran as a command."""
        what = f"{version.label} full handshake"

        async def attempt(injection: bool) -> FullResult | None:
            return await full_handshake(
                self.ctx.runner, ctx, version, self.ctx.server_name,
                renegotiate="unless-resumable", tickets=True, injection=injection, what=what,
            )  # fmt: skip

        probing = self.injection == (None, ()) and injection_applies(self.ctx.runner)
        full = await attempt(probing)
        if not probing:
            return full
        if full is not None and full.injection is not None:
            self.injection = (full.injection.value, full.injection_evidence)
            return full
        failure = full.error if full is not None else "no TLS stage"
        full = await attempt(False)
        if full is not None and not full.error:
            why = f"the handshake failed on the pipelined bytes ({failure})"
            self.injection = (Verdict.NOT_VULNERABLE.value, (why,))
        else:
            self.injection = (Verdict.INCONCLUSIVE.value, ())
            self.ctx.runner.note(f"STARTTLS injection: no handshake ({failure})")
        return full

    async def _resume(self, ctx: SSL.Context, version: V, full: FullResult) -> None:
        """Resume the full handshake's session by id and by ticket (same context); the
        last of them also tries client-initiated renegotiation."""
        kinds = [k for k, on in (("ids", full.session_id and version != V.TLSv1_3),
                                 ("tickets", full.ticket)) if on]  # fmt: skip
        for kind in ("ids", "tickets"):
            if kind not in kinds:
                self.resumption[kind] = False if version != V.TLSv1_3 or kind == "tickets" else None
        jobs = [
            full_handshake(
                self.ctx.runner,
                ctx,
                version,
                self.ctx.server_name,
                session=full.session,
                no_ticket=kind == "ids",
                what=f"resumption by {kind}",
                renegotiate="always" if kind == kinds[-1] else "never",
            )
            for kind in kinds
        ]
        for kind, res in zip(kinds, await asyncio.gather(*jobs), strict=True):
            self.resumption[kind] = None if res is None or res.error else res.resumed
            if res is not None and res.renegotiation is not None:
                self.client_reneg = res.renegotiation

    # --- phase 3 ---------------------------------------------------------------------

    def supported(self) -> list[V]:
        return [v for v, r in self.results.items() if r.supported and v != V.SSLv2]

    async def _finish(self) -> None:
        best = self._best_legacy()
        retry = self.full is None and FULL not in self.failed
        if retry and best in PROTO:
            await self._isolated(self._full_at(best, self.results[best]))
        elif retry and self._has(V.TLSv1_3):
            await self._isolated(self._full_at(V.TLSv1_3, None))
        jobs = [self._orders(), self._fallback(), self._leftover_probes(), self._injection()]
        jobs.append(self._robot())
        await self._gather(*jobs)
        await self._gather(self._groups())
        await self._gather(self._tls13_chains())

    def _has(self, v: V) -> bool:
        r = self.results.get(v)
        return bool(r and r.supported)

    def _best_legacy(self) -> V | None:
        return next((v for v in LEGACY if self._has(v)), None)

    async def _orders(self) -> None:
        reference: VersionResult | None = None
        for v in LEGACY:
            r = self.results.get(v)
            if r is None or not r.supported:
                continue
            if reference is None:
                if r.server_order is None and not infer_order(r, None):
                    await order_flight(self.ctx, r)
                reference = r
            elif not infer_order(r, reference):
                await order_flight(self.ctx, r)
        r13 = self.results.get(V.TLSv1_3)
        decided = r13 is not None and r13.server_order is not None
        if r13 is not None and r13.supported and not decided and not infer_order(r13, None):
            await self._tls13_order(r13)

    async def _tls13_order(self, r13: VersionResult) -> None:
        """The reversed list decides TLS 1.3's order; the same connection asks for a group."""
        tracker = self.ctx.tls13_groups
        groups = tracker.proposal(safe=False) or tracker.proposal(safe=True)
        flight = await self.ctx.tls13(tuple(reversed(r13.codes)), "TLS 1.3 order", groups=groups)
        decide_order(r13, flight.chosen if flight is not None else None)
        if flight is not None and flight.refused and groups != tracker.proposal(safe=True):
            tracker.refused(groups)

    async def _robot(self) -> None:
        self.robot = await robot_check(self.ctx, self.results)  # net/deep/robot.py

    async def _fallback(self) -> None:
        versions = [v for v in (V.TLSv1_3, *LEGACY) if self._has(v)]
        if len(versions) < 2:
            return
        lower = versions[1]
        if lower == V.SSLv3:
            return
        flight = await self.ctx.legacy(lower, TLS12_SUITES, "fallback SCSV", fallback_scsv=True)
        if flight is None or flight.error:
            return
        alert = flight.alert
        if alert is not None and alert.description == AlertDescription.INAPPROPRIATE_FALLBACK:
            self.fallback = True
        elif flight.answered:
            self.fallback = False

    async def _leftover_probes(self) -> None:
        best = self._best_legacy()
        pending = self.ctx.collected.after_pending
        if best is None or best == V.SSLv3:
            return
        suites = self.results[best].codes or TLS12_SUITES
        while pending:
            before = len(pending)
            flight = await self.ctx.legacy(best, suites, f"{pending[0]} probe")
            if flight is None or len(pending) >= before:
                return

    async def _groups(self) -> None:
        r13 = self.results.get(V.TLSv1_3)
        if r13 is not None and r13.accepted:
            await self._group_loop(r13, tls13=True)
        ecdhe = [s.code for s in self._accepted_ecdhe()]
        if ecdhe:
            await self._group_loop(None, tls13=False, suites=ecdhe)

    def _accepted_ecdhe(self) -> list[CipherSuite]:
        best = self._best_legacy()
        if best is None:
            return []
        return [s for s in self.results[best].accepted if s.kex == "ECDHE"]

    async def _group_loop(
        self, r13: VersionResult | None, *, tls13: bool, suites: Sequence[int] = ()
    ) -> None:
        tracker = self.ctx.tls13_groups if tls13 else self.ctx.tls12_groups
        best = self._best_legacy()
        for _ in range(len(tracker.candidates) + 2):
            if tracker.resolved:
                return
            groups = tracker.proposal(safe=False)
            if not groups:
                return
            if tls13 and r13 is not None:
                codes = r13.codes
                flight = await self.ctx.tls13(codes, "TLS 1.3 groups", groups=groups)
                if flight is not None and ambiguous(flight):
                    flight = await self.ctx.tls13(codes, "TLS 1.3 groups again", groups=groups)
            elif best is not None:
                flight = await self.ctx.legacy(best, suites, "curves", groups=groups)
                if flight is not None and ambiguous(flight):
                    flight = await self.ctx.legacy(best, suites, "curves again", groups=groups)
            else:
                return
            if flight is None or flight.error:
                return
            if flight.refused:
                tracker.refused(groups)
            elif not flight.answered:
                return

    async def _tls13_chains(self) -> None:
        """A TLS 1.3-only server hides its certificates from raw probes: the full
        handshake brought one chain; ask for the other key type (ECDSA or RSA) with
        signature_algorithms that rule the first one out."""
        if not self._has(V.TLSv1_3) or self._best_legacy() is not None:
            return
        have = {_key_kind(chain[0]) for chain in self.ctx.collected.chains if chain}
        for kind, sigalgs in (("ec", ECDSA_SIGALGS), ("rsa", RSA_SIGALGS)):
            if kind in have:
                continue
            ctx = make_context(V.TLSv1_3, sigalgs=sigalgs)
            full = await full_handshake(self.ctx.runner, ctx, V.TLSv1_3, self.ctx.server_name,
                                        what="TLS 1.3 certificate")  # fmt: skip
            if full is not None and not full.error:
                self.ctx.collected.add_chain(full.chain)

    # --- the observation ---------------------------------------------------------------

    def observation(self) -> DeepObservation:
        c, runner = self.ctx.collected, self.ctx.runner
        protocols = {LABEL[v]: self.results[v].supported if v in self.results else None
                     for v in LABEL}  # fmt: skip
        protocols["SSLv2"] = self.sslv2
        found = [(LABEL[v], self.results[v]) for v in LABEL if v in self.results]
        suites = {p: r.codes for p, r in found if r.accepted}
        order = {p: r.server_order for p, r in found if r.accepted}
        groups, group_order = merge(self.ctx.tls13_groups, self.ctx.tls12_groups)
        dh = min(c.dh, default=None)
        legacy_tls = any(self._has(v) for v in (V.TLSv1_2, V.TLSv1_1, V.TLSv1_0))
        incomplete = runner.incomplete or any(
            r.supported is None or (r.supported and not r.complete) for r in self.results.values()
        )
        return DeepObservation(
            protocols=protocols,
            cipher_suites=suites,
            server_order=order,
            groups=tuple(groups),
            group_server_order=group_order,
            dh_bits=dh[0] if dh else None,
            dh_group=dh[1] if dh else None,
            certificates=tuple(c.chains),
            ocsp_stapling=c.stapling,
            session_ids=self.resumption["ids"],
            session_tickets=self.resumption["tickets"],
            compression=c.compression,
            secure_renegotiation=all(c.reneg_info) if c.reneg_info else None,
            client_renegotiation=self.client_reneg,
            fallback_scsv=self.fallback,
            extended_master_secret=(all(c.ems) if c.ems else None) if legacy_tls else None,
            heartbeat=c.heartbeat,
            heartbleed=c.heartbleed if legacy_tls else None,
            ccs_injection=c.ccs if legacy_tls else None,
            **robot_fields(self.robot, runner.trail),
            starttls_injection=self.injection[0],
            starttls_injection_evidence=self.injection[1],
            mail_without_tls=self.mail_code,
            starttls_seen=tuple(runner.starttls_seen),
            connections=runner.connections,
            incomplete=incomplete,
            notes=tuple(runner.notes),
            outcomes=tuple(runner.outcomes),
        )


def _key_kind(der: bytes) -> str | None:
    """"ec" or "rsa" for a certificate's key (None when unreadable or another kind)."""
    try:
        key = x509.load_der_x509_certificate(der).public_key()
    except ValueError:
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec"
    return "rsa" if isinstance(key, rsa.RSAPublicKey) else None


async def deep_probe(
    target: Target,
    *,
    budget: Budget | None = None,
    limiter: Limiter | None = None,
    ehlo: str = "mailtls.invalid",
    already: int = 0,
) -> DeepObservation:
    """Everything ``scan --deep`` learns about one endpoint (see the module docstring).

    ``already``: connections the caller opened to this endpoint for the same scan (the
    plain probe's one): ``connections`` counts them too, so that it equals what the server
    sees."""
    runner = Runner(target, budget or Budget(), limiter, ehlo, connections=already)
    return await Scan(Context(runner)).run()


__all__ = ["TLS12_GROUPS", "deep_probe"]
