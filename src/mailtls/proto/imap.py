# IMAP client dialogue up to and after STARTTLS (RFC 9051, RFC 3501, RFC 2595); also imaps
# (implicit TLS, RFC 8314). Sans-I/O: see base.py for the actions and the loop.
#
# Lines: untagged "* ..." (collected until the tagged one), tagged "<tag> OK|NO|BAD ...".
# Tags are a1, a2, ... in order, never reused; a tagged line with another tag, a
# continuation "+ ...", a literal "{n}" or anything else is garbage -> protocol_error.
# An untagged BYE outside the greeting -> conn.closed (the server is leaving).
#
#   state             line                         -> next state, actions
#   GREETING          * OK / * PREAUTH [CAPABILITY]-> as CAPABILITIES below, no command
#                     * OK / * PREAUTH             -> CAPABILITIES, Send "aN CAPABILITY"
#                     * BYE                        -> FAILED, Failed conn.rate_limited
#   CAPABILITIES      * CAPABILITY ...             -> (collected)
#                     aN OK, STARTTLS offered      -> STARTTLS, Send "aN STARTTLS"
#                     aN OK, not offered           -> DONE, Send "aN LOGOUT", Finished
#                     aN NO / BAD                  -> FAILED, Failed conn.protocol_error
#   STARTTLS          aN OK                        -> AWAIT_TLS, StartTLS
#                     aN NO / BAD                  -> FAILED, Failed starttls.refused
#   AWAIT_TLS         tls_established()            -> TLS_CAPABILITIES, Send "aN CAPABILITY"
#                                                     (or LOGOUT; TLS_GREETING for imaps)
#   TLS_GREETING      as GREETING                  -> TLS_CAPABILITIES or DONE
#   TLS_CAPABILITIES  aN OK                        -> DONE, Send "aN LOGOUT", Finished
#
# Capabilities are the atoms upper-cased ("IMAP4REV1", "AUTH=PLAIN"), from "* CAPABILITY"
# or a "[CAPABILITY ...]" response code. The LOGOUT reply is never awaited. The banner is
# the greeting's text without "* OK" and without its response code.

from __future__ import annotations

import re
from collections.abc import Callable

from mailtls.proto.base import Abort, Action, Dialogue, State, quote

_GREETING = re.compile(r"\* (OK|PREAUTH|BYE)(?: (.*))?", re.IGNORECASE | re.DOTALL)
_TAGGED = re.compile(r"(\S+) (OK|NO|BAD)(?: (.*))?", re.IGNORECASE | re.DOTALL)
_UNTAGGED_CAPS = re.compile(r"\* CAPABILITY(?: (.*))?", re.IGNORECASE | re.DOTALL)
_UNTAGGED_BYE = re.compile(r"\* BYE(?: .*)?", re.IGNORECASE | re.DOTALL)
_CODE_CAPS = re.compile(r"\[CAPABILITY ([^\]]*)\]", re.IGNORECASE)
_RESP_CODE = re.compile(r"\[[^\]]*\] *")
_LITERAL = re.compile(r"\{[0-9]+\+?\}")


def atoms(text: str) -> tuple[str, ...]:
    """``IMAP4rev1 auth=PLAIN`` -> ``("IMAP4REV1", "AUTH=PLAIN")``."""
    return tuple(atom.upper() for atom in text.split())


class IMAPDialogue(Dialogue):
    """IMAP with STARTTLS (imap) or implicit TLS (imaps)."""

    protocol = "imap"
    quit_command = "LOGOUT"

    def _setup(self) -> None:
        self._tag_number = 0
        self.tag = ""
        self._caps: tuple[str, ...] | None = None

    def _table(self) -> dict[State, Callable[[str], list[Action]]]:
        return {
            State.GREETING: self._on_greeting,
            State.TLS_GREETING: self._on_greeting,
            State.CAPABILITIES: self._on_capability,
            State.TLS_CAPABILITIES: self._on_capability,
            State.STARTTLS: self._on_starttls,
        }

    def _command(self, verb: str) -> str:
        self._tag_number += 1
        self.tag = f"a{self._tag_number}"
        self._caps = None  # capabilities belong to the response of one command
        return f"{self.tag} {verb}"

    def _capability_command(self) -> str:
        return self._command("CAPABILITY")

    def _offers_starttls(self, caps: tuple[str, ...]) -> bool:
        return "STARTTLS" in caps

    # --- responses --------------------------------------------------------------------

    def _tagged(self, text: str) -> tuple[str, str] | None:
        """Take one line of a command's response; (status, text) once the tagged line is in."""
        self._refuse_literal(text)
        if text.startswith("* "):
            self._on_untagged(text)
            return None
        match = _TAGGED.fullmatch(text)
        if match is None or match.group(1) != self.tag:
            self._garbage(text)
        self._end_reply()
        return match.group(2).upper(), match.group(3) or ""

    def _refuse_literal(self, text: str) -> None:
        if _LITERAL.search(text):
            raise self._error(f"a literal, which this client does not read, in {quote(text)}")

    def _on_untagged(self, text: str) -> None:
        if _UNTAGGED_BYE.fullmatch(text):
            raise Abort("conn.closed", f"{self.state.value} (the server said {quote(text, 200)})")
        caps = _UNTAGGED_CAPS.fullmatch(text)
        if caps is not None:
            self._caps = atoms(caps.group(1) or "")

    # --- handlers ---------------------------------------------------------------------

    def _on_greeting(self, text: str) -> list[Action]:
        self._refuse_literal(text)
        match = _GREETING.fullmatch(text)
        if match is None:
            self._garbage(text)
        self._end_reply()
        if match.group(1).upper() == "BYE":
            raise Abort("conn.rate_limited", text)
        rest = match.group(2) or ""
        code = _RESP_CODE.match(rest)
        self._store_greeting(rest[code.end() :] if code else rest, [text])
        caps = _CODE_CAPS.match(rest)
        if caps is not None:
            return self._after_capabilities(atoms(caps.group(1)))
        return self._after_greeting()

    def _on_capability(self, text: str) -> list[Action]:
        response = self._tagged(text)
        if response is None:
            return []
        status, rest = response
        if status != "OK":
            raise self._error(f"the CAPABILITY reply {quote(text, 200)}")
        caps = self._caps
        if caps is None:
            code = _CODE_CAPS.match(rest)
            caps = atoms(code.group(1)) if code else ()
        return self._after_capabilities(caps)

    def _on_starttls(self, text: str) -> list[Action]:
        response = self._tagged(text)
        if response is None:
            return []
        if response[0] != "OK":
            raise Abort("starttls.refused", text)
        return self._starttls_accepted()
