# STARTTLS command injection probe (CVE-2011-0411 and its 2021 relatives, e.g. CVE-2021-33515,
# CVE-2021-38371). Sans-I/O.
#
# The client sends a harmless command in the same packet as STARTTLS ("STARTTLS\r\nNOOP\r\n").
# A sound server drops whatever plaintext is buffered when TLS starts. A vulnerable one keeps
# it and answers it *inside* TLS, where it looks as if the client had sent it: an attacker on
# the path can then insert commands (RCPT TO: a copy of the mail to himself).
#
# After the handshake the client sends a probe command whose answer is unmistakable, and this
# reader reads until that answer:
#   smtp   injected NOOP -> 250;      probe "MAILTLS-PROBE" -> 5xx (unknown command)
#   imap   injected "mtls1 NOOP";     probe "mtls2 NOOP"      (told apart by their tags)
#   pop3   injected NOOP -> +OK;      probe "MAILTLS-PROBE" -> -ERR
# Any reply before the probe's answer -> VULNERABLE; the probe's answer alone -> NOT_VULNERABLE.
# EOF after a reply to the injected command also counts as VULNERABLE; any other EOF, a line
# over the limit or more than MAX_BYTES -> INCONCLUSIVE. ManageSieve answers its capabilities
# unsolicited after TLS, which makes its replies ambiguous: it is not probed.

from __future__ import annotations

import enum

from .base import decode

INJECTED = {"smtp": "NOOP", "imap": "mtls1 NOOP", "pop3": "NOOP"}
PROBE = {"smtp": "MAILTLS-PROBE", "imap": "mtls2 NOOP", "pop3": "MAILTLS-PROBE"}
MAX_BYTES = 16384
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
    """Reads the server's answers after the handshake until the verdict is clear."""

    def __init__(self, protocol: str) -> None:
        if protocol not in SUPPORTED:
            raise ValueError(f"no injection probe for {protocol!r}")
        self.protocol = protocol
        self.evidence: list[str] = []  # lines received, for the finding's detail
        self._buffer = b""
        self._seen = 0
        self._injected_answered = False
        self.verdict: Verdict | None = None

    def feed(self, data: bytes) -> Verdict | None:
        """Bytes from the server (b"" at EOF); the verdict once known."""
        if self.verdict is not None:
            return self.verdict
        if not data:
            self.verdict = Verdict.VULNERABLE if self._injected_answered else Verdict.INCONCLUSIVE
            return self.verdict
        self._seen += len(data)
        self._buffer += data
        while self.verdict is None and b"\n" in self._buffer:
            raw, _, self._buffer = self._buffer.partition(b"\n")
            self._line(decode(raw.rstrip(b"\r")))
        if self.verdict is None and (self._seen > MAX_BYTES or len(self._buffer) > 4096):
            self.verdict = Verdict.INCONCLUSIVE
        return self.verdict

    def _line(self, text: str) -> None:
        if len(self.evidence) < 20:
            self.evidence.append(text[:200])
        kind = {"smtp": _smtp, "imap": _imap, "pop3": _pop3}[self.protocol](text)
        if kind == "injected":
            self._injected_answered = True
        elif kind == "probe":
            injected = self._injected_answered
            self.verdict = Verdict.VULNERABLE if injected else Verdict.NOT_VULNERABLE


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
