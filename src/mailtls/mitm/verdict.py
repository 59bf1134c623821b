"""What the client did in one scenario, and the verdict: safe, vulnerable or inconclusive.

- vulnerable: the client sent credentials or mail to the attacker (for the response
  injection: in clear text, or it acted on the injected bytes, seen as a command sent
  before the reply to the one before);
- safe: it connected and stopped before sending anything sensitive;
- inconclusive: it never connected, or the control failed (a refusal then proves nothing),
  or it connected but did not get as far as the control did.

The control itself is "safe" when the client completed TLS and got down to business
after it (the harness works with this client), "inconclusive" otherwise.
Detail is data: (msgid, params) pairs, translated by the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .listener import Connection
from .scenarios import Scenario

SAFE, VULNERABLE, INCONCLUSIVE = "safe", "vulnerable", "inconclusive"
Fact = tuple[str, dict[str, str]]


@dataclass
class Result:
    scenario: Scenario
    verdict: str
    handshake: str
    credentials_sent: bool
    mail_sent: bool
    facts: list[Fact] = field(default_factory=list)
    stderr: str = ""
    exit_status: str = ""
    message: bytes = b""


def _facts(conns: list[Connection]) -> list[Fact]:
    facts: list[Fact] = []
    for c in conns:
        cap = c.capture
        if c.handshake.startswith("failed: "):
            facts.append(("TLS handshake failed: {reason}", {"reason": c.handshake[8:]}))
        if cap.commands_before_tls:
            facts.append(("before TLS: {commands}",
                          {"commands": " ".join(cap.commands_before_tls[:12])}))
        if cap.tls is not None:
            facts.append(("after TLS ({tls}): {commands}", {
                "tls": cap.tls, "commands": " ".join(cap.commands_after_tls[:12]) or "-"}))
        for a in cap.auth:
            facts.append(("{mechanism} as {user}, password: {password}" if a.password_captured
                          else "{mechanism} as {user}, no password", {
                              "mechanism": a.mechanism, "user": a.user or "?",
                              "password": "captured"}))
        if cap.mail_from or cap.recipients:
            facts.append(("mail from {sender} to {recipients}, {size} bytes", {
                "sender": ",".join(cap.mail_from[:3]) or "?",
                "recipients": ",".join(cap.recipients[:5]) or "?",
                "size": str(cap.message_bytes)}))
        if cap.desync:
            facts.append(("the client acted on the injected reply", {}))
        if cap.garbage:
            facts.append(("{count} unintelligible lines", {"count": str(cap.garbage)}))
    return facts


def _sensitive(scenario: Scenario, conns: list[Connection]) -> tuple[bool, bool]:
    creds = mail = False
    for c in conns:
        cap = c.capture
        if scenario.id == "response_injection" and not cap.desync:
            # over TLS the real (trusted) server answers: only clear text goes to the attacker
            creds = creds or any(a.user or a.password_captured for a in cap.auth
                                 if not a.over_tls)
            mail = mail or (cap.mail_sent and not cap.commands_after_tls)
            continue
        creds = creds or cap.credentials_sent
        mail = mail or cap.mail_sent
    return creds, mail


_SMALL_TALK = {"EHLO", "HELO", "CAPABILITY", "CAPA", "NOOP", "QUIT", "LOGOUT", "RSET"}


def went_on(conns: list[Connection]) -> bool:
    """The control's test: TLS completed and the client got down to business after it
    (logged in, gave an envelope or a mailbox command; a look at the certificate followed
    by QUIT is not enough)."""
    return any(c.capture.tls is not None
               and set(c.capture.commands_after_tls) - _SMALL_TALK for c in conns)


def judge(scenario: Scenario, conns: list[Connection], control_ok: bool | None) -> Result:
    """``control_ok``: None for the control itself, else whether the control passed."""
    handshake = next((c.handshake for c in conns if c.handshake), "none")
    creds, mail = _sensitive(scenario, conns)
    facts = _facts(conns)
    if not conns:
        facts.insert(0, ("the client never connected", {}))
        return Result(scenario, INCONCLUSIVE, "none", False, False, facts)
    if control_ok is None:
        verdict = SAFE if went_on(conns) else INCONCLUSIVE
        if verdict == INCONCLUSIVE:
            facts.insert(0, ("the client did not complete the control: make it trust the "
                             "control CA (--trusted-ca-out)", {}))
        return Result(scenario, verdict, handshake, creds, mail, facts)
    if creds or mail or any(c.capture.desync for c in conns):
        return Result(scenario, VULNERABLE, handshake, creds, mail, facts)
    if not control_ok:
        facts.insert(0, ("the control failed, so a refusal here proves nothing", {}))
        return Result(scenario, INCONCLUSIVE, handshake, creds, mail, facts)
    return Result(scenario, SAFE, handshake, creds, mail, facts)
