"""What the deep probes share: the runner, the hello builders, and what every flight taught.

``Context.hello()`` builds one ClientHello (our own bytes), runs it on a fresh connection
and feeds the answer to the collectors: certificates, DH sizes, curves, compression, the
renegotiation_info / extended_master_secret / heartbeat / status_request answers. So any
connection, whatever it was opened for, adds to the whole picture.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ...proto import Dialogue
from ...proto.tls import (
    CipherSuite,
    CompressionMethod,
    ProtocolVersion,
    ServerHello,
    SSLv2Error,
    build_client_hello,
    build_sslv2_client_hello,
    cipher_suite,
    sslv2_ciphers,
    suites_for,
)
from ...proto.tls.hello import is_ip_literal
from .flight import Flight, hello_hook
from .groups import TLS12_GROUPS, TLS13_GROUPS, GroupTracker
from .runner import Runner

V = ProtocolVersion
LEGACY = (V.TLSv1_2, V.TLSv1_1, V.TLSv1_0, V.SSLv3)
_KEX_RANK = {"ECDHE": 0, "DHE": 1, "RSA": 2}


def client_rank(suite: CipherSuite) -> tuple[int, int, int, int]:
    """The order a modern client lists suites in: forward secrecy and AEAD first, then
    by key size; anonymous, NULL and export last. A server that lets the client decide then
    picks working suites before suites it may choke on (Dovecot without DH parameters
    closes the connection when it picks a DHE suite, instead of refusing it)."""
    weak = suite.anonymous or suite.null or suite.export
    return (int(weak), _KEX_RANK.get(suite.kex, 3), int(not suite.aead), -suite.bits)


#: every suite worth offering up to TLS 1.2 (a server that picks a TLS 1.2-only suite in
#: TLS 1.0 is worth seeing), and TLS 1.3's, in client_rank() order
TLS12_SUITES: tuple[int, ...] = tuple(
    s.code for s in sorted(suites_for(V.TLSv1_2), key=client_rank)
)
TLS13_SUITES: tuple[int, ...] = tuple(s.code for s in suites_for(V.TLSv1_3))


def ambiguous(f: Flight) -> bool:
    """No hello and no alert: a silent close, a reset, a timeout, garbage. Some servers
    refuse that way (Dovecot closes instead of alerting, and also when it picks a DHE suite
    it has no parameters for), others fail that way for a moment: never a "no" without a
    second look (``Context.settle``)."""
    return not f.answered and f.alert is None and f.first(SSLv2Error) is None


def chokes(code: int) -> bool:
    """Suites a server may pick and then fail to serve (DHE without DH parameters)."""
    return cipher_suite(code).kex == "DHE"


Send = Callable[[tuple[int, ...]], Awaitable[Flight | None]]


@dataclass
class Settled:
    """The answer to an offer after at most one second look (see ``Context.settle``)."""

    flight: Flight | None  # None: TLS never reached; .error: still unreadable (unknown)
    offer: tuple[int, ...]  # what the flight answered
    held: tuple[int, ...] = ()  # suites left out of the second look (``chokes``)
    closed_twice: bool = False  # both looks ended in a silent close

    @property
    def unknown(self) -> bool:
        return self.flight is None or self.flight.error is not None


@dataclass
class Collected:
    """Facts gathered from every flight, whichever probe it belonged to."""

    chains: list[tuple[bytes, ...]] = field(default_factory=list)
    dh: list[tuple[int, str | None]] = field(default_factory=list)
    compression: bool | None = None
    reneg_info: list[bool] = field(default_factory=list)  # per TLS <= 1.2 ServerHello
    ems: list[bool] = field(default_factory=list)
    heartbeat: bool | None = None
    stapling: bool | None = None
    heartbleed: str | None = None
    ccs: str | None = None
    after_pending: list[str] = field(default_factory=lambda: ["heartbleed", "ccs"])

    def add_chain(self, chain: tuple[bytes, ...]) -> None:
        if chain and all(c[0] != chain[0] for c in self.chains):
            self.chains.append(chain)

    def hello(self, hello: ServerHello) -> None:
        if hello.version == V.TLSv1_3:
            return
        if hello.version >= V.TLSv1_0:
            self.reneg_info.append(hello.secure_renegotiation)
            self.ems.append(hello.extended_master_secret)
        self.compression = bool(self.compression) or hello.compression != CompressionMethod.NULL
        self.heartbeat = bool(self.heartbeat) or hello.heartbeat is not None
        self.stapling = bool(self.stapling) or hello.status_request

    def flight(self, f: Flight) -> None:
        if f.hello is not None:
            self.hello(f.hello)
        self.add_chain(f.certificates)
        if f.stapled:
            self.stapling = True
        ske = f.ske
        if ske is not None and ske.kind == "DHE" and ske.dh_bits:
            self.dh.append((ske.dh_bits, ske.dh_group))
        if f.after_kind and f.after is not None:
            verdict = f.after.verdict.value.replace("_", " ")
            if f.after_kind == "heartbleed":
                self.heartbleed = verdict
            else:
                self.ccs = verdict

    def pick_after(self, hello: ServerHello) -> str | None:
        """The next after-flight probe still to run (each once)."""
        if hello.version == V.TLSv1_3 or not self.after_pending:
            return None
        return self.after_pending.pop(0)


@dataclass
class Context:
    runner: Runner
    collected: Collected = field(default_factory=Collected)
    tls13_groups: GroupTracker = field(default_factory=lambda: GroupTracker(TLS13_GROUPS))
    tls12_groups: GroupTracker = field(default_factory=lambda: GroupTracker(TLS12_GROUPS))

    @property
    def server_name(self) -> str | None:
        host = self.runner.target.host
        return None if is_ip_literal(host) else host

    async def run(
        self,
        hello: bytes,
        what: str,
        offered: Sequence[int] = (),
        *,
        sslv2: bool = False,
        dialogue: Callable[[], Dialogue] | None = None,
    ) -> Flight | None:
        """One connection with ``hello``; the flight, or None when TLS was never reached.
        ``offered``: the supported_groups the hello lists (to learn from the pick)."""
        hook = hello_hook(
            hello,
            read_timeout=self.runner.budget.read_timeout,
            expect_sslv2=sslv2,
            after=None if sslv2 else self.collected.pick_after,
        )
        result, _ = await self.runner.session(hook, what=what, dialogue=dialogue)
        if not isinstance(result, Flight):
            return None
        result.offered_groups = tuple(int(g) for g in offered)
        if result.after_kind and result.after is None:
            self.collected.after_pending.append(result.after_kind)
        self.collected.flight(result)
        if result.error:
            self.runner.note(f"{what}: {result.error}")
        self._learn_groups(result)
        return result

    def _learn_groups(self, f: Flight) -> None:
        offered = f.offered_groups
        if f.hrr is not None and f.hrr.selected_group is not None:
            self.tls13_groups.observe(offered, int(f.hrr.selected_group))
        ske = f.ske
        if ske is not None and ske.kind == "ECDHE" and ske.curve is not None:
            self.tls12_groups.observe(offered, int(ske.curve))

    async def legacy(
        self,
        version: V,
        suites: Sequence[int],
        what: str,
        *,
        groups: Sequence[int] | None = None,
        fallback_scsv: bool = False,
    ) -> Flight | None:
        """A TLS <= 1.2 (or SSLv3) ClientHello offering ``suites`` in that order."""
        offered = list(groups) if groups is not None else self.tls12_groups.proposal()
        hello = build_client_hello(
            version, suites, server_name=self.server_name, groups=offered,
            compression=(1, 0), heartbeat=True, fallback_scsv=fallback_scsv,
        )  # fmt: skip
        return await self.run(hello, what, offered if version != V.SSLv3 else ())

    async def tls13(
        self,
        suites: Sequence[int],
        what: str,
        *,
        groups: Sequence[int] | None = None,
        versions: Sequence[int] = (V.TLSv1_3,),
    ) -> Flight | None:
        """A TLS 1.3 ClientHello with an empty key_share: the answer is a HelloRetryRequest
        naming suite and group (or a lower version's ServerHello)."""
        offered = list(groups) if groups is not None else self.tls13_groups.proposal()
        hello = build_client_hello(
            V.TLSv1_3, suites, server_name=self.server_name, groups=offered,
            key_share_groups=[], versions=versions, heartbeat=len(versions) > 1,
        )  # fmt: skip
        return await self.run(hello, what, offered)

    async def settle(
        self, send: Send, offer: Sequence[int], what: str, first: Flight | None = None
    ) -> Settled:
        """``send(offer)`` (or ``first``, its answer already in hand), and when the answer
        is ambiguous() one second look: the same offer without the suites a server may
        choke on (when it has others), else the same offer again. A second silent close
        confirms a refusal; a second unreadable answer stays unknown."""
        offer = tuple(offer)
        if first is None:
            first = await send(offer)
        if first is None or not ambiguous(first):
            return Settled(first, offer)
        held = tuple(c for c in offer if chokes(c))
        if len(held) == len(offer):
            held = ()
        retry = tuple(c for c in offer if c not in held)
        second = await send(retry)
        if second is not None and second.answered:
            self.runner.note(f"{what}: {first.describe()}, then an answer on a second "
                             "connection")  # fmt: skip
        twice = second is not None and ambiguous(second) and second.error is None
        return Settled(second, retry, held, twice and first.error is None)

    @staticmethod
    def sslv2_hello() -> bytes:
        return build_sslv2_client_hello(sslv2_ciphers())
