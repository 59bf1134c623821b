"""Catalogue part "report": the audit page, ``mailtls explain`` and the user guide
(gettext domain mailtls-report).

The long form of a finding (``mailtls explain ID``) is the entry's own title, detail,
remediation and references, plus two sentences that findings share by *family*: what an
attacker gains and what never to do. A family is chosen by the first rule of FAMILIES
whose pattern (fnmatch) matches the id; an info finding is in the "information" family;
an id no rule names falls back to its severity's family. So a new finding gets a sensible
long form without a new sentence, and one fix of a family sentence fixes every finding
of the family, in ``explain``, the report and the user guide alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..entry import Part


@dataclass(frozen=True)
class Family:
    name: str
    patterns: tuple[str, ...]
    attacker: str
    never: str


TRUST = Family(
    "trust",
    ("cert.*", "verify.*", "postfix.cert_*", "dovecot.cert_*", "*.chain_incomplete"),
    "Anyone between the client and the server (a Wi-Fi hotspot, a hotel or company "
    "network, a tampered router, a hostile provider) can present a certificate of their "
    "own: a client that accepts this one accepts theirs too, and hands them the password "
    "and every message, which they can read and change on the way.",
    "Never click \"continue anyway\", never add a permanent exception for this certificate, "
    "and never turn certificate or host name checking off to make the warning go away: "
    "that check is the only thing that tells the real server from an impostor.",
)

INFORMATION = Family(
    "information", (),
    "Nothing: this is information, not a weakness.",
    "Never read its absence as a problem, nor its presence as proof that everything else "
    "is sound: the other findings still count.",
)

FAMILIES: tuple[Family, ...] = (
    Family(
        "secret", ("*.key_world_readable", "client.password_file_insecure"),
        "Any local user or process that can read the file gets the private key or the "
        "password: with a key they can pose as the server, and read recorded sessions "
        "that had no forward secrecy.",
        "Never make a private key or a password file readable by others, and never copy "
        "it to a place you do not control; if it was exposed, replace it, do not just "
        "fix the permissions.",
    ),
    Family(
        "expiry", ("*expires_soon",),
        "Nothing yet. But on the day it expires every client shows a warning, and users "
        "who learn to click through it will click through an attacker's certificate too.",
        "Never plan to let it expire and ask users to accept the warning for a few days: "
        "renew before it expires, and automate the renewal.",
    ),
    Family(
        "change", ("cert.changed", "cert.inconsistent", "client.pin_mismatch"),
        "A certificate that changes without notice is what an interception looks like: "
        "whoever controls a network path or a DNS record presents a certificate of their "
        "own, sometimes even one from a real authority.",
        "Never accept a new certificate or key as the baseline before you know who "
        "changed it and why.",
    ),
    Family(
        "injection",
        ("starttls.command_injection", "client.header_injection", "client.response_injection",
         "mitm.response_injection"),
        "Whoever controls the injected bytes makes the other side run commands or accept "
        "mail nobody sent: extra recipients, forged headers, or commands slipped into the "
        "encrypted session from before it started.",
        "Never pass untrusted text into a protocol line or a header unchecked, and never "
        "keep commands buffered across the start of TLS.",
    ),
    Family(
        "operations",
        ("conn.*", "scan.*", "monitor.*", "lint.file_*", "lint.internal_error",
         "lint.bad_exception", "lint.expired_exception", "*.config_*", "*.doveconf_*",
         "*.cert_unreadable", "*.cert_missing", "*.cert_unused", "*.cert_key_mismatch",
         "*.tls_logging_off", "*.obsolete_setting", "client.auth_*", "client.bad_address",
         "client.delivery_unconfirmed", "client.rejected", "client.size_exceeded",
         "client.password_file_unreadable", "grade.not_tested", "grade.incomplete",
         "tls.handshake_failed"),
        "No direct gain. But what could not be checked stays unknown, and an outage "
        "tempts people to switch verification off to get mail flowing again, which is "
        "the opening an attacker waits for.",
        "Never turn verification off, or accept every certificate, to make a check pass "
        "or to get mail flowing again: find the cause named above.",
    ),
    Family(
        "plaintext",
        ("starttls.*", "*.inbound_no_tls", "*.outbound_no_tls", "*.submission_*",
         "dovecot.ssl_*", "*plaintext_auth", "*.auth_before_tls", "imap.login_before_tls",
         "pop3.user_before_tls", "grade.no_tls", "mx.*", "mitm.starttls_*",
         "lint.csharp.starttls_when_available", "lint.js.nodemailer_ignore_tls",
         "lint.php.smtp_auto_tls_off", "lint.python.aiosmtplib_opportunistic"),
        "Anyone on the network path reads the password and the mail in clear, or strips "
        "the STARTTLS offer so that client and server never start TLS: a downgrade that "
        "neither side notices.",
        "Never let a client fall back to plain text when TLS fails, and never send a "
        "password over a connection that is not encrypted and verified.",
    ),
    Family(
        "trust_off",
        ("lint.*", "client.insecure_context", "postfix.outbound_unverified",
         "postfix.relay_credentials_unverified", "postfix.verify_without_ca",
         "postfix.dane_without_dnssec", "dovecot.client_unverified"),
        "The software accepts any certificate, so anyone on the network path can pose as "
        "the server without a warning to anyone: they receive the credentials and the "
        "mail, and can pass them on so that nothing looks wrong.",
        "Never ship \"accept all certificates\", not even for now or only in development: "
        "use a development CA (mailtls devcert) or the server's own CA file instead.",
    ),
    Family(
        "weak",
        ("protocol.*", "cipher.*", "kex.*", "tls.*", "reneg.*", "vuln.*", "cert.weak_*",
         "*.legacy_protocols", "*.weak_ciphers", "grade.*"),
        "An attacker who records or sits on the connection can use the weakness to "
        "decrypt it, to forge what the server says, or to push both sides down to the "
        "weakest setting they share; attacks of this kind have public tools.",
        "Never keep a weak protocol, cipher or key enabled for the sake of one old "
        "client: upgrade or isolate that client and keep the service strict.",
    ),
    TRUST,
)

#: the family of an id that no rule names, by the entry's severity label
FALLBACK = {"critical": "trust", "high": "weak", "medium": "weak", "low": "operations"}

#: the findings a user can meet as a warning in a mail program (the user guide's list)
USER_FACING = ("cert.expired", "cert.not_yet_valid", "cert.hostname_mismatch",
               "cert.self_signed", "cert.untrusted", "cert.chain_incomplete")

LONG_FORM: tuple[str, ...] = (
    "What it means",
    "What an attacker gains",
    "What never to do",
    "References",
    "Family: {family}",
    "{id} is not a finding of the catalogue.",
    "Close matches: {ids}",
    "No close match; mailtls explain --list lists every finding.",
)

GUIDE_TITLE = "When your mail program warns about a certificate"
GUIDE_INTRO = (
    "Every time your mail program connects, it checks that it is talking to your real mail "
    "server: the server shows a certificate, and the program checks who issued it, that "
    "it is still valid, and that it was issued for the server's name. When one of these "
    "checks fails, the program warns you. That warning is a security incident, not a "
    "question of taste.")
GUIDE_LOOKS = "What the warning looks like"
GUIDE_CLIENTS = (
    "Outlook (Windows): a \"Security Alert\" window says that the security certificate was "
    "issued by a company you have not chosen to trust, or has expired, or that the name on "
    "it does not match the site, and asks whether you want to proceed (Yes, No, View "
    "Certificate).",
    "Thunderbird: a window to \"Add Security Exception\" says that you are about to "
    "override how Thunderbird identifies this site, names a \"Wrong Site\", \"Unknown "
    "Identity\" or \"Outdated Information\", and offers \"Confirm Security Exception\".",
    "Apple Mail (Mac): a sheet says that Mail cannot verify the identity of the server and "
    "that its certificate is not trusted, with Cancel, Show Certificate and Continue.",
    "iPhone and iPad: \"Cannot Verify Server Identity\": the identity of the server cannot "
    "be verified, with Cancel, Details and Continue.",
    "Android phones (Gmail, Outlook or the phone maker's mail app): a message about a "
    "certificate problem, an untrusted or invalid certificate, or a server that cannot be "
    "verified, often with a button to accept or to continue anyway.",
)
GUIDE_FOUND = "What the program found (the same words as in the administrators' report)"
GUIDE_WHY = "Why \"continue anyway\" gives your password away"
GUIDE_WHY_TEXT = (
    "Your mail program sends your password as soon as the connection is set up. If you "
    "continue, it sends it to whoever presented that certificate; on a hotel, café, "
    "airport or shared network, or behind a tampered router, that can be whoever runs the "
    "network. With the password they read all your mail, now and later, and send mail in "
    "your name.")
GUIDE_DO = "What to do"
GUIDE_STEPS = (
    "Press Cancel (or No). Do not tick \"always trust\", \"remember\" or \"accept "
    "permanently\".",
    "Note the program, the server name and the exact words of the warning, or take a "
    "screenshot.",
    "If you are on a public or unfamiliar network, leave it and do not try again from "
    "there.",
    "Check that the date and time of your device are right: a wrong clock also makes a "
    "certificate look expired or not yet valid.",
)
GUIDE_CALL = "Whom to call"
GUIDE_CALL_TEXT = (
    "Call {contact} by phone or in person, not by answering an e-mail about it: a message "
    "that tells you to accept the certificate may come from the attacker.")
GUIDE_CONTACT = "your IT helpdesk or your mail provider's support"
GUIDE_FOOTER = (
    "Written from the mailtls finding catalogue; the administrators' remediation for each "
    "warning is in mailtls explain ID.")

USER_GUIDE: tuple[str, ...] = (
    GUIDE_TITLE, GUIDE_INTRO, GUIDE_LOOKS, *GUIDE_CLIENTS, GUIDE_FOUND, GUIDE_WHY,
    GUIDE_WHY_TEXT, GUIDE_DO, *GUIDE_STEPS, GUIDE_CALL, GUIDE_CALL_TEXT, GUIDE_CONTACT,
    GUIDE_FOOTER,
)

REPORT_UI: tuple[str, ...] = (
    "TLS audit report of the mail servers",
    "Generated {time} by mailtls {version}; verdicts as of {as_of}.",
    "Source: {source}",
    "Period: {since} to {until}",
    "State of the fleet",
    "Endpoints",
    "Endpoint",
    "Verified",
    "Not verified",
    "Passes",
    "Observations",
    "Expiry timeline",
    "No certificate was seen.",
    "today",
    "One bar per certificate, from today to its expiry date; red: expired, orange: within "
    "30 days, yellow: within 90 days, green: later.",
    "Certificates not drawn (all are in the table below): {count}",
    "Grades",
    "Grade",
    "No grades: the scan ran without --deep or --policy.",
    "What changed in the period",
    "A single scan shows no changes: report on the monitor's history (mailtls report "
    "--history DB --since 90d) to see them.",
    "Nothing changed in the period.",
    "Change",
    "Details",
    "verification restored",
    "new finding",
    "finding resolved",
    "stopped answering",
    "answering again",
    "first seen",
    "baseline accepted",
    "Commands that reproduce this check",
    "Findings and what to do, per endpoint",
    "Notes and errors",
    "The HTML report is in {path}.",
    "--pdf needs a headless Chromium, and none is installed (Debian: apt-get install "
    "chromium; or set MAILTLS_CHROMIUM).",
)

UI_STRINGS: tuple[str, ...] = (
    *REPORT_UI, *LONG_FORM, *USER_GUIDE,
    *(text for f in (*FAMILIES, INFORMATION) for text in (f.attacker, f.never)),
)

PART = Part("mailtls-report", (), UI_STRINGS)
