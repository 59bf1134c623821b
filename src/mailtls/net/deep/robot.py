"""ROBOT (the Bleichenbacher oracle) on servers that accept RSA key exchange.

Each probe is one connection (proto/tls/robot.py builds and judges the bytes): a
ClientHello offering the accepted TLS_RSA_* suites, the server's first flight, then a
ClientKeyExchange encrypted with the public key of the certificate in that same flight
(no connection is spent on fetching the key), and the server's answer: its first alert,
another record, a close, a reset, or silence until ``wait``.

One connection measures both of the ROBOT paper's cases (with and without ChangeCipherSpec
and Finished): the ClientKeyExchange goes alone, and the server gets a short while to
answer it (``early_wait``: 3 times the fastest handshake round trip of the round so far,
this connection's included, at least 0.3 s; an answer to the key exchange alone comes
about as fast as a flight does. The fastest, since a server that serves one connection at
a time makes the others' hellos wait in its queue).
An answer then is the "without Finished" answer ("... before the Finished"); silence
means the ChangeCipherSpec and Finished follow on the same connection and the answer to
them is the "with Finished" one. Rounds (5 connections, one per padding, at once within
the per-address limit):
1. merged, as above. Answers all alike after the Finished: not vulnerable (5 connections:
   a sound server answers every padding only after the Finished). Answers that differ (at
   once for some paddings and after the Finished for others, or other alerts): round 2
   repeats it, and the two rounds give the verdict (a strong or weak oracle, or
   inconclusive when a payload got two answers).
2. Every padding answered alike before the Finished: the Finished never reached the
   server, so the "with Finished" case is measured on its own (ClientKeyExchange,
   ChangeCipherSpec and Finished in one write): alike, not vulnerable (10); otherwise
   repeated, and judged on those two rounds (15).
A probe that does not get as far as the ClientKeyExchange leaves the result unknown
(None, with a note), never "not vulnerable". ``robot_fields`` also reports how many
connections ROBOT opened (``robot_connections``, from the runner's trail).

``robot_probe`` runs alone on a Runner (``version``, ``suites``); ``robot_check`` is the
deep scan's entry: it picks them from the enumeration, or says "not applicable".
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ...proto.tls import HandshakeReader, HandshakeType, ProtocolVersion, build_client_hello
from ...proto.tls.robot import (
    BEFORE_FINISHED,
    Payload,
    RobotResult,
    RobotVerdict,
    classify,
    describe_reply,
    finished_bytes,
    has_answer,
    probe_bytes,
)
from ..stream import Stream
from .context import Context, client_rank
from .flight import Flight, read_flight
from .runner import Runner
from .suites import VersionResult

V = ProtocolVersion
VERSIONS = (V.TLSv1_2, V.TLSv1_1, V.TLSv1_0)
WAIT = 2.0  # the longest wait for the answer to the ClientKeyExchange
#: how long the ClientKeyExchange alone may wait for an answer: factor x the handshake's
#: round trip on the same connection, at least ``floor`` (and at most the answer's wait)
EARLY_WAIT = (0.3, 3.0)  # floor, factor
MAX_REPLY = 64 * 1024
WHAT = "ROBOT"  # the runner's trail: what ROBOT's connections were for


class Mode(enum.Enum):
    MERGED = "the key exchange alone, then the Finished"
    FINISHED = "with the Finished"


@dataclass(frozen=True)
class _Attempt:
    response: str | None  # the server's answer, described (None: no ClientKeyExchange sent)
    failure: str | None = None


Round = dict[Payload, str]


def early_wait(round_trip: float, wait: float) -> float:
    """How long the ClientKeyExchange alone waits for an answer (see EARLY_WAIT)."""
    floor, factor = EARLY_WAIT
    return min(wait, max(floor, factor * round_trip))


def rsa_suites(result: VersionResult) -> list[int]:
    """The accepted suites with RSA key exchange (export ones left out), AEAD first."""
    found = [s for s in result.accepted if s.kex == "RSA" and not s.export]
    return [s.code for s in sorted(found, key=client_rank)]


async def robot_check(ctx: Context, results: Mapping[V, VersionResult]) -> RobotResult | None:
    """The deep scan's ROBOT: the best TLS <= 1.2 version's RSA suites, or "not
    applicable" when the enumeration is sure there are none; None when it cannot tell."""
    for version in VERSIONS:
        r = results.get(version)
        if r is None or r.supported is None:
            return None
        if r.supported:
            suites = rsa_suites(r)
            if suites:
                if not _rsa_seen(ctx):
                    ctx.runner.note("ROBOT: an RSA suite was accepted, but no RSA certificate seen")
                    return None
                return await robot_probe(ctx.runner, version, suites, ctx.server_name)
            return RobotResult(RobotVerdict.NOT_APPLICABLE) if r.complete else None
    return RobotResult(RobotVerdict.NOT_APPLICABLE)


def _rsa_seen(ctx: Context) -> bool:
    return any(_rsa_key(chain[0]) is not None for chain in ctx.collected.chains if chain)


def _rsa_key(der: bytes) -> rsa.RSAPublicNumbers | None:
    try:
        key = x509.load_der_x509_certificate(der).public_key()
    except ValueError:
        return None
    return key.public_numbers() if isinstance(key, rsa.RSAPublicKey) else None


async def robot_probe(
    runner: Runner,
    version: V,
    suites: Sequence[int],
    server_name: str | None = None,
    *,
    wait: float | None = None,
) -> RobotResult | None:
    """ROBOT against ``runner``'s target in ``version`` offering ``suites`` (TLS_RSA_*);
    None when some probe never reached the ClientKeyExchange (see the notes)."""
    hello = build_client_hello(version, suites, server_name=server_name, groups=())
    answer = min(wait if wait is not None else WAIT, runner.budget.read_timeout)

    async def measure(mode: Mode) -> Round | None:
        return await _round(runner, hello, version, mode, answer)

    first = await measure(Mode.MERGED)
    if first is None:
        return None
    if len(set(first.values())) > 1:
        return await _confirm(first, Mode.MERGED, measure)
    if not next(iter(first.values())).endswith(BEFORE_FINISHED):
        return classify({p: [r] for p, r in first.items()})
    # every padding answered alike before the Finished: measure with it (the paper's
    # first case), as a round of its own
    full = await measure(Mode.FINISHED)
    if full is None:
        return None
    if len(set(full.values())) > 1:
        return await _confirm(full, Mode.FINISHED, measure)
    return classify({p: [r] for p, r in full.items()})


async def _confirm(
    first: Round, mode: Mode, measure: Callable[[Mode], Awaitable[Round | None]]
) -> RobotResult | None:
    """Answers that differ: the same round again, and the verdict on both."""
    again = await measure(mode)
    if again is None:
        return None
    return classify({p: [first[p], again[p]] for p in Payload})


@dataclass(frozen=True)
class _Probe:
    """What one round's connections share."""

    hello: bytes
    version: V
    mode: Mode
    read_timeout: float  # for the server's first flight
    wait: float  # for the answer to the ClientKeyExchange (or to the Finished)
    round_trips: list[float]  # from the ClientHello to the complete flight, per connection


async def _round(runner: Runner, hello: bytes, version: V, mode: Mode, wait: float) -> Round | None:
    probe = _Probe(hello, version, mode, runner.budget.read_timeout, wait, [])
    jobs = [
        runner.session(_hook(probe, p), what=f"{WHAT} ({mode.value}): {p.value}")
        for p in Payload
    ]  # fmt: skip
    out: Round = {}
    for payload, (attempt, _) in zip(Payload, await asyncio.gather(*jobs), strict=True):
        if not isinstance(attempt, _Attempt) or attempt.response is None:
            why = attempt.failure if isinstance(attempt, _Attempt) else "no TLS stage"
            runner.note(f"ROBOT ({payload.value}): {why}")
            return None
        out[payload] = attempt.response
    return out


def _hook(probe: _Probe, payload: Payload) -> Callable[[Stream], Awaitable[_Attempt]]:
    async def hook(stream: Stream) -> _Attempt:
        flight = Flight()
        start = time.monotonic()
        try:
            await stream.write(probe.hello)
        except OSError as exc:
            return _Attempt(None, f"could not send the ClientHello ({exc})")
        await read_flight(stream, HandshakeReader(), flight, probe.read_timeout)
        probe.round_trips.append(time.monotonic() - start)
        problem = _unfit(flight)
        if problem is not None:
            return _Attempt(None, problem)
        assert flight.hello is not None
        key = _rsa_key(flight.certificates[0])
        if key is None:
            return _Attempt(None, "the server's certificate has no RSA key")
        record, wait = flight.hello.version, probe.wait
        finish = probe.mode is Mode.FINISHED
        data = probe_bytes(payload, key.n, key.e, version=record, client_version=probe.version,
                           finish=finish)  # fmt: skip
        try:
            await stream.write(data)
        except OSError:
            return _Attempt("reset")
        if finish:
            return _Attempt(describe_reply(*await _answer(stream, wait)))
        early = early_wait(min(probe.round_trips), wait)
        return _Attempt(await _merged(stream, record, early, wait))

    return hook


async def _merged(stream: Stream, version: int, early: float, wait: float) -> str:
    """After the ClientKeyExchange alone: its answer within ``early`` ("... before the
    Finished"), else the answer to the ChangeCipherSpec and Finished sent then."""
    reply, ending = await _answer(stream, early)
    if reply and ending == "timeout" and not has_answer(reply):
        reply, ending = await _answer(stream, wait, reply)  # an answer already under way
    if reply or ending != "timeout":
        return describe_reply(reply, ending, early=True)
    try:
        await stream.write(finished_bytes(version))
    except OSError:
        return "reset"
    return describe_reply(*await _answer(stream, wait))


def _unfit(flight: Flight) -> str | None:
    """Why this flight cannot carry the probe (None: it can)."""
    if flight.error or not flight.complete or flight.hello is None:
        return f"no complete first flight ({flight.describe()})"
    if flight.hello.cipher_suite.kex != "RSA" or flight.ske is not None:
        return f"the server picked {flight.hello.cipher_suite.name}, not RSA key exchange"
    if not flight.certificates:
        return "no certificate in the server's flight"
    request = HandshakeType.CERTIFICATE_REQUEST
    if any(getattr(e, "msg_type", None) == request for e in flight.events):
        return "the server asks for a client certificate"  # its answers would all be that
    return None


async def _answer(stream: Stream, wait: float, reply: bytes = b"") -> tuple[bytes, str]:
    """Read the server's answer (after ``reply``, already read) for up to ``wait``: the
    bytes, and how the read ended ("timeout", "closed", "reset", or "answer")."""
    deadline = time.monotonic() + wait
    ending = "timeout"
    while len(reply) < MAX_REPLY:
        if has_answer(reply):
            return reply, "answer"
        left = deadline - time.monotonic()
        try:
            data = await asyncio.wait_for(stream.read(), left) if left > 0 else None
        except TimeoutError:
            data = None
        except OSError:
            return reply, "reset"
        if data is None:
            break
        if not data:
            return reply, "closed"
        reply += data
    return reply, ending


def robot_fields(result: RobotResult | None, trail: Sequence[str] = ()) -> dict[str, Any]:
    """The DeepObservation fields for ``result`` (robot, robot_oracle, robot_evidence) and
    ``robot_connections``: the connections in the runner's ``trail`` that were ROBOT's."""
    spent = sum(1 for what in trail if what.startswith(f"{WHAT} ("))
    if result is None:
        return {"robot": None, "robot_oracle": None, "robot_evidence": (),
                "robot_connections": spent}  # fmt: skip
    oracle = result.oracle.value if result.oracle is not None else None
    return {"robot": result.verdict.value, "robot_oracle": oracle,
            "robot_evidence": result.evidence, "robot_connections": spent}  # fmt: skip
