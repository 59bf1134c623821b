"""The attacks: one scenario per finding id, and what the rogue server does in each."""

from __future__ import annotations

from dataclasses import dataclass

from ..proto.server_base import ServerDialogue, ServerOptions
from ..proto.server_imap import IMAPServer
from ..proto.server_pop3 import POP3Server
from ..proto.server_smtp import SMTPServer


@dataclass(frozen=True)
class Scenario:
    id: str
    finding_id: str
    cert: str  # a kind of mailtls.pki.mitm.make_pki's served certificates
    offer_starttls: bool = True
    starttls: str = "accept"
    tls1_0_only: bool = False
    starttls_only: bool = False  # meaningless with implicit TLS

    def options(self, implicit_tls: bool, hostname: str) -> ServerOptions:
        return ServerOptions(implicit_tls, self.offer_starttls, self.starttls, hostname)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("control", "mitm.control", "control"),
    Scenario("self_signed", "mitm.self_signed", "self_signed"),
    Scenario("expired", "mitm.expired", "expired"),
    Scenario("wrong_host", "mitm.wrong_host", "wrong_host"),
    Scenario("untrusted_ca", "mitm.untrusted_ca", "untrusted_ca"),
    Scenario("starttls_stripped", "mitm.starttls_stripped", "control", offer_starttls=False,
             starttls_only=True),
    Scenario("starttls_rejected", "mitm.starttls_rejected", "control", starttls="reject",
             starttls_only=True),
    Scenario("response_injection", "mitm.response_injection", "control", starttls="inject",
             starttls_only=True),
    Scenario("tls1_0_only", "mitm.tls1_0_only", "control", tls1_0_only=True),
)
BY_ID = {s.id: s for s in SCENARIOS}
PROTOCOLS = ("smtp", "imap", "pop3")
SCHEMES = {("smtp", False): "smtp", ("smtp", True): "smtps", ("imap", False): "imap",
           ("imap", True): "imaps", ("pop3", False): "pop3", ("pop3", True): "pop3s"}
SERVERS: dict[str, type[ServerDialogue]] = {
    "smtp": SMTPServer, "imap": IMAPServer, "pop3": POP3Server}


def applicable(implicit_tls: bool, wanted: tuple[str, ...] = ()) -> list[Scenario]:
    """The scenarios for one form of a protocol (the control always first)."""
    chosen = [s for s in SCENARIOS if not (implicit_tls and s.starttls_only)]
    if wanted:
        chosen = [s for s in chosen if s.id in wanted or s.id == "control"]
    return chosen


def unknown(wanted: tuple[str, ...]) -> list[str]:
    return [w for w in wanted if w not in BY_ID]
