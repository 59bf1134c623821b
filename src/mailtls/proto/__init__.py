"""Sans-I/O mail dialogues: SMTP, IMAP, POP3 and ManageSieve up to and after STARTTLS.

The network layer drives a dialogue like this (see base.py for the rules)::

    d = make_dialogue("smtp", implicit_tls=False, ehlo="scanner.example")
    actions = d.start()
    while True:
        for a in actions:
            Send -> write a.data; StartTLS -> handshake, then actions += d.tls_established()
            Finished / Failed -> close; d.result holds what was learnt
        actions = d.receive_data(read())       # b"" at EOF

Nothing here imports socket, ssl, asyncio or selectors.
"""

from __future__ import annotations

from mailtls.proto.base import (
    Action,
    Dialogue,
    DialogueResult,
    Failed,
    Finished,
    Send,
    StartTLS,
    State,
)
from mailtls.proto.imap import IMAPDialogue
from mailtls.proto.pop3 import POP3Dialogue
from mailtls.proto.sieve import SieveDialogue
from mailtls.proto.smtp import SMTPDialogue

__all__ = [
    "PROTOCOLS",
    "Action",
    "Dialogue",
    "DialogueResult",
    "Failed",
    "Finished",
    "IMAPDialogue",
    "POP3Dialogue",
    "SMTPDialogue",
    "Send",
    "SieveDialogue",
    "StartTLS",
    "State",
    "make_dialogue",
]

PROTOCOLS = ("smtp", "imap", "pop3", "sieve")


def make_dialogue(
    protocol: str,
    *,
    implicit_tls: bool,
    ehlo: str = "mailtls.invalid",
    post_tls_capabilities: bool = True,
    max_line: int = 8192,
    max_reply_bytes: int = 1 << 20,
) -> Dialogue:
    """A fresh dialogue for ``protocol`` (smtp, imap, pop3, sieve); ``ehlo`` is SMTP's only.

    Raises ValueError for an unknown protocol, a bad EHLO name or non-positive limits.
    """
    if protocol == "smtp":
        return SMTPDialogue(
            implicit_tls=implicit_tls,
            ehlo=ehlo,
            post_tls_capabilities=post_tls_capabilities,
            max_line=max_line,
            max_reply_bytes=max_reply_bytes,
        )
    classes: dict[str, type[IMAPDialogue | POP3Dialogue | SieveDialogue]] = {
        "imap": IMAPDialogue,
        "pop3": POP3Dialogue,
        "sieve": SieveDialogue,
    }
    if protocol not in classes:
        raise ValueError(f"unknown protocol {protocol!r} (expected one of {', '.join(PROTOCOLS)})")
    return classes[protocol](
        implicit_tls=implicit_tls,
        post_tls_capabilities=post_tls_capabilities,
        max_line=max_line,
        max_reply_bytes=max_reply_bytes,
    )
