# Shared rules of the mail dialogues (sans-I/O, h11 style: the caller does all I/O).
#
# The caller feeds the server's bytes in and gets actions out:
#   Send(data)          write data to the server
#   StartTLS()          do the TLS handshake now, then call tls_established()
#   Finished()          the dialogue is over; close; `result` holds everything
#   Failed(id, reason)  the dialogue is over with an error; close
#
# States (shared by every protocol; the protocol modules fill in the handlers):
#
#   IDLE --start()--> GREETING                      (STARTTLS mode)
#   IDLE --start()--> AWAIT_TLS       + StartTLS    (implicit TLS)
#   GREETING --greeting--> CAPABILITIES + capability command
#                          (or straight on when the greeting carries the capabilities)
#   CAPABILITIES --capabilities, STARTTLS offered--> STARTTLS + STARTTLS command
#   CAPABILITIES --capabilities, not offered-------> DONE + quit command + Finished
#   STARTTLS --positive reply--> AWAIT_TLS + StartTLS
#   AWAIT_TLS --tls_established()--> TLS_CAPABILITIES + capability command   (STARTTLS mode)
#                                   (DONE + quit + Finished without post_tls_capabilities)
#   AWAIT_TLS --tls_established()--> TLS_GREETING                          (implicit TLS)
#   TLS_GREETING --greeting--> TLS_CAPABILITIES + capability command
#   TLS_CAPABILITIES --capabilities--> DONE + quit command + Finished
#   any state but DONE/FAILED --error, EOF, overlong line or reply--> FAILED + Failed
#
# Lines end with LF (a CR before it is dropped). A line longer than max_line bytes, or a
# reply (all lines up to the protocol's end of reply) longer than max_reply_bytes, fails at
# once; at most max_line bytes of an unfinished line are ever held. Bytes that follow the
# positive STARTTLS reply are never parsed: they are kept in bytes_after_starttls_reply.
# Nothing raises on server input; caller misuse (receive_data before start(),
# tls_established() out of turn) raises RuntimeError.
#
# Failed reasons are written to fill the catalogue's templates: conn.closed -> the phase,
# conn.rate_limited and starttls.refused -> the server's reply, conn.protocol_error -> a
# clause naming what was wrong and the phase.

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NoReturn

from mailtls.errors import ProtocolError

TRANSCRIPT_ENTRIES = 200
TRANSCRIPT_LINE_CHARS = 500
REPLY_TEXT_CHARS = 2000
QUOTE_CHARS = 60


@dataclass(frozen=True)
class Send:
    """Write these bytes to the server."""

    data: bytes


@dataclass(frozen=True)
class StartTLS:
    """Do the TLS handshake now, on the raw stream; then call ``tls_established()``."""


@dataclass(frozen=True)
class Finished:
    """The dialogue is over; close the connection."""


@dataclass(frozen=True)
class Failed:
    """The dialogue is over with an error (a finding id); close the connection."""

    finding_id: str
    reason: str


Action = Send | StartTLS | Finished | Failed


@dataclass
class DialogueResult:
    """What the dialogue learnt; complete once Finished (partial after Failed)."""

    banner: str | None = None
    greeting_lines: list[str] = field(default_factory=list)
    capabilities_before_tls: tuple[str, ...] = ()
    capabilities_after_tls: tuple[str, ...] = ()
    starttls_offered: bool | None = None
    tls_started: bool = False
    bytes_after_starttls_reply: bytes = b""
    transcript: list[tuple[str, str]] = field(default_factory=list)
    last_reply: str | None = None


class State(enum.Enum):
    """Where a dialogue stands; the value is the phase as a reason names it."""

    IDLE = "not started"
    GREETING = "waiting for the greeting"
    CAPABILITIES = "waiting for the capabilities"
    STARTTLS = "waiting for the reply to STARTTLS"
    AWAIT_TLS = "waiting for the TLS handshake"
    TLS_GREETING = "waiting for the greeting after the TLS handshake"
    TLS_CAPABILITIES = "waiting for the capabilities after the TLS handshake"
    DONE = "finished"
    FAILED = "failed"


_PAUSED = frozenset({State.AWAIT_TLS, State.DONE, State.FAILED})


class Abort(ProtocolError):
    """Raised inside a dialogue; the loop turns it into a Failed action."""

    def __init__(self, finding_id: str, reason: str) -> None:
        super().__init__(reason)
        self.finding_id = finding_id
        self.reason = reason


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The first ``limit`` characters of a line, escaped for a message."""
    return ascii(text[:limit])


def decode(raw: bytes) -> str:
    """UTF-8 when it is, Latin-1 otherwise: never raises."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def keyword_upper(line: str) -> str:
    """``auth PLAIN login`` -> ``AUTH PLAIN login``: keyword upper-cased, parameters kept."""
    parts = line.strip().split(None, 1)
    if not parts:
        return ""
    return " ".join([parts[0].upper(), *parts[1:]])


class LineTooLong(ValueError):
    """A line grew past ``max_line`` bytes without its LF."""


class LineReader:
    """Splits a byte stream into lines, holding at most ``max_line`` unfinished bytes."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._partial = bytearray()
        self._chunk = b""
        self._pos = 0

    @property
    def buffered(self) -> int:
        """Bytes held: the unfinished line plus any unread part of the current chunk."""
        return len(self._partial) + len(self._chunk) - self._pos

    @property
    def partial(self) -> bytes:
        return bytes(self._partial)

    def feed(self, data: bytes) -> None:
        if self._pos < len(self._chunk):  # left unread by smtp.ReplyReader, never by Dialogue
            data = self._chunk[self._pos :] + data
        self._chunk, self._pos = data, 0

    def next_line(self) -> bytes | None:
        """The next complete line without its LF (and CR), or None when more is needed.

        Raises LineTooLong as soon as the line (up to its LF, CR included) passes max_line.
        """
        end = self._chunk.find(b"\n", self._pos)
        size = len(self._partial) + (len(self._chunk) if end < 0 else end) - self._pos
        if size > self.max_line:
            self.clear()
            raise LineTooLong(self.max_line)
        if end < 0:
            self._partial += self._chunk[self._pos :]
            self._chunk, self._pos = b"", 0
            return None
        line = bytes(self._partial) + self._chunk[self._pos : end]
        self._partial.clear()
        self._pos = end + 1
        return line[:-1] if line.endswith(b"\r") else line

    def take_rest(self) -> bytes:
        rest = bytes(self._partial) + self._chunk[self._pos :]
        self.clear()
        return rest

    def clear(self) -> None:
        self._partial.clear()
        self._chunk, self._pos = b"", 0


class Dialogue:
    """The client side of one mail dialogue; subclasses supply commands and handlers."""

    protocol = "?"
    starttls_command = "STARTTLS"
    quit_command = "QUIT"

    def __init__(
        self,
        *,
        implicit_tls: bool,
        post_tls_capabilities: bool = True,
        max_line: int = 8192,
        max_reply_bytes: int = 1 << 20,
    ) -> None:
        if max_line < 1 or max_reply_bytes < 1:
            raise ValueError("max_line and max_reply_bytes must be positive")
        self.implicit_tls = implicit_tls
        self.post_tls_capabilities = post_tls_capabilities
        self.max_reply_bytes = max_reply_bytes
        self.result = DialogueResult()
        self.state = State.IDLE
        self._reader = LineReader(max_line)
        self._reply_lines: list[str] = []
        self._reply_bytes = 0
        self._setup()
        self._handlers = self._table()

    def _setup(self) -> None:
        """Per-protocol state, set before the handler table is built."""

    @property
    def finished(self) -> bool:
        return self.state in (State.DONE, State.FAILED)

    # --- the caller's interface -------------------------------------------------------

    def start(self) -> list[Action]:
        if self.state is not State.IDLE:
            raise RuntimeError(f"start() called twice ({self.state.value})")
        if self.implicit_tls:
            self.state = State.AWAIT_TLS
            return [StartTLS()]
        self.state = State.GREETING
        return []

    def receive_data(self, data: bytes) -> list[Action]:
        """Feed bytes read from the server (b"" for EOF); returns the actions to take."""
        if self.finished:
            return []
        if self.state is State.IDLE:
            raise RuntimeError("receive_data() called before start()")
        if not data:
            return [self._fail(Abort("conn.closed", self._eof_reason()))]
        if self.state is State.AWAIT_TLS:
            self._keep_early_bytes(data)
            return []
        self._reader.feed(data)
        actions: list[Action] = []
        try:
            while self.state not in _PAUSED:
                raw = self._next_line()
                if raw is None:
                    break
                actions += self._dispatch(raw)
        except Abort as exc:
            actions.append(self._fail(exc))
        self._settle()
        return actions

    def tls_established(self) -> list[Action]:
        """Call after the handshake that StartTLS asked for; returns the next actions."""
        if self.finished:
            return []
        if self.state is not State.AWAIT_TLS:
            raise RuntimeError(f"tls_established() called while {self.state.value}")
        self.result.tls_started = True
        self._reader.clear()
        self._reply_lines, self._reply_bytes = [], 0
        if self.implicit_tls:
            self.state = State.TLS_GREETING
            return []
        if not self.post_tls_capabilities:
            return self._quit()
        return self._request_capabilities()

    # --- the loop ---------------------------------------------------------------------

    def _next_line(self) -> bytes | None:
        try:
            return self._reader.next_line()
        except LineTooLong:
            raise self._error(f"a line longer than {self._reader.max_line} bytes") from None

    def _dispatch(self, raw: bytes) -> list[Action]:
        self._reply_bytes += len(raw) + 2
        if self._reply_bytes > self.max_reply_bytes:
            raise self._error(f"a reply longer than {self.max_reply_bytes} bytes")
        text = decode(raw)
        self._log("S", text)
        self._reply_lines.append(text)
        handler = self._handlers.get(self.state)
        if handler is None:
            raise self._error("an internal error: no handler")
        return handler(text)

    def _settle(self) -> None:
        """After a chunk: what follows a positive STARTTLS reply is kept, never parsed."""
        if self.state is State.AWAIT_TLS:
            self._keep_early_bytes(self._reader.take_rest())
        elif self.finished:
            self._reader.clear()

    def _fail(self, exc: Abort) -> Failed:
        self.state = State.FAILED
        self._reader.clear()
        self._reply_lines, self._reply_bytes = [], 0
        return Failed(exc.finding_id, exc.reason)

    def _eof_reason(self) -> str:
        partial = self._reader.partial
        if partial:
            return f"{self.state.value} (after an incomplete line {quote(decode(partial))})"
        return self.state.value

    def _keep_early_bytes(self, data: bytes) -> None:
        if self.implicit_tls:
            return
        kept = self.result.bytes_after_starttls_reply
        room = self._reader.max_line - len(kept)
        if room > 0:
            self.result.bytes_after_starttls_reply = kept + data[:room]

    def _log(self, who: str, text: str) -> None:
        if len(self.result.transcript) < TRANSCRIPT_ENTRIES:
            self.result.transcript.append((who, text[:TRANSCRIPT_LINE_CHARS]))

    # --- helpers for the protocol handlers --------------------------------------------

    def _send(self, command: str) -> Send:
        self._log("C", command)
        return Send(command.encode("utf-8") + b"\r\n")

    def _end_reply(self) -> list[str]:
        """Close the current reply: remember it as last_reply, return its lines."""
        lines, self._reply_lines, self._reply_bytes = self._reply_lines, [], 0
        self.result.last_reply = "\n".join(lines)[:REPLY_TEXT_CHARS]
        return lines

    def _reply_text(self) -> str:
        return (self.result.last_reply or "").replace("\n", " ")

    def _error(self, what: str) -> Abort:
        return Abort("conn.protocol_error", f"{what} while {self.state.value}")

    def _garbage(self, text: str) -> NoReturn:
        raise self._error(f"the unexpected line {quote(text)}")

    def _store_greeting(self, banner: str, lines: Iterable[str]) -> None:
        self.result.banner = banner
        self.result.greeting_lines = list(lines)

    def _after_greeting(self) -> list[Action]:
        if self.result.tls_started and not self.post_tls_capabilities:
            return self._quit()
        return self._request_capabilities()

    def _request_capabilities(self) -> list[Action]:
        tls = self.result.tls_started
        self.state = State.TLS_CAPABILITIES if tls else State.CAPABILITIES
        command = self._capability_command()
        return [self._send(command)] if command else []

    def _after_capabilities(self, caps: Iterable[str]) -> list[Action]:
        caps = tuple(caps)
        if self.result.tls_started:
            self.result.capabilities_after_tls = caps
            return self._quit()
        self.result.capabilities_before_tls = caps
        self.result.starttls_offered = self._offers_starttls(caps)
        if not self.result.starttls_offered:
            return self._quit()
        self.state = State.STARTTLS
        return [self._send(self._command(self.starttls_command))]

    def _starttls_accepted(self) -> list[Action]:
        self.state = State.AWAIT_TLS
        return [StartTLS()]

    def _quit(self) -> list[Action]:
        self.state = State.DONE
        return [self._send(self._command(self.quit_command)), Finished()]

    # --- what each protocol supplies --------------------------------------------------

    def _table(self) -> dict[State, Callable[[str], list[Action]]]:
        """The handler of a line for each state that reads from the server."""
        raise NotImplementedError

    def _command(self, verb: str) -> str:
        """The command line for a verb (IMAP adds a tag)."""
        return verb

    def _capability_command(self) -> str | None:
        raise NotImplementedError

    def _offers_starttls(self, caps: tuple[str, ...]) -> bool:
        raise NotImplementedError
