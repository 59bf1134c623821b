# What the first bytes of a server say about its port, and the scheme that fits it (sans-I/O).
#
# Used to name the most common scan mistake: a STARTTLS scheme on a port that speaks TLS at
# once (smtp://host:465) or an implicit-TLS scheme on a port that greets in clear text
# (smtps://host:587).
#
# Rules:
# - sniff(head) looks only at the start of what the server sent and returns a Sniff:
#   MORE while the bytes cannot tell yet, then TLS, PLAIN (with the mail protocol) or OTHER.
#   The answer for a prefix never changes once it is not MORE (feeding more bytes agrees).
# - TLS: a record header of type handshake (22) or alert (21) with version 3.0 to 3.4;
#   a handshake record must carry a ServerHello (message type 2) as its first message, an
#   alert record is 2 bytes long. An SSL 2.0 record (high bit set) carrying SERVER-HELLO (4)
#   or ERROR (0) counts too. Every one of these is a TLS stack answering a ClientHello.
# - PLAIN, by the first line (CR LF or LF ended, or as far as it goes):
#     smtp   three digits, then space, dash or the line end      "220 mx ESMTP", "421-..."
#     imap   "* OK", "* PREAUTH" or "* BYE"                       (RFC 9051 greeting)
#     pop3   "+OK" or "-ERR"                                     (RFC 1939 greeting)
#     sieve  a quoted capability name, or OK/NO/BYE               ("IMPLEMENTATION" "...")
#   Text that matches none of them (an HTTP reply, an SSH banner) is OTHER.
# - GREETING_CHARS bounds the greeting kept for the report; non-printable bytes become "?".
# - suggest_tls(target) / suggest_plain(target, protocol) give the target with the scheme
#   that fits what the port spoke, same host and port; ManageSieve has no implicit-TLS
#   scheme, so a TLS port named sieve:// is sent to the ManageSieve port (4190).

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from mailtls.model import SCHEMES, Target

GREETING_CHARS = 120
_TLS_TYPES = (21, 22)  # alert, handshake
_SERVER_HELLO = 2
_SSL2_SERVER_HELLO, _SSL2_ERROR = 4, 0
_SMTP = re.compile(rb"[0-9]{3}[ -]")
_IMAP = (b"* OK", b"* PREAUTH", b"* BYE")
_POP3 = (b"+OK", b"-ERR")
_SIEVE_CAP = re.compile(rb'"[A-Z][A-Z0-9-]*"')
_SIEVE_REPLY = (b"OK", b"NO", b"BYE")


class Kind(enum.Enum):
    MORE = "more"  # not enough bytes to tell
    TLS = "tls"
    PLAIN = "plain"
    OTHER = "other"


@dataclass(frozen=True)
class Sniff:
    kind: Kind
    protocol: str | None = None  # the mail protocol of a PLAIN greeting
    greeting: str = ""  # the first line of a PLAIN greeting, printable, bounded


def sniff(head: bytes) -> Sniff:
    """What ``head`` (the first bytes a server sent) is: TLS, a mail greeting, other, or MORE."""
    if not head:
        return Sniff(Kind.MORE)
    if head[0] & 0x80:
        return _sslv2(head)
    if head[0] in _TLS_TYPES:
        return _tls_record(head)
    line, ended = _first_line(head)
    protocol = _protocol(line, ended)
    if protocol is None:
        return Sniff(Kind.MORE) if _undecided(line, ended) else Sniff(Kind.OTHER)
    return Sniff(Kind.PLAIN, protocol, _printable(line))


def _tls_record(head: bytes) -> Sniff:
    if len(head) >= 2 and head[1] != 3:
        return Sniff(Kind.OTHER)
    if len(head) >= 3 and head[2] > 4:
        return Sniff(Kind.OTHER)
    if len(head) < 5:
        return Sniff(Kind.MORE)
    length = head[3] << 8 | head[4]
    if head[0] == 21:
        return Sniff(Kind.TLS if length == 2 else Kind.OTHER)
    if len(head) < 6:
        return Sniff(Kind.MORE)
    return Sniff(Kind.TLS if head[5] == _SERVER_HELLO and length >= 4 else Kind.OTHER)


def _sslv2(head: bytes) -> Sniff:
    if len(head) < 3:
        return Sniff(Kind.MORE)
    return Sniff(Kind.TLS if head[2] in (_SSL2_SERVER_HELLO, _SSL2_ERROR) else Kind.OTHER)


def _first_line(head: bytes) -> tuple[bytes, bool]:
    end = head.find(b"\n")
    if end < 0:
        return head.removesuffix(b"\r"), False  # a CR alone may still become the line end
    return head[:end].rstrip(b"\r"), True


def _protocol(line: bytes, ended: bool) -> str | None:
    if _SMTP.fullmatch(line[:4]) or (ended and len(line) == 3 and line.isdigit()):
        return "smtp"
    if line.startswith(_IMAP):
        return "imap"
    if line.startswith(_POP3):
        return "pop3"
    if _SIEVE_CAP.match(line) or any(_word(line, w, ended) for w in _SIEVE_REPLY):
        return "sieve"
    return None


def _word(line: bytes, word: bytes, ended: bool) -> bool:
    return (ended and line == word) or line.startswith(word + b" ")


def _undecided(line: bytes, ended: bool) -> bool:
    """True while ``line`` (no greeting yet) could still grow into the start of one."""
    if ended:
        return False
    if len(line) <= 3 and line.isdigit():
        return True
    if any(p.startswith(line) for p in (*_IMAP, *_POP3, *_SIEVE_REPLY)):
        return True
    return len(line) < 64 and bool(re.fullmatch(rb'"[A-Z][A-Z0-9-]*|"', line))


def _printable(line: bytes) -> str:
    text = "".join(chr(b) if 32 <= b < 127 else "?" for b in line[:GREETING_CHARS])
    return text + ("..." if len(line) > GREETING_CHARS else "")


def suggest_tls(target: Target) -> Target:
    """``target`` with the implicit-TLS scheme of its protocol (sieve: the ManageSieve port)."""
    protocol = target.spec.protocol
    for scheme in SCHEMES.values():
        if scheme.protocol == protocol and scheme.implicit_tls:
            return replace(target, scheme=scheme.name)
    return replace(target, port=target.spec.default_port)


def suggest_plain(target: Target, protocol: str) -> Target:
    """``target`` with the STARTTLS scheme of ``protocol``; the one whose port it is first
    (submission for 587), else the protocol's plain scheme (smtp, imap, pop3, sieve)."""
    plain = [s for s in SCHEMES.values() if s.protocol == protocol and not s.implicit_tls]
    best = next((s for s in plain if s.default_port == target.port), plain[0])
    return replace(target, scheme=best.name)
