# Does an SMTP server accept mail before STARTTLS? (RFC 3207 section 4; RFC 8314 for
# submission). Sans-I/O, on top of SMTPDialogue.
#
#   GREETING      220                         -> CAPABILITIES, Send EHLO
#   CAPABILITIES  250                         -> STARTTLS*, Send MAIL FROM:<probe>
#   STARTTLS*     any complete reply          -> DONE, Send RSET + QUIT, Finished
#   (* the state is reused to mean "waiting for the reply to MAIL")
# The reply code to MAIL is kept in ``mail_reply``: 250 means the server takes mail in
# clear text; 530 (RFC 3207: "Must issue a STARTTLS command first") means it requires TLS.
# No recipient is ever given, so no mail can be sent by this probe.

from __future__ import annotations

from collections.abc import Callable, Iterable

from .base import Action, Finished, State
from .smtp import SMTPDialogue

PROBE_SENDER = "mailtls-probe@mailtls.invalid"


class MailWithoutTLS(SMTPDialogue):
    """Send EHLO and MAIL FROM in clear text, record the answer, then leave."""

    def __init__(self, *, ehlo: str = "mailtls.invalid", max_line: int = 8192) -> None:
        super().__init__(implicit_tls=False, ehlo=ehlo, max_line=max_line)
        self.mail_reply: str | None = None
        self.mail_code: int | None = None

    def _table(self) -> dict[State, Callable[[str], list[Action]]]:
        table = super()._table()
        table[State.STARTTLS] = self._on_mail
        return table

    def _after_capabilities(self, caps: Iterable[str]) -> list[Action]:
        caps = tuple(caps)
        self.result.capabilities_before_tls = caps
        self.result.starttls_offered = self._offers_starttls(caps)
        self.state = State.STARTTLS
        return [self._send(f"MAIL FROM:<{PROBE_SENDER}>")]

    def _on_mail(self, text: str) -> list[Action]:
        reply = self._collect(text)
        if reply is None:
            return []
        self.mail_code = reply.code
        self.mail_reply = self._reply_text()
        self.state = State.DONE
        return [self._send("RSET"), self._send("QUIT"), Finished()]
