# SMTP client dialogue up to and after STARTTLS (RFC 5321, RFC 3207); also submission and
# smtps (implicit TLS, RFC 8314). Sans-I/O: see base.py for the actions and the loop.
#
# Replies (RFC 5321 section 4.2): lines "DDD-text" continue, "DDD text" or a bare "DDD"
# end the reply; the code must be the same on every line of a reply. A code is the
# RFC's Reply-code: first digit 2-5, second 0-5, third 0-9 (%x32-35 %x30-35 %x30-39).
# Any other line is garbage -> protocol_error. A complete reply with code 421 fails as
# conn.rate_limited in every state.
#
# This grammar is the only SMTP reply grammar of mailtls: ReplyAssembler turns lines
# into replies for these dialogues, and ReplyReader (LineReader + ReplyAssembler, with
# the same limits) turns bytes into replies for mailtls.client, which does its own I/O
# and must know how many bytes follow a reply (response injection, CVE-2011-0411).
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

from mailtls.errors import ProtocolError
from mailtls.proto.base import (
    Abort,
    Action,
    Dialogue,
    LineReader,
    LineTooLong,
    State,
    decode,
    keyword_upper,
    quote,
)

_LINE = re.compile(r"([2-5][0-5][0-9])(?:([ -])(.*))?", re.DOTALL)
MESSAGE_CHARS = 500


class ReplyError(ProtocolError):
    """Server bytes that are not SMTP replies; the message names what was wrong."""


@dataclass(frozen=True)
class Reply:
    """One complete SMTP reply: its code, its lines and the text of each line."""

    code: int
    lines: tuple[str, ...]
    texts: tuple[str, ...]

    @property
    def message(self) -> str:
        """The reply as one line for messages (at most 500 characters)."""
        text = " ".join(t for t in self.texts if t)
        return f"{self.code} {text}"[:MESSAGE_CHARS].strip()


class ReplyAssembler:
    """Lines in, complete replies out: the one SMTP reply grammar (see the header)."""

    def __init__(self) -> None:
        self._code: int | None = None
        self._lines: list[str] = []
        self._texts: list[str] = []

    def add(self, line: str) -> Reply | None:
        """Add one line (without its line end); the reply once its last line is in.

        Raises ReplyError for a line outside the grammar or a code that changes.
        """
        match = _LINE.fullmatch(line)
        if match is None:
            self.reset()
            raise ReplyError(f"the unexpected line {quote(line)}")
        code = int(match.group(1))
        if self._code is not None and code != self._code:
            first = self._code
            self.reset()
            raise ReplyError(f"a reply whose code changes from {first} to {code}")
        self._code = code
        self._lines.append(line)
        self._texts.append(match.group(3) or "")
        if match.group(2) == "-":
            return None
        reply = Reply(code, tuple(self._lines), tuple(self._texts))
        self.reset()
        return reply

    def reset(self) -> None:
        self._code, self._lines, self._texts = None, [], []


class ReplyReader:
    """Bytes in, complete replies out, for a caller that does its own I/O (the client).

    The limits are the dialogues': a line longer than ``max_line`` bytes or a reply longer
    than ``max_reply_bytes`` raises ReplyError, and at most ``max_line`` bytes of an
    unfinished line are held. Bytes after the last complete reply stay unread:
    ``buffered`` counts them, so a client can refuse to start TLS while any are there.
    After a ReplyError the reader is empty; the caller is expected to close.
    """

    def __init__(self, *, max_line: int = 8192, max_reply_bytes: int = 1 << 20) -> None:
        if max_line < 1 or max_reply_bytes < 1:
            raise ValueError("max_line and max_reply_bytes must be positive")
        self.max_reply_bytes = max_reply_bytes
        self._lines = LineReader(max_line)
        self._grammar = ReplyAssembler()
        self._size = 0

    @property
    def max_line(self) -> int:
        return self._lines.max_line

    @property
    def buffered(self) -> int:
        """Bytes received and not yet part of a returned reply's last line."""
        return self._lines.buffered

    def feed(self, data: bytes) -> None:
        self._lines.feed(data)

    def next_reply(self) -> Reply | None:
        """The next complete reply, or None when more bytes are needed."""
        while True:
            try:
                raw = self._lines.next_line()
            except LineTooLong:
                self._fail()
                raise ReplyError(f"a line longer than {self.max_line} bytes") from None
            if raw is None:
                return None
            self._size += len(raw) + 2
            if self._size > self.max_reply_bytes:
                self._fail()
                raise ReplyError(f"a reply longer than {self.max_reply_bytes} bytes")
            try:
                reply = self._grammar.add(decode(raw))
            except ReplyError:
                self._fail()
                raise
            if reply is not None:
                self._size = 0
                return reply

    def _fail(self) -> None:
        self._lines.clear()
        self._grammar.reset()
        self._size = 0


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
        self._replies = ReplyAssembler()

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
        try:
            reply = self._replies.add(text)
        except ReplyError as exc:
            raise self._error(str(exc)) from None
        if reply is None:
            return None
        self._end_reply()
        if reply.code == 421:
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
