"""Catalogue part "logs": what the mail logs say about TLS (gettext domain mailtls-logs).

``mailtls logs`` reads Postfix and Dovecot logs; these ids name what a summary shows that
needs doing. The ``direction`` param is one of DIRECTION_IN / DIRECTION_OUT, translated.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

H, M, L, INFO = Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO

RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC8314 = "https://www.rfc-editor.org/rfc/rfc8314"
RFC7672 = "https://www.rfc-editor.org/rfc/rfc7672"
POSTFIX_TLS = "https://www.postfix.org/TLS_README.html"

DIRECTION_IN = "inbound"
DIRECTION_OUT = "outbound"

_ENTRIES = (
    Entry(
        "logs.mail_in_clear",
        M,
        "Mail in clear",
        "{count} messages went {direction} without TLS, with {peers}.",
        "Find out why these peers do not use STARTTLS; for your own servers and partners, "
        "require TLS (Postfix: a per-destination policy in smtp_tls_policy_maps, "
        "smtpd_tls_security_level = encrypt on submission).",
        (POSTFIX_TLS, RFC8314),
        319,
    ),
    Entry(
        "logs.mail_unverified",
        L,
        "Mail over unverified TLS",
        "{count} messages went {direction} over TLS whose certificate was not verified, "
        "with {peers}.",
        "Encryption without verification stops only passive listening. Verify the "
        "certificates of the destinations you know (smtp_tls_policy_maps: verify or "
        "secure; DANE or MTA-STS where the domain publishes it).",
        (POSTFIX_TLS, RFC7672),
        295,
    ),
    Entry(
        "logs.verify_failures",
        H,
        "Peer fails certificate verification",
        "{peer} failed certificate verification {count} times: {reasons}.",
        "Check the peer with `mailtls scan smtp://HOST` to name the cause; never turn "
        "verification off for it: have its certificate fixed, or trust its private CA "
        "explicitly (smtp_tls_CAfile) if it is one of yours.",
        (POSTFIX_TLS,),
        295,
    ),
    Entry(
        "logs.legacy_protocol",
        M,
        "Legacy TLS version still in use",
        "{protocol} was negotiated {count} times, with {peers}.",
        "Disable the legacy versions (Postfix: smtpd_tls_protocols and smtp_tls_protocols = "
        ">=TLSv1.2; Dovecot: ssl_min_protocol = TLSv1.2) once the peers listed can do "
        "better, and tell them.",
        (RFC8996,),
        327,
    ),
    Entry(
        "logs.auth_in_clear",
        H,
        "Authentication without TLS",
        "{count} sessions authenticated without TLS, from {peers}.",
        "Passwords crossed the network in clear: change them, and refuse AUTH before TLS "
        "(Postfix: smtpd_tls_auth_only = yes; Dovecot: disable_plaintext_auth = yes and "
        "no login_trusted_networks beyond loopback).",
        (RFC8314,),
        319,
    ),
    Entry(
        "logs.handshake_failures",
        L,
        "TLS handshakes fail",
        "{count} TLS handshakes failed with {peer}: {reasons}.",
        "A peer offering only what the server refuses (old protocols, weak ciphers) is "
        "expected to fail; if a known client or partner is among them, find out what it "
        "offers with `mailtls scan --deep` before loosening anything.",
        (RFC8996,),
    ),
    Entry(
        "logs.input_unreadable",
        M,
        "Log file unreadable",
        "{path} could not be read: {error}.",
        "Check the name and the permissions (mail logs are often readable by root or the "
        "adm group only); the other files were read.",
    ),
    Entry(
        "logs.input_damaged",
        L,
        "Log file damaged",
        "{path} ends early or is damaged ({error}); the lines before the damage were read.",
        "Read the file with zcat or gzip -t to see how much is left; a log rotated while "
        "it was compressed is the usual cause.",
    ),
    Entry(
        "logs.long_lines",
        INFO,
        "Overlong lines skipped",
        "{path}: {count} lines longer than {limit} bytes were skipped.",
        "Mail log lines are short; such lines are usually binary data or a broken log "
        "writer. Nothing needs doing if the counts look right.",
    ),
    Entry(
        "logs.binary_input",
        L,
        "Binary data in a log",
        "{path} contains {count} NUL bytes: binary data, not only log lines.",
        "Make sure the file is a text log (a compressed file is read as such only when it "
        "has the gzip, bzip2 or xz signature).",
    ),
    Entry(
        "logs.unknown_lines",
        INFO,
        "Unrecognised TLS lines",
        "{count} lines mention TLS but match no known format; they were counted and skipped.",
        "Nothing needs doing; if these are lines of a Postfix or Dovecot version mailtls "
        "does not know yet, please report one of them.",
    ),
)

UI_STRINGS: tuple[str, ...] = (
    DIRECTION_IN,
    DIRECTION_OUT,
    "Direction",
    "Peer",
    "Verified",
    "Unverified",
    "Clear",
    "Failed",
    "Protocols",
    "AUTH over TLS",
    "AUTH in clear",
    "Failures",
    "Mail by direction",
    "Peers",
    "{lines} lines, {events} TLS events from {files} files; {first} .. {last}",
    "No TLS events found.",
    "{count} more peers: see --json",
)

PART = Part("mailtls-logs", _ENTRIES, UI_STRINGS, frozenset({"direction"}))
