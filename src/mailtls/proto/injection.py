# STARTTLS command injection probe (CVE-2011-0411 and its 2021 relatives, e.g. CVE-2021-33515,
# CVE-2021-38371). Sans-I/O.
#
# The client sends a harmless command in the same packet as STARTTLS ("STARTTLS\r\nNOOP\r\n").
# A sound server drops whatever plaintext is buffered when TLS starts. A vulnerable one keeps
# it and answers it *inside* TLS, where it looks as if the client had sent it: an attacker on
# the path can then insert commands (RCPT TO: a copy of the mail to himself).
#
# After the handshake the client sends exactly ONE probe command. The verdict comes from
# counting the server's complete replies, whatever their codes:
#   smtp   injected NOOP;            probe "MAILTLS-PROBE"  (a reply: a line "ddd " / "ddd")
#   imap   injected "mtls1 NOOP";    probe "mtls2 NOOP"     (a reply: a tagged line)
#   pop3   injected NOOP;            probe "MAILTLS-PROBE"  (a reply: "+OK..." / "-ERR...")
# Rules, in order:
#   - a reply that came before the probe was sent (``early()``) -> VULNERABLE
#   - a second reply (only one command was sent inside TLS)     -> VULNERABLE
#   - IMAP: the tag says whose reply it is: mtls1 -> VULNERABLE, mtls2 first -> NOT_VULNERABLE
#   - SMTP/POP3, first reply probe-like (4xx/5xx, -ERR): most likely the probe's, but a
#     server that answers everything with the same code would look the same: the reader is
#     ``lingering``; the caller waits a short moment for a second reply, then ``expire()``
#     -> NOT_VULNERABLE
#   - first reply injected-like (2xx/3xx, +OK): wait for a second reply; EOF or the end of
#     the wait (``expire()``) -> INCONCLUSIVE: one reply proves nothing (a sound server that
#     answers the unknown probe command with 250, then closes an idle connection, looks so)
#   - nothing, a line over the limit or more than MAX_BYTES -> INCONCLUSIVE.
# ``expire()`` after evidence is VULNERABLE. ManageSieve answers its capabilities unsolicited
# after TLS, which makes its replies ambiguous: it is not probed.

from __future__ import annotations

import enum

from .base import decode

INJECTED = {"smtp": "NOOP", "imap": "mtls1 NOOP", "pop3": "NOOP"}
PROBE = {"smtp": "MAILTLS-PROBE", "imap": "mtls2 NOOP", "pop3": "MAILTLS-PROBE"}
MAX_BYTES = 16384
MAX_LINE = 4096
SUPPORTED = frozenset(INJECTED)


class Verdict(enum.Enum):
    VULNERABLE = "vulnerable"
    NOT_VULNERABLE = "not vulnerable"
    INCONCLUSIVE = "inconclusive"


def injected_bytes(protocol: str) -> bytes:
    """What to append to the STARTTLS command, in the same write."""
    return INJECTED[protocol].encode("ascii") + b"\r\n"


def probe_bytes(protocol: str) -> bytes:
    """What to send once the TLS handshake is done."""
    return PROBE[protocol].encode("ascii") + b"\r\n"


class InjectionReader:
    """Counts the server's replies after the handshake until the verdict is clear.

    The caller: ``early()`` with whatever arrived before it wrote the probe command, then
    ``feed()`` each read (b"" at EOF); while ``lingering`` it waits only briefly for more;
    when a wait ends without bytes, ``expire()`` gives the verdict."""

    def __init__(self, protocol: str) -> None:
        if protocol not in SUPPORTED:
            raise ValueError(f"no injection probe for {protocol!r}")
        self.protocol = protocol
        self.evidence: list[str] = []  # lines received, for the finding's detail
        self.replies = 0  # complete replies counted
        self.verdict: Verdict | None = None
        self._buffer = b""
        self._seen = 0
        self._sent = True  # False only inside early()
        self._first: str | None = None  # "injected" or "probe": how the first reply looked

    @property
    def lingering(self) -> bool:
        """One probe-like reply and no verdict yet: wait a moment for a second one."""
        return self.verdict is None and self._first == "probe"

    def early(self, data: bytes) -> Verdict | None:
        """Bytes that arrived before the probe command was written: no reply among them
        can be its answer."""
        self._sent = False
        try:
            return self.feed(data) if data else self.verdict
        finally:
            self._sent = True

    def feed(self, data: bytes) -> Verdict | None:
        """Bytes from the server (b"" at EOF); the verdict once known."""
        if self.verdict is not None:
            return self.verdict
        if not data:
            return self.expire()
        self._seen += len(data)
        self._buffer += data
        while self.verdict is None and b"\n" in self._buffer:
            raw, _, self._buffer = self._buffer.partition(b"\n")
            self._line(decode(raw.rstrip(b"\r")))
        if self.verdict is None and (self._seen > MAX_BYTES or len(self._buffer) > MAX_LINE):
            self.verdict = Verdict.INCONCLUSIVE
        return self.verdict

    def expire(self) -> Verdict:
        """No more bytes (EOF, or the wait ended): the verdict from what was counted."""
        if self.verdict is None:
            probe_like = self._first == "probe"
            self.verdict = Verdict.NOT_VULNERABLE if probe_like else Verdict.INCONCLUSIVE
        return self.verdict

    def _line(self, text: str) -> None:
        if len(self.evidence) < 20:
            self.evidence.append(text[:200])
        kind = {"smtp": _smtp, "imap": _imap, "pop3": _pop3}[self.protocol](text)
        if kind is None:
            return
        self.replies += 1
        if not self._sent or self.replies >= 2 or (self.protocol == "imap" and kind == "injected"):
            self.verdict = Verdict.VULNERABLE
        elif self.protocol == "imap":  # mtls2 before any mtls1: the tags leave no doubt
            self.verdict = Verdict.NOT_VULNERABLE
        else:
            self._first = kind


def _smtp(text: str) -> str | None:
    if len(text) < 3 or not text[:3].isdigit() or text[3:4] == "-":
        return None  # continuation or garbage
    return "probe" if text[0] in "45" else "injected"


def _imap(text: str) -> str | None:
    tag = text.split(" ", 1)[0].lower()
    return {"mtls1": "injected", "mtls2": "probe"}.get(tag)


def _pop3(text: str) -> str | None:
    if text.startswith("-ERR"):
        return "probe"
    if text.startswith("+OK"):
        return "injected"
    return None
