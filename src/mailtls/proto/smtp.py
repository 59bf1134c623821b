# SMTP client dialogue up to and after STARTTLS (RFC 5321, RFC 3207); also submission and
# smtps (implicit TLS, RFC 8314). Sans-I/O: see base.py for the actions and the loop.
#
# Replies: lines "DDD-text" continue, "DDD text" or a bare "DDD" end the reply; the code
# must be the same on every line of a reply. Any other line is garbage -> protocol_error.
# A complete reply with code 421 fails as conn.rate_limited in every state.
#
#   state             reply                  -> next state, actions
#   GREETING          220                    -> CAPABILITIES, Send EHLO <name>
#                     4xx, 5xx               -> FAILED, Failed conn.rate_limited
#                     other                  -> FAILED, Failed conn.protocol_error
#   CAPABILITIES      250 + STARTTLS keyword -> STARTTLS, Send STARTTLS
#                     250 without it         -> DONE, Send QUIT, Finished (not offered)
#                     other                  -> FAILED, Failed conn.protocol_error (no HELO)
#   STARTTLS          220                    -> AWAIT_TLS, StartTLS
#                     other                  -> FAILED, Failed starttls.refused
#   AWAIT_TLS         tls_established()      -> TLS_CAPABILITIES, Send EHLO <name>
#                                               (DONE, Send QUIT, Finished without
#                                               post_tls_capabilities; TLS_GREETING for smtps)
#   TLS_GREETING      as GREETING            -> TLS_CAPABILITIES, Send EHLO (or QUIT)
#   TLS_CAPABILITIES  250                    -> DONE, Send QUIT, Finished
#                     other                  -> FAILED, Failed conn.protocol_error
#
# The QUIT reply is never awaited. Capabilities are the EHLO lines after the first, with
# the keyword upper-cased and its parameters as the server gave them ("AUTH PLAIN LOGIN").

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mailtls.proto.base import Abort, Action, Dialogue, State, keyword_upper, quote

_LINE = re.compile(r"([0-9]{3})(?:([ -])(.*))?", re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """One complete SMTP reply: its code, its lines and the text of each line."""

    code: int
    lines: tuple[str, ...]
    texts: tuple[str, ...]


class SMTPDialogue(Dialogue):
    """SMTP with STARTTLS (smtp, submission) or implicit TLS (smtps)."""

    protocol = "smtp"

    def __init__(
        self,
        *,
        implicit_tls: bool,
        ehlo: str = "mailtls.invalid",
        post_tls_capabilities: bool = True,
        max_line: int = 8192,
        max_reply_bytes: int = 1 << 20,
    ) -> None:
        if not ehlo or any(c in ehlo for c in "\r\n\0 "):
            raise ValueError(f"invalid EHLO name {ehlo!r}")
        super().__init__(
            implicit_tls=implicit_tls,
            post_tls_capabilities=post_tls_capabilities,
            max_line=max_line,
            max_reply_bytes=max_reply_bytes,
        )
        self.ehlo = ehlo
        self._code: int | None = None
        self._texts: list[str] = []

    def _table(self) -> dict[State, Callable[[str], list[Action]]]:
        return {
            State.GREETING: self._on_greeting,
            State.TLS_GREETING: self._on_greeting,
            State.CAPABILITIES: self._on_ehlo,
            State.TLS_CAPABILITIES: self._on_ehlo,
            State.STARTTLS: self._on_starttls,
        }

    def _capability_command(self) -> str:
        return f"EHLO {self.ehlo}"

    def _offers_starttls(self, caps: tuple[str, ...]) -> bool:
        return any(cap.split(" ", 1)[0] == "STARTTLS" for cap in caps)

    # --- replies ----------------------------------------------------------------------

    def _collect(self, text: str) -> Reply | None:
        """Add a line to the current reply; the reply once its last line is in."""
        match = _LINE.fullmatch(text)
        if match is None:
            self._garbage(text)
        code = int(match.group(1))
        if self._code is not None and code != self._code:
            raise self._error(f"a reply whose code changes from {self._code} to {code}")
        self._code = code
        self._texts.append(match.group(3) or "")
        if match.group(2) == "-":
            return None
        reply = Reply(code, tuple(self._end_reply()), tuple(self._texts))
        self._code, self._texts = None, []
        if code == 421:
            raise Abort("conn.rate_limited", self._reply_text())
        return reply

    # --- handlers ---------------------------------------------------------------------

    def _on_greeting(self, text: str) -> list[Action]:
        reply = self._collect(text)
        if reply is None:
            return []
        if 400 <= reply.code < 600:
            raise Abort("conn.rate_limited", self._reply_text())
        if reply.code != 220:
            raise self._error(f"the greeting {reply.code} instead of 220")
        self._store_greeting(reply.texts[0], reply.lines)
        return self._after_greeting()

    def _on_ehlo(self, text: str) -> list[Action]:
        reply = self._collect(text)
        if reply is None:
            return []
        if reply.code != 250:
            raise self._error(f"the EHLO reply {quote(self._reply_text(), 200)}")
        caps = (keyword_upper(t) for t in reply.texts[1:])
        return self._after_capabilities(cap for cap in caps if cap)

    def _on_starttls(self, text: str) -> list[Action]:
        reply = self._collect(text)
        if reply is None:
            return []
        if reply.code != 220:
            raise Abort("starttls.refused", self._reply_text())
        return self._starttls_accepted()
