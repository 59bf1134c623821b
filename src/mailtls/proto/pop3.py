# POP3 client dialogue up to and after STLS (RFC 1939, RFC 2449, RFC 2595); also pop3s
# (implicit TLS, RFC 8314). Sans-I/O: see base.py for the actions and the loop.
#
# Status lines are "+OK[ text]" or "-ERR[ text]"; anything else where a status line is due
# is garbage -> protocol_error. The CAPA reply "+OK" opens a multi-line body, which ends
# with a line of a single "."; a body line starting with "." loses that dot (unstuffing).
#
#   state             line                  -> next state, actions
#   GREETING          +OK                   -> CAPABILITIES, Send CAPA
#                     -ERR                  -> FAILED, Failed conn.rate_limited
#   CAPABILITIES      +OK ... "."           -> STARTTLS, Send STLS  (STLS among the lines)
#                                           -> DONE, Send QUIT, Finished (no STLS)
#                     -ERR                  -> DONE, Send QUIT, Finished (no capabilities:
#                                              STLS counts as not offered, never tried)
#   STARTTLS          +OK                   -> AWAIT_TLS, StartTLS
#                     -ERR                  -> FAILED, Failed starttls.refused
#   AWAIT_TLS         tls_established()     -> TLS_CAPABILITIES, Send CAPA
#                                              (or QUIT; TLS_GREETING for pop3s)
#   TLS_GREETING      as GREETING           -> TLS_CAPABILITIES, Send CAPA (or QUIT)
#   TLS_CAPABILITIES  +OK ... "." or -ERR   -> DONE, Send QUIT, Finished
#
# Capabilities are the CAPA lines, keyword upper-cased ("SASL PLAIN"). The QUIT reply is
# never awaited.

from __future__ import annotations

import re
from collections.abc import Callable

from mailtls.proto.base import Abort, Action, Dialogue, State, keyword_upper

_STATUS = re.compile(r"(\+OK|-ERR)(?:[ \t](.*))?", re.IGNORECASE | re.DOTALL)


class POP3Dialogue(Dialogue):
    """POP3 with STLS (pop3) or implicit TLS (pop3s)."""

    protocol = "pop3"
    starttls_command = "STLS"

    def _setup(self) -> None:
        self._body: list[str] | None = None  # CAPA lines so far, inside the multi-line body

    def _table(self) -> dict[State, Callable[[str], list[Action]]]:
        return {
            State.GREETING: self._on_greeting,
            State.TLS_GREETING: self._on_greeting,
            State.CAPABILITIES: self._on_capa,
            State.TLS_CAPABILITIES: self._on_capa,
            State.STARTTLS: self._on_stls,
        }

    def _capability_command(self) -> str:
        return "CAPA"

    def _offers_starttls(self, caps: tuple[str, ...]) -> bool:
        return any(cap.split(" ", 1)[0] == "STLS" for cap in caps)

    def _status(self, text: str) -> tuple[bool, str]:
        """(positive, text) of a status line; garbage fails."""
        match = _STATUS.fullmatch(text)
        if match is None:
            self._garbage(text)
        return match.group(1).upper() == "+OK", match.group(2) or ""

    # --- handlers ---------------------------------------------------------------------

    def _on_greeting(self, text: str) -> list[Action]:
        positive, rest = self._status(text)
        self._end_reply()
        if not positive:
            raise Abort("conn.rate_limited", text)
        self._store_greeting(rest, [text])
        return self._after_greeting()

    def _on_capa(self, text: str) -> list[Action]:
        if self._body is not None:
            return self._on_capa_body(self._body, text)
        positive, _ = self._status(text)
        if positive:
            self._body = []
            return []
        self._end_reply()
        return self._after_capabilities(())

    def _on_capa_body(self, body: list[str], text: str) -> list[Action]:
        if text == ".":
            self._body = None
            self._end_reply()
            return self._after_capabilities(body)
        cap = keyword_upper(text[1:] if text.startswith(".") else text)
        if cap:
            body.append(cap)
        return []

    def _on_stls(self, text: str) -> list[Action]:
        positive, _ = self._status(text)
        self._end_reply()
        if not positive:
            raise Abort("starttls.refused", text)
        return self._starttls_accepted()
