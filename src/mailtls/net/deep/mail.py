"""The mail-specific part of the deep scan, at the cost of at most one connection.

- Mail before TLS (SMTP): the connection that probes SSLv2 first sends ``MAIL FROM`` in
  clear text (and RSET), then STARTTLS: the reply code says whether the server takes mail
  without TLS (250) or requires it (530), and the same connection goes on to the SSLv2
  hello. No recipient is ever given.
- STARTTLS command injection: rides on the first full handshake (engine.py, full.py);
  net/mailprobe.probe_injection on a connection of its own only when there is none.
"""

from __future__ import annotations

from collections.abc import Callable

from ...proto import Action, State
from ...proto.base import Abort
from ...proto.smtp_plain import MailWithoutTLS
from ..mailprobe import Limiter, probe_injection
from .runner import Runner


class MailThenStartTLS(MailWithoutTLS):
    """EHLO, MAIL FROM (kept), RSET, then STARTTLS as usual."""

    def __init__(self, *, ehlo: str = "mailtls.invalid") -> None:
        super().__init__(ehlo=ehlo)
        self._step = "mail"

    def _table(self) -> dict[State, Callable[[str], list[Action]]]:
        table = super()._table()
        table[State.STARTTLS] = self._on_step
        return table

    def _on_step(self, text: str) -> list[Action]:
        reply = self._collect(text)
        if reply is None:
            return []
        if self._step == "mail":
            self.mail_code, self.mail_reply = reply.code, self._reply_text()
            self._step = "rset"
            return [self._send("RSET")]
        if self._step == "rset":
            if not self.result.starttls_offered:
                return self._quit()
            self._step = "starttls"
            return [self._send("STARTTLS")]
        if reply.code != 220:
            raise Abort("starttls.refused", self._reply_text())
        return self._starttls_accepted()


def mail_dialogue(runner: Runner) -> Callable[[], MailThenStartTLS] | None:
    """The dialogue factory for the SSLv2 connection when the target is SMTP STARTTLS."""
    spec = runner.target.spec
    if spec.protocol != "smtp" or spec.implicit_tls:
        return None
    return lambda: MailThenStartTLS(ehlo=runner.ehlo)


def injection_applies(runner: Runner) -> bool:
    spec = runner.target.spec
    return not spec.implicit_tls and spec.protocol in ("smtp", "imap", "pop3")


async def injection(runner: Runner) -> tuple[str | None, tuple[str, ...]]:
    """STARTTLS command injection on a connection of its own (when no full handshake
    carried it): the verdict ("vulnerable", "not vulnerable", "inconclusive"; None when
    not probed) and its evidence."""
    if not injection_applies(runner):
        return None, ()
    if not runner.take():
        return None, ()
    runner.trail.append("STARTTLS injection")

    def run(limiter: Limiter | None):  # type: ignore[no-untyped-def]
        return probe_injection(
            runner.target, timeout=runner.budget.timeout, ehlo=runner.ehlo, limiter=limiter
        )

    result = await runner.guarded(run)
    if result.error:
        runner.note(f"STARTTLS injection: {result.error}")
    return str(result.verdict.value), tuple(result.evidence)
