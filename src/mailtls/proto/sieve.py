# ManageSieve client dialogue up to and after STARTTLS (RFC 5804). Sans-I/O: see base.py.
#
# The server talks first: capability lines ("NAME" or "NAME" "value", quoted strings) ended
# by a response line "OK|NO|BYE [(code)] ["text"]". It sends them again, unsolicited, after
# the TLS handshake. A literal ({n} or {n+}) is refused as protocol_error; so is any other
# line that is neither a capability nor a response.
#
#   state             lines                 -> next state, actions
#   GREETING          capabilities, OK      -> STARTTLS, Send STARTTLS (STARTTLS listed)
#                                           -> DONE, Send LOGOUT, Finished (not listed)
#                     NO / BYE              -> FAILED, Failed conn.rate_limited
#   STARTTLS          OK                    -> AWAIT_TLS, StartTLS
#                     NO                    -> FAILED, Failed starttls.refused
#                     BYE                   -> FAILED, Failed conn.closed
#   AWAIT_TLS         tls_established()     -> TLS_CAPABILITIES, nothing sent (the server
#                                              speaks); DONE, Send LOGOUT, Finished without
#                                              post_tls_capabilities; TLS_GREETING if implicit
#   TLS_GREETING      as GREETING           -> DONE, Send LOGOUT, Finished
#   TLS_CAPABILITIES  capabilities, OK      -> DONE, Send LOGOUT, Finished
#                     NO                    -> FAILED, Failed conn.protocol_error
#                     BYE                   -> FAILED, Failed conn.closed
#
# Capabilities keep their value: 'SASL "PLAIN"', 'SIEVE "fileinto reject"', 'STARTTLS';
# the name is upper-cased. The banner is the text of the greeting's OK. The LOGOUT reply is
# never awaited.

from __future__ import annotations

import re
from collections.abc import Callable

from mailtls.proto.base import Abort, Action, Dialogue, State, quote

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_RESPONSE = re.compile(r"(OK|NO|BYE)(?:[ \t]+(.*))?", re.IGNORECASE | re.DOTALL)
_LAST_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"[ \t]*\Z', re.DOTALL)
_LITERAL = re.compile(r"\{[0-9]+\+?\}")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def strings(text: str) -> list[str] | None:
    """The quoted strings of a line separated by spaces, unescaped; None if it is not that."""
    found: list[str] = []
    pos = 0
    while pos < len(text):
        if found:
            if text[pos] != " ":
                return None
            pos += 1
        match = _STRING.match(text, pos)
        if match is None:
            return None
        found.append(_ESCAPE.sub(r"\1", match.group(1)))
        pos = match.end()
    return found


def capability(names: list[str]) -> str:
    """``["sasl", "PLAIN"]`` -> ``'SASL "PLAIN"'``."""
    if len(names) == 1:
        return names[0].upper()
    value = names[1].replace("\\", "\\\\").replace('"', '\\"')
    return f'{names[0].upper()} "{value}"'


def response_text(rest: str) -> str:
    """The human text of a response: its last quoted string, else what follows the status."""
    match = _LAST_STRING.search(rest)
    return _ESCAPE.sub(r"\1", match.group(1)) if match else rest


class SieveDialogue(Dialogue):
    """ManageSieve with STARTTLS (sieve); implicit TLS is supported though unusual."""

    protocol = "sieve"
    quit_command = "LOGOUT"

    def _setup(self) -> None:
        self._caps: list[str] = []

    def _table(self) -> dict[State, Callable[[str], list[Action]]]:
        return {
            State.GREETING: self._on_capabilities,
            State.TLS_GREETING: self._on_capabilities,
            State.TLS_CAPABILITIES: self._on_capabilities,
            State.STARTTLS: self._on_starttls,
        }

    def _capability_command(self) -> None:
        return None  # the server re-sends its capabilities by itself

    def _offers_starttls(self, caps: tuple[str, ...]) -> bool:
        return "STARTTLS" in caps

    def _response(self, text: str) -> tuple[str, str]:
        """(status, text) of a response line; anything else fails."""
        match = _RESPONSE.fullmatch(text)
        if match is None:
            self._garbage(text)
        self._end_reply()
        return match.group(1).upper(), response_text(match.group(2) or "")

    # --- handlers ---------------------------------------------------------------------

    def _on_capabilities(self, text: str) -> list[Action]:
        if _LITERAL.search(text):
            raise self._error(f"a literal, which this client does not read, in {quote(text)}")
        if text.startswith('"'):
            names = strings(text)
            if names is None or len(names) > 2:
                self._garbage(text)
            self._caps.append(capability(names))
            return []
        return self._on_capabilities_end(text)

    def _on_capabilities_end(self, text: str) -> list[Action]:
        lines = list(self._reply_lines)
        status, human = self._response(text)
        caps, self._caps = self._caps, []
        if status == "OK":
            if self.state is not State.TLS_CAPABILITIES:
                self._store_greeting(human, lines)
            return self._after_capabilities(caps)
        if self.state is not State.TLS_CAPABILITIES:
            raise Abort("conn.rate_limited", text)
        if status == "BYE":
            raise Abort("conn.closed", f"{self.state.value} (the server said {quote(text, 200)})")
        raise self._error(f"the response {quote(text, 200)}")

    def _on_starttls(self, text: str) -> list[Action]:
        status, _ = self._response(text)
        if status == "OK":
            return self._starttls_accepted()
        if status == "BYE":
            raise Abort("conn.closed", f"{self.state.value} (the server said {quote(text, 200)})")
        raise Abort("starttls.refused", text)
