# The server side of a mail dialogue, as a rogue server plays it (sans-I/O, h11 style).
#
# The listener feeds the client's bytes in and gets actions out:
#   Send(data)       write data to the client
#   StartTLS()       do the server-side TLS handshake now, then call tls_established(desc)
#   Close()          close the connection
# ``holding`` is true while a reply is held back (the response-injection scenario): the
# listener waits a little for more bytes and then calls release(), which sends the reply.
#
#   start() --plain-------> greeting sent, PLAIN
#   start() --implicit----> StartTLS; tls_established() -> greeting sent, TLS
#   PLAIN --STARTTLS, accepted--> reply (+ injected bytes) + StartTLS; buffered bytes dropped
#   PLAIN --STARTTLS, rejected--> error reply, stays PLAIN
#   any --QUIT / LOGOUT---------> reply + Close
#   any --line over MAX_LINE----> counted as garbage, an error reply, Close
#
# What the client did is recorded in ``capture`` (a Capture): the command verbs before and
# after TLS, each authentication (mechanism and user; a password is never kept, only the
# fact that one was captured), the envelope and the size of a message. Nothing raises on
# client input: unknown or malformed commands are counted as garbage and answered with an
# error.

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

MAX_LINE = 8192
MAX_MESSAGE = 1 << 16
MAX_COMMANDS = 200
MAX_GARBAGE = 20


@dataclass(frozen=True)
class Send:
    data: bytes


@dataclass(frozen=True)
class StartTLS:
    """Do the server-side TLS handshake on the raw connection now."""


@dataclass(frozen=True)
class Close:
    """Close the connection."""


ServerAction = Send | StartTLS | Close


@dataclass(frozen=True)
class ServerOptions:
    """How the rogue server behaves: the scenario's part of the dialogue."""

    implicit_tls: bool = False
    offer_starttls: bool = True
    starttls: str = "accept"  # accept | reject | inject
    hostname: str = "mail.example.test"


@dataclass
class AuthAttempt:
    mechanism: str
    user: str = ""
    password_captured: bool = False
    over_tls: bool = False


@dataclass
class Capture:
    """Everything the client did on one connection (passwords are never kept)."""

    tls: str | None = None
    commands_before_tls: list[str] = field(default_factory=list)
    commands_after_tls: list[str] = field(default_factory=list)
    auth: list[AuthAttempt] = field(default_factory=list)
    mail_from: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    message: bytes = b""
    message_bytes: int = 0
    data_sent: bool = False
    desync: bool = False
    garbage: int = 0

    @property
    def credentials_sent(self) -> bool:
        return any(a.password_captured or a.user for a in self.auth)

    @property
    def mail_sent(self) -> bool:
        return self.data_sent or bool(self.recipients)


def b64_text(data: str) -> str | None:
    """The base64 ``data`` decoded as UTF-8 (replacing errors), None if not base64."""
    try:
        return base64.b64decode(data.strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def plain_user(response: str) -> tuple[str, bool]:
    """(user, password present) from a SASL PLAIN response; the password is dropped."""
    text = b64_text(response)
    if text is None:
        return "", False
    parts = text.split("\0")
    if len(parts) != 3:
        return "", False
    authzid, authcid, password = parts
    return authcid or authzid, bool(password)


class ServerDialogue:
    """Shared line handling; a protocol defines greeting() and on_line()."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.capture = Capture()
        self.tls = False
        self.closed = False
        self.holding = False
        self._held: list[ServerAction] = []
        self._hold_next = False
        self._buffer = b""
        self._awaiting_tls = False

    # -- the listener's side -------------------------------------------------------------
    def start(self) -> list[ServerAction]:
        if self.options.implicit_tls:
            self._awaiting_tls = True
            return [StartTLS()]
        return [Send(self.greeting())]

    def tls_established(self, description: str) -> list[ServerAction]:
        if not self._awaiting_tls:
            raise RuntimeError("tls_established() without a StartTLS action")
        self._awaiting_tls = False
        self.tls = True
        self.capture.tls = description
        self._buffer = b""
        if self.options.implicit_tls:
            return [Send(self.greeting())]
        self._hold_next = self.options.starttls == "inject"
        return []

    def receive_data(self, data: bytes) -> list[ServerAction]:
        if self.closed or self._awaiting_tls:
            return []
        if not data:
            self.closed = True
            return [Close()]
        self._buffer += data
        actions: list[ServerAction] = []
        while not self.closed and not self._awaiting_tls:
            line, sep, rest = self._buffer.partition(b"\n")
            if not sep:
                if len(self._buffer) > MAX_LINE:
                    return actions + self._garbage_close()
                break
            self._buffer = rest
            if len(line) > MAX_LINE:
                return actions + self._garbage_close()
            actions += self._dispatch(line.rstrip(b"\r").decode("utf-8", "replace"))
        if self._awaiting_tls:
            self._buffer = b""  # bytes pipelined after STARTTLS are never read as TLS data
        return actions

    def release(self) -> list[ServerAction]:
        """Send the reply held back while waiting to see whether the client desynchronised."""
        held, self._held, self.holding = self._held, [], False
        return held

    # -- for the protocols ---------------------------------------------------------------
    def greeting(self) -> bytes:
        raise NotImplementedError

    def on_line(self, line: str) -> list[ServerAction]:
        raise NotImplementedError

    def verb(self, verb: str) -> None:
        target = (self.capture.commands_after_tls if self.tls
                  else self.capture.commands_before_tls)
        if len(target) < MAX_COMMANDS:
            target.append(verb[:32].upper())

    def begin_tls(self, reply: bytes, injected: bytes) -> list[ServerAction]:
        self._awaiting_tls = True
        data = reply + (injected if self.options.starttls == "inject" else b"")
        return [Send(data), StartTLS()]

    def add_auth(self, mechanism: str, user: str = "", captured: bool = False) -> AuthAttempt:
        attempt = AuthAttempt(mechanism.upper()[:40], user[:200], captured, self.tls)
        self.capture.auth.append(attempt)
        return attempt

    def keep_message_line(self, line: str) -> None:
        raw = (line[1:] if line.startswith("..") else line).encode() + b"\r\n"
        self.capture.message_bytes += len(raw)
        if len(self.capture.message) < MAX_MESSAGE:
            self.capture.message += raw[: MAX_MESSAGE - len(self.capture.message)]

    def garbage(self) -> None:
        self.capture.garbage += 1

    def _garbage_close(self) -> list[ServerAction]:
        self.capture.garbage += 1
        self.closed = True
        return [Close()]

    def _dispatch(self, line: str) -> list[ServerAction]:
        if self.holding:
            self.capture.desync = True  # a command before the reply to the last one
            actions = self.release()
        else:
            actions = []
        out = self.on_line(line)
        if self.capture.garbage > MAX_GARBAGE:
            self.closed = True
            return [*actions, *out, Close()]
        if self._hold_next and self.tls and out:
            self._hold_next = False
            self.holding = True
            self._held = out
            return actions
        return actions + out
