"""Connections for the deep scan: counted, bounded, limited per address, retried when throttled.

Every probe of ``scan --deep`` is one TCP connection that runs the mail dialogue up to
STARTTLS (or nothing, for implicit TLS) and hands the raw stream to a hook. The Runner:

- counts every connection it opens (``connections``) and refuses to open more than
  ``max_connections`` (the result is then unknown and the scan incomplete);
- shares the scan's per-address limit (default 2 at once), or in ``gentle`` mode allows one
  connection at a time with a pause between them;
- treats a ``421`` (conn.rate_limited), a refused connection, a connection closed before
  TLS and a missing STARTTLS (starttls.not_offered) as "the server is throttling or
  flaky", not as an answer: it backs off exponentially (bounded) and retries a bounded
  number of times; after that the probe's result is None (unknown) and ``incomplete`` is
  set. A throttled probe is never reported as "not supported".
- records every probe that ended without its result in ``outcomes`` (data for the checks:
  model.ProbeFailure, with the failure's catalogue id as its cause), and in ``notes`` (words
  for people, never read by a check).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ...model import ProbeFailure, ProbeOutcome, Target
from ...proto import Dialogue, make_dialogue
from ..probe import Session, open_session
from ..stream import Stream

Limiter = Callable[[str], asyncio.Semaphore]
Hook = Callable[[Stream], Awaitable[object]]
T = TypeVar("T")

#: failures (catalogue ids) that say "not now" rather than "no": retried after a pause
TRANSIENT = frozenset({"conn.rate_limited", "conn.refused", "conn.closed", "starttls.not_offered"})
#: the failures among them that are the server holding the scanner back
THROTTLING = frozenset({"conn.rate_limited", "conn.refused"})
INTERNAL_ERROR = "scan.internal_error"  # the catalogue's id for a failure inside mailtls
log = logging.getLogger("mailtls")


@dataclass
class Budget:
    """How the deep scan may use connections."""

    timeout: float = 10.0  # per connection, dialogue and handshake included
    read_timeout: float = 5.0  # for the server's first flight after our ClientHello
    max_connections: int = 400
    gentle: bool = False
    pause: float = 0.3  # gentle: between two connections
    retries: int = 3  # after a throttled attempt
    backoff: float = 0.5  # first back-off; doubles each time
    max_backoff: float = 8.0


@dataclass
class Runner:
    """Opens the deep scan's connections to one target (see the module docstring)."""

    target: Target
    budget: Budget = field(default_factory=Budget)
    limiter: Limiter | None = None
    ehlo: str = "mailtls.invalid"
    connections: int = 0
    incomplete: bool = False
    notes: list[str] = field(default_factory=list)
    outcomes: list[ProbeFailure] = field(default_factory=list)
    starttls_seen: list[bool] = field(default_factory=list)
    trail: list[str] = field(default_factory=list)  # what each connection was for
    #: the clock, injected so that tests check the back-off and pauses without waiting
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _gentle: asyncio.Lock = field(default_factory=asyncio.Lock)
    _last_close: float = 0.0

    def _limit(self, address: str) -> asyncio.Semaphore:
        if self.limiter is not None:
            return self.limiter(address)
        if address not in self._slots:
            self._slots[address] = asyncio.Semaphore(2)
        return self._slots[address]

    def dialogue(self) -> Dialogue:
        spec = self.target.spec
        return make_dialogue(spec.protocol, implicit_tls=spec.implicit_tls, ehlo=self.ehlo)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def fail(self, what: str, outcome: ProbeOutcome, cause: str | None, detail: str) -> None:
        """The probe ``what`` ends without its result: unknown, and the scan incomplete."""
        self.incomplete = True
        failure = ProbeFailure(what, outcome, cause)
        if failure not in self.outcomes:
            self.outcomes.append(failure)
        self.note(f"{what}: {cause or outcome.value} ({detail})" if detail else what)

    def crashed(self, what: str, exc: Exception) -> None:
        """An exception escaped the probe ``what`` (a bug, or a parser surprised by a
        strange reply): its result is unknown, the other probes stand."""
        log.debug("deep probe %r failed", what, exc_info=exc)
        message = " ".join(str(exc).split())[:200]
        text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        self.fail(what, ProbeOutcome.ERROR, INTERNAL_ERROR, text)

    def take(self) -> bool:
        """Count one connection; False when the budget is spent."""
        if self.connections >= self.budget.max_connections:
            detail = f"budget of {self.budget.max_connections} spent"
            self.fail("connections", ProbeOutcome.BUDGET, None, detail)
            return False
        self.connections += 1
        return True

    async def session(
        self,
        hook: Hook,
        *,
        what: str,
        dialogue: Callable[[], Dialogue] | None = None,
        inject: bytes = b"",
    ) -> tuple[object | None, Dialogue | None]:
        """Run ``hook`` on a fresh connection's raw stream; (its result, the dialogue).
        ``inject``: bytes sent in the same write as the STARTTLS command.

        The result is None when no attempt reached the TLS stage."""
        make = dialogue or self.dialogue
        delay = self.budget.backoff
        for attempt in range(self.budget.retries + 1):
            if not self.take():
                return None, None
            self.trail.append(what)
            d = make()
            session = await self._open(d, hook, inject)
            failure = _failure(session, d)
            if self.target.spec.implicit_tls is False and d.result.starttls_offered is not None:
                self.starttls_seen.append(bool(d.result.starttls_offered))
            if failure is None:
                return session.after_tls, d
            finding_id, reason = failure
            if finding_id not in TRANSIENT or attempt == self.budget.retries:
                throttled = finding_id in THROTTLING
                outcome = ProbeOutcome.THROTTLED if throttled else ProbeOutcome.FAILED
                self.fail(what, outcome, finding_id, reason)
                return None, d
            await self.sleep(delay)
            delay = min(delay * 2, self.budget.max_backoff)
        return None, None  # pragma: no cover - the loop always returns

    async def _open(self, d: Dialogue, hook: Hook, inject: bytes = b"") -> Session:
        return await self.guarded(
            lambda limiter: open_session(
                self.target, d, timeout=self.budget.timeout, limiter=limiter, raw_tls=hook,
                inject=inject,
            )
        )

    async def guarded(self, run: Callable[[Limiter | None], Awaitable[T]]) -> T:
        """Run one connection's coroutine under the limits: the per-address limiter, or in
        gentle mode alone, after the pause since the previous connection closed."""
        if not self.budget.gentle:
            return await run(self._limit)
        async with self._gentle:
            wait = self._last_close + self.budget.pause - self.monotonic()
            if wait > 0:
                await self.sleep(wait)
            try:
                return await run(None)
            finally:
                self._last_close = self.monotonic()


def _failure(session: Session, d: Dialogue) -> tuple[str, str] | None:
    if session.after_tls is not None:
        return None
    if session.failure is not None:
        return session.failure
    if d.result.starttls_offered is False:
        return ("starttls.not_offered", "STARTTLS was not offered on this connection")
    return ("conn.closed", "no TLS stage reached")
