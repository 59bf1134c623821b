"""ROBOT (the Bleichenbacher oracle) on servers that accept RSA key exchange.

Each probe is one connection (proto/tls/robot.py builds and judges the bytes): a
ClientHello offering the accepted TLS_RSA_* suites, the server's first flight, then a
ClientKeyExchange encrypted with the public key of the certificate in that same flight
(no connection is spent on fetching the key), and the server's answer: its first alert,
another record, a close, a reset, or silence until ``wait``.

Rounds (5 connections each, one per padding, at once within the per-address limit):
1. with ChangeCipherSpec and Finished. Answers that differ: round 2 repeats it, and the
   two rounds give the verdict (a strong or weak oracle, or inconclusive when a payload
   got two answers). Answers all alike:
2. without ChangeCipherSpec and Finished (some servers only show the oracle there: they
   answer a bad padding at once and wait for a good one); the wait is 3 times the slowest
   answer of round 1 (at least 0.5 s), since an answer to the key exchange alone comes no
   later. All alike: not vulnerable (10 connections). Otherwise round 3 repeats it (15).
A probe that does not get as far as the ClientKeyExchange leaves the result unknown
(None, with a note), never "not vulnerable".

``robot_probe`` runs alone on a Runner (``version``, ``suites``); ``robot_check`` is the
deep scan's entry: it picks them from the enumeration, or says "not applicable".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ...proto.tls import HandshakeReader, HandshakeType, ProtocolVersion, build_client_hello
from ...proto.tls.robot import (
    Payload,
    RobotResult,
    RobotVerdict,
    classify,
    describe_reply,
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
#: without the Finished: a server that answers the key exchange alone does so about as fast
#: as it answered the whole probe, so the wait is 3x the slowest answer of round 1, bounded
BARE_WAIT = (0.5, 0.25, 3.0)  # floor, margin, factor
MAX_REPLY = 64 * 1024


@dataclass(frozen=True)
class _Attempt:
    response: str | None  # the server's answer, described (None: no ClientKeyExchange sent)
    failure: str | None = None
    elapsed: float = 0.0  # from the ClientKeyExchange to the answer


@dataclass(frozen=True)
class Round:
    responses: dict[Payload, str]
    slowest: float  # seconds from a ClientKeyExchange to its answer, the longest of the round


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

    async def measure(finish: bool, wait: float) -> Round | None:
        return await _round(runner, hello, version, finish, wait)

    first = await measure(True, answer)
    if first is None:
        return None
    if len(set(first.responses.values())) > 1:
        again = await measure(True, answer)
        return None if again is None else classify(_merge(first, again))
    floor, margin, factor = BARE_WAIT
    short = min(answer, max(floor, factor * first.slowest + margin))
    bare = await measure(False, short)
    if bare is None or len(set(bare.responses.values())) == 1:
        return classify({p: [r] for p, r in first.responses.items()})
    again = await measure(False, short)
    return None if again is None else classify(_merge(bare, again))


def _merge(a: Round, b: Round) -> dict[Payload, list[str]]:
    return {p: [a.responses[p], b.responses[p]] for p in Payload}


async def _round(
    runner: Runner, hello: bytes, version: V, finish: bool, wait: float
) -> Round | None:
    what = "ROBOT" if finish else "ROBOT without Finished"
    jobs = [
        runner.session(_hook(hello, p, version, finish, runner.budget.read_timeout, wait),
                       what=f"{what}: {p.value}")
        for p in Payload
    ]  # fmt: skip
    out: dict[Payload, str] = {}
    slowest = 0.0
    for payload, (attempt, _) in zip(Payload, await asyncio.gather(*jobs), strict=True):
        if not isinstance(attempt, _Attempt) or attempt.response is None:
            why = attempt.failure if isinstance(attempt, _Attempt) else "no TLS stage"
            runner.note(f"ROBOT ({payload.value}): {why}")
            return None
        out[payload] = attempt.response
        slowest = max(slowest, attempt.elapsed)
    return Round(out, slowest)


def _hook(
    hello: bytes, payload: Payload, version: V, finish: bool, read_timeout: float, wait: float
) -> Callable[[Stream], Awaitable[_Attempt]]:
    async def hook(stream: Stream) -> _Attempt:
        flight = Flight()
        try:
            await stream.write(hello)
        except OSError as exc:
            return _Attempt(None, f"could not send the ClientHello ({exc})")
        await read_flight(stream, HandshakeReader(), flight, read_timeout)
        problem = _unfit(flight)
        if problem is not None:
            return _Attempt(None, problem)
        assert flight.hello is not None
        key = _rsa_key(flight.certificates[0])
        if key is None:
            return _Attempt(None, "the server's certificate has no RSA key")
        data = probe_bytes(payload, key.n, key.e, version=flight.hello.version,
                           client_version=version, finish=finish)  # fmt: skip
        start = time.monotonic()
        try:
            await stream.write(data)
        except OSError:
            return _Attempt("reset")
        response = await _answer(stream, wait)
        return _Attempt(response, elapsed=time.monotonic() - start)

    return hook


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


async def _answer(stream: Stream, wait: float) -> str:
    """Read the server's answer to the ClientKeyExchange and describe it."""
    deadline = time.monotonic() + wait
    reply = b""
    ending = "timeout"
    while len(reply) < MAX_REPLY and not has_answer(reply):
        left = deadline - time.monotonic()
        try:
            data = await asyncio.wait_for(stream.read(), left) if left > 0 else None
        except TimeoutError:
            data = None
        except OSError:
            ending = "reset"
            break
        if data is None:
            break
        if not data:
            ending = "closed"
            break
        reply += data
    return describe_reply(reply, ending)


def robot_fields(result: RobotResult | None) -> dict[str, Any]:
    """The DeepObservation fields for ``result`` (robot, robot_oracle, robot_evidence)."""
    if result is None:
        return {"robot": None, "robot_oracle": None, "robot_evidence": ()}
    oracle = result.oracle.value if result.oracle is not None else None
    return {"robot": result.verdict.value, "robot_oracle": oracle,
            "robot_evidence": result.evidence}  # fmt: skip
