"""Messages and envelope addresses, checked before a byte goes out.

* Envelope addresses (RFC 5321 4.1.2): ``local@domain``, a dot-atom or quoted local part,
  a host name or address literal as domain, at most 254 characters, no CR, LF, NUL or
  other control character, no white space or angle brackets. Non-ASCII needs SMTPUTF8.
* Header values: no CR or LF in a value (header injection). For an ``EmailMessage`` the
  parsed values are checked; raw bytes get the same check on their unfolded header block.
* On the wire every line ending becomes CRLF (no bare CR or LF reaches the server: SMTP
  smuggling), lines starting with "." are doubled (RFC 5321 4.5.2), and the data ends
  with CRLF "." CRLF.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from collections.abc import Iterable, Sequence
from email.message import EmailMessage, Message

from ..catalog import new_finding
from .errors import HeaderInjection, InvalidAddress

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
_QUOTED = re.compile(r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"')
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_LITERAL = re.compile(r"\[(?:[0-9.]+|IPv6:[0-9A-Fa-f:.]+)\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EOL = re.compile(rb"\r\n|\r|\n")
_DOT_LINE = re.compile(rb"^\.", re.MULTILINE)
MAX_ADDRESS = 254


def _bad(address: str, problem: str) -> InvalidAddress:
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", address)[:300]
    return InvalidAddress(new_finding("client.bad_address", address=f"'{shown}'", problem=problem))


def check_address(address: str, *, smtputf8: bool = True) -> str:
    """The address if it is a valid envelope address; InvalidAddress naming the problem."""
    if not isinstance(address, str):
        raise _bad(repr(address), "not of the form local-part@domain")
    if _CONTROL.search(address):
        raise _bad(address, "contains a line break or a control character")
    local, at, domain = address.rpartition("@")
    unquoted = domain if _QUOTED.fullmatch(local) else address
    if any(c.isspace() for c in unquoted) or "<" in address or ">" in address:
        raise _bad(address, "contains white space or angle brackets")
    if len(address.encode("utf-8")) > MAX_ADDRESS:
        raise _bad(address, "longer than 254 characters")
    if not at or not local or not domain:
        raise _bad(address, "not of the form local-part@domain")
    ascii_local = local.isascii()
    if not (_DOT_ATOM.fullmatch(local) or _QUOTED.fullmatch(local) or not ascii_local):
        raise _bad(address, "the local part is not valid")
    if not _valid_domain(domain):
        raise _bad(address, "the domain is not valid")
    if not address.isascii() and not smtputf8:
        raise _bad(address, "needs SMTPUTF8, which the server does not offer")
    return address


def _valid_domain(domain: str) -> bool:
    if _LITERAL.fullmatch(domain):
        return True
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return False
    labels = ascii_domain.rstrip(".").split(".")
    return len(ascii_domain) <= 253 and all(_LABEL.fullmatch(lab) for lab in labels)


def check_header_value(name: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise HeaderInjection(new_finding("client.header_injection", header=name))


def build_message(
    sender: str, recipients: Sequence[str], subject: str, body: str
) -> EmailMessage:
    """A simple text message; every value checked (addresses, CR/LF) before it is set."""
    check_address(sender)
    for r in recipients:
        check_address(r)
    check_header_value("Subject", subject)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2])
    msg.set_content(body)
    return msg


def check_headers(msg: Message) -> None:
    """No CR/LF inside any (unfolded) header value of a message object."""
    for name, value in msg.items():
        unfolded = re.sub(r"\r?\n[ \t]", " ", str(value))
        check_header_value(name, unfolded)


def envelope_of(
    msg: Message, sender: str | None, recipients: Iterable[str] | None
) -> tuple[str, list[str]]:
    """Sender and recipients: given, or From / To+Cc+Bcc of the message (as smtplib)."""
    if sender is None:
        found = email.utils.getaddresses(msg.get_all("Sender", []) or msg.get_all("From", []))
        sender = found[0][1] if found else ""
    if recipients is None:
        fields = [*msg.get_all("To", []), *msg.get_all("Cc", []), *msg.get_all("Bcc", [])]
        recipients = [a for _, a in email.utils.getaddresses(fields) if a]
    rcpts = list(recipients)
    if not sender:
        raise _bad("", "the message has no sender")
    if not rcpts:
        raise _bad("", "the message has no recipient")
    return sender, rcpts


def message_bytes(msg: EmailMessage | Message, eight_bit: bool) -> bytes:
    """Serialise without Bcc; 8-bit bodies only if the server offers 8BITMIME."""
    check_headers(msg)
    copy = msg
    if msg.get_all("Bcc"):
        copy = email.message_from_bytes(msg.as_bytes(policy=email.policy.SMTP),
                                        policy=email.policy.SMTP)
        del copy["Bcc"]
    policy = email.policy.SMTP if eight_bit else email.policy.SMTP.clone(cte_type="7bit")
    return copy.as_bytes(policy=policy)


def check_raw_headers(data: bytes) -> None:
    """Raw bytes: the header block must parse as headers (no stray lines inside)."""
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
    for line in _EOL.split(head):
        if not line or line[:1] in (b" ", b"\t"):
            continue
        if not re.match(rb"[\x21-\x39\x3b-\x7e]+:", line):
            name = line[:40].decode("utf-8", "replace")
            raise HeaderInjection(new_finding("client.header_injection", header=repr(name)))


def wire_data(data: bytes) -> bytes:
    """CRLF line endings, dot-stuffing and the final CRLF "." CRLF."""
    data = _EOL.sub(b"\r\n", data)
    data = _DOT_LINE.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def is_eight_bit(data: bytes) -> bool:
    return not data.isascii()
