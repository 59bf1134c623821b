"""Catalogue part "mitm": one finding id per attack of ``mailtls mitm`` (domain mailtls-mitm).

A finding ``mitm.X`` is raised when a client was *vulnerable* to scenario X (it handed
its password or its mail to the rogue server); ``mitm.control`` is the scenario with a
certificate the client trusts, and reports that the harness could not reach the client.
The facts of the report (FACTS), the verdict words and the ``--demo`` lessons (DEMO:
what a careful client reports, what a careless one does, what common clients show) are
UI strings of this part.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

C, H, INFO = Severity.CRITICAL, Severity.HIGH, Severity.INFO

RFC3207 = "https://www.rfc-editor.org/rfc/rfc3207"
RFC8314 = "https://www.rfc-editor.org/rfc/rfc8314"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125"
NOSTARTTLS = "https://nostarttls.secvuln.info/"

_DID = "What the client did: {detail}"
_CHECK = ("Turn certificate verification on in the client (never \"accept all\" or an "
          "exception for this server); give it the organisation's CA if it uses one "
          "(mailtls devcert for development). Change the password that was sent.")

_ENTRIES = (
    Entry("mitm.control", INFO, "Control: the client did not complete a trusted session",
          _DID,
          "Make the client trust the control CA written by --trusted-ca-out for the "
          "control run, and check that its command reaches the listener ({{host}} and "
          "{{port}} in its arguments)."),
    Entry("mitm.self_signed", C, "Sent secrets to a server with a self-signed certificate",
          _DID, _CHECK, (RFC5280,), 295),
    Entry("mitm.expired", C, "Sent secrets to a server with an expired certificate",
          _DID, _CHECK, (RFC5280,), 298),
    Entry("mitm.wrong_host", C, "Sent secrets to a server with another host's certificate",
          _DID, "Turn host name checking on in the client (it is a separate setting "
          "in many clients) and connect by the name the certificate carries. Change the "
          "password that was sent.", (RFC6125,), 297),
    Entry("mitm.untrusted_ca", C, "Sent secrets to a server with a certificate from an "
          "untrusted CA", _DID, _CHECK, (RFC5280,), 295),
    Entry("mitm.starttls_stripped", C, "Sent secrets in clear text when STARTTLS was not "
          "offered", _DID, "Require TLS in the client (STARTTLS \"required\", not "
          "\"when available\"), or use implicit TLS (ports 465, 993, 995). Change the "
          "password that was sent.", (RFC3207, RFC8314), 319),
    Entry("mitm.starttls_rejected", C, "Sent secrets in clear text when STARTTLS was "
          "refused", _DID, "Require TLS in the client, so that a refused STARTTLS "
          "ends the session, or use implicit TLS. Change the password that was sent.",
          (RFC3207, RFC8314), 319),
    Entry("mitm.response_injection", H, "Acted on replies injected before TLS", _DID,
          "Update the client: after STARTTLS it must discard everything read before the "
          "handshake. Prefer implicit TLS (ports 465, 993, 995).", (RFC3207, NOSTARTTLS), 74),
    Entry("mitm.tls1_0_only", H, "Sent secrets over TLS 1.0", _DID,
          "Require TLS 1.2 or later in the client (RFC 8996 forbids TLS 1.0 and 1.1).",
          (RFC8996,), 327),
)

SCENARIO_LABELS = {
    "control": "control (trusted certificate)",
    "self_signed": "self-signed certificate",
    "expired": "expired certificate",
    "wrong_host": "certificate for another host",
    "untrusted_ca": "certificate from an untrusted CA",
    "starttls_stripped": "STARTTLS not offered",
    "starttls_rejected": "STARTTLS refused",
    "response_injection": "replies injected with STARTTLS",
    "tls1_0_only": "TLS 1.0 only",
}

FACTS: tuple[str, ...] = (
    "TLS handshake failed: {reason}",
    "before TLS: {commands}",
    "after TLS ({tls}): {commands}",
    "{mechanism} as {user}, password: {password}",
    "{mechanism} as {user}, no password",
    "captured",
    "mail from {sender} to {recipients}, {size} bytes",
    "the client acted on the injected reply",
    "{count} unintelligible lines",
    "the client never connected",
    "the client did not complete the control: make it trust the control CA "
    "(--trusted-ca-out)",
    "the control failed, so a refusal here proves nothing",
)

VERDICTS = ("safe", "vulnerable", "inconclusive")

DEMO: dict[str, tuple[str, str, str]] = {
    "self_signed": (
        "A careful client stops and says the certificate is not trusted (self-signed).",
        "A careless client logs in anyway: the attacker now has the password.",
        "Thunderbird shows \"Add Security Exception\"; Outlook shows \"The server you are "
        "connected to is using a security certificate that cannot be verified\"; iOS Mail "
        "shows \"Cannot Verify Server Identity\" with a Continue button. Never confirm.",
    ),
    "expired": (
        "A careful client stops and says the certificate has expired.",
        "A careless client ignores the date and logs in.",
        "Outlook: \"The security certificate has expired or is not yet valid\"; "
        "Thunderbird: an exception dialog naming the expired certificate; Android: "
        "\"Certificate not valid\". Report it to the administrator instead of continuing.",
    ),
    "wrong_host": (
        "A careful client stops: the certificate names another host.",
        "A careless client checks only the chain, not the name, and logs in.",
        "Outlook: \"The name on the security certificate is invalid or does not match the "
        "name of the site\"; Thunderbird: \"wrong site\" in the exception dialog.",
    ),
    "untrusted_ca": (
        "A careful client stops: the certificate comes from an authority it does not trust.",
        "A careless client trusts any authority and logs in.",
        "The same warnings as for a self-signed certificate; the issuer's convincing name "
        "changes nothing.",
    ),
    "starttls_stripped": (
        "A careful client that requires TLS stops: the server does not offer STARTTLS.",
        "A careless client goes on in clear text and sends the password.",
        "Most clients show nothing at all: only a setting of \"STARTTLS, required\" or SSL/TLS "
        "on ports 465/993/995 protects the user here.",
    ),
    "starttls_rejected": (
        "A careful client stops when STARTTLS is refused.",
        "A careless client falls back to clear text and sends the password.",
        "Nothing is shown by clients set to \"STARTTLS if available\"; set it to required.",
    ),
    "response_injection": (
        "A careful client discards what the server sent before the TLS handshake.",
        "A vulnerable client reads the attacker's injected reply as if it came over TLS.",
        "No client shows anything: only updates fix it. Implicit TLS avoids the class.",
    ),
    "tls1_0_only": (
        "A careful client refuses TLS 1.0.",
        "A careless client accepts the downgrade and logs in over TLS 1.0.",
        "Old clients and phones connect silently; current ones report a protocol error.",
    ),
    "control": (
        "With a certificate it trusts, the client connects and logs in normally.",
        "If even this fails, the client is not reaching the listener.",
        "No warning should appear here: this is what a correct server looks like.",
    ),
}

UI_STRINGS: tuple[str, ...] = (
    *SCENARIO_LABELS.values(),
    *FACTS,
    *VERDICTS,
    *(text for triple in DEMO.values() for text in triple),
    "scenario",
    "verdict",
    "handshake",
    "credentials",
    "mail",
    "detail",
    "yes",
    "no",
    "{listeners} listeners on {host}; point a mail client at one of them:",
    "Warning: listening on {address}, not on loopback: anyone who can reach this address "
    "can connect. Nothing is forwarded, but stop this as soon as the training ends.",
    "Press Ctrl+C to stop and print the report.",
    "{scheme}://{host}:{port} ({scenario}): {event}",
    "connected",
    "TLS handshake: {handshake}",
    "sent its password or mail",
    "closed",
    "Control CA written to {file}: make the client trust it for the control scenario only.",
    "{file}: cannot write it ({reason})",
    "{address}: cannot listen there ({reason})",
    "--listen {address}: not an IP address",
    "unknown scenario {names} (known: {known})",
    "give the client command after --, e.g. mailtls mitm run -- curl ...",
    "{count} of {total} scenarios vulnerable",
    "What a careful client reports",
    "What a careless client does",
    "What common clients show",
    "mailtls mitm report",
    "client command",
    "Captured passwords are never shown; mail is kept in memory only.",
)

PART = Part("mailtls-mitm", _ENTRIES, UI_STRINGS)
