"""Mail-specific probes that the general TLS scanners lack (one connection each).

- STARTTLS command injection: a command pipelined with STARTTLS must not be answered
  inside TLS (proto/injection.py has the rules and the verdict).
- Mail without TLS: does an SMTP server take ``MAIL FROM`` before STARTTLS?
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ProbeError
from ..model import Target
from ..proto import State, make_dialogue
from ..proto.injection import InjectionReader, Verdict, injected_bytes, probe_bytes
from ..proto.smtp_plain import MailWithoutTLS
from .probe import open_session
from .stream import Stream

Limiter = Callable[[str], asyncio.Semaphore]
INJECTION_WAIT = 5.0  # for the replies to the probe command
#: after a single probe-like reply, the wait for a second one (a server that answers every
#: command with the same code): twice the time the first reply took, within these bounds
LINGER = (0.1, 1.0)


@dataclass(frozen=True)
class InjectionResult:
    verdict: Verdict
    evidence: tuple[str, ...] = ()
    error: str | None = None  # why the probe could not decide


@dataclass(frozen=True)
class PlainMailResult:
    code: int | None  # reply code to MAIL FROM in clear text
    reply: str | None
    starttls_offered: bool | None
    error: str | None = None


async def probe_injection(
    target: Target,
    *,
    timeout: float = 15.0,
    ehlo: str = "mailtls.invalid",
    limiter: Limiter | None = None,
) -> InjectionResult:
    """Pipeline a harmless command with STARTTLS and see whether it is answered in TLS."""
    protocol = target.spec.protocol
    if target.spec.implicit_tls or protocol not in ("smtp", "imap", "pop3"):
        return InjectionResult(Verdict.INCONCLUSIVE, error="not a STARTTLS scheme with a probe")
    reader = InjectionReader(protocol)

    async def after_tls(stream: Stream) -> Verdict:
        return await read_injection(stream, reader, min(timeout, INJECTION_WAIT))

    dialogue = make_dialogue(protocol, implicit_tls=False, ehlo=ehlo)
    session = await open_session(
        target,
        dialogue,
        timeout=timeout,
        limiter=limiter,
        inject=injected_bytes(protocol),
        after_tls=after_tls,
    )
    if isinstance(session.after_tls, Verdict):
        return InjectionResult(session.after_tls, tuple(reader.evidence))
    if dialogue.result.starttls_offered is False:
        return InjectionResult(Verdict.INCONCLUSIVE, error="STARTTLS not offered")
    if dialogue.state is State.AWAIT_TLS and session.tls is None and session.failure:
        # The server accepted STARTTLS, then fed the pipelined bytes to TLS (Dovecot does):
        # the handshake broke, so nothing injected could run inside TLS.
        why = f"the handshake failed on the pipelined bytes ({session.failure[1]})"
        return InjectionResult(Verdict.NOT_VULNERABLE, (why,))
    reason = session.failure[1] if session.failure else "no answer to the probe command"
    return InjectionResult(Verdict.INCONCLUSIVE, tuple(reader.evidence), reason)


async def read_injection(stream: Stream, reader: InjectionReader, seconds: float) -> Verdict:
    """Send the probe command; count the replies (proto/injection.py) until a verdict, the
    end of ``seconds``, or, after a single probe-like reply, a short linger for a second
    one (twice the time that reply took, within LINGER)."""
    sent = time.monotonic()
    deadline = sent + seconds
    await stream.write(probe_bytes(reader.protocol))
    lingered = False
    while True:
        if reader.lingering and not lingered:
            lingered = True
            low, high = LINGER
            took = time.monotonic() - sent
            deadline = min(deadline, time.monotonic() + max(low, min(high, 2 * took)))
        try:
            data = await asyncio.wait_for(stream.read(), max(0.0, deadline - time.monotonic()))
        except (TimeoutError, ProbeError):
            return reader.expire()
        verdict = reader.feed(data)
        if verdict is not None:
            return verdict


async def probe_mail_without_tls(
    target: Target,
    *,
    timeout: float = 15.0,
    ehlo: str = "mailtls.invalid",
    limiter: Limiter | None = None,
) -> PlainMailResult:
    """Ask an SMTP server to take MAIL FROM before STARTTLS (no recipient is ever sent)."""
    if target.spec.protocol != "smtp" or target.spec.implicit_tls:
        return PlainMailResult(None, None, None, "not an SMTP STARTTLS scheme")
    dialogue = MailWithoutTLS(ehlo=ehlo)
    session = await open_session(target, dialogue, timeout=timeout, limiter=limiter)
    error = session.failure[1] if session.failure and dialogue.mail_code is None else None
    return PlainMailResult(
        dialogue.mail_code, dialogue.mail_reply, dialogue.result.starttls_offered, error
    )
