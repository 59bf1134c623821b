"""Catalogue part "scan": certificates, STARTTLS, connections, MX (gettext domain mailtls).

The English strings are the gettext msgids. Templates take the finding's params with
``{name}``. Keep titles to one line; a remediation says what to do *instead of*
accepting the certificate. Run ``make i18n`` after changing a string, then translate it
in locale/zh_CN/LC_MESSAGES/mailtls.po.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

C, H, M, L, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO

RFC5280 = "https://www.rfc-editor.org/rfc/rfc5280"
RFC6125 = "https://www.rfc-editor.org/rfc/rfc6125"
RFC8314 = "https://www.rfc-editor.org/rfc/rfc8314"
RFC3207 = "https://www.rfc-editor.org/rfc/rfc3207"
RFC5321 = "https://www.rfc-editor.org/rfc/rfc5321"
RFC7505 = "https://www.rfc-editor.org/rfc/rfc7505"
RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"

_ENTRIES = (
    # --- certificate verification (the article's three checks, and their relatives) ---
    Entry(
        "cert.expired",
        C,
        "Certificate expired",
        "The {role} {subject} expired on {not_after} ({days} ago).",
        "Renew the certificate and install it on the server, with its intermediates. "
        "Do not accept the expired certificate in the client: an attacker can present "
        "an old certificate whose key was stolen or retired.",
        (RFC5280,),
        298,
    ),
    Entry(
        "cert.not_yet_valid",
        C,
        "Certificate not yet valid",
        "The {role} {subject} is valid only from {not_before}.",
        "Check the clock of the server and of this machine (NTP). If both are right, "
        "the certificate was issued with a future start date: have it reissued.",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.expires_soon",
        M,
        "Certificate expires soon",
        "The server certificate {subject} expires on {not_after}, in {days}.",
        "Renew the certificate now and automate renewal (for example with an ACME "
        "client), then alert at least 30 days before expiry.",
        (RFC5280,),
    ),
    Entry(
        "cert.hostname_mismatch",
        C,
        "Certificate does not match the host name",
        "The client asked for {host}, but the certificate {subject} is for: {names}.",
        "Connect to a name the certificate lists, or have a certificate issued whose "
        "subjectAltName contains {host}. Never turn host name checking off: it is "
        "what tells the real server from an impostor with any valid certificate.",
        (RFC6125,),
        297,
    ),
    Entry(
        "cert.self_signed",
        C,
        "Self-signed certificate",
        "The server presented a self-signed certificate {subject} "
        "(SHA-256 {sha256}); no trusted authority vouches for it.",
        "Install a certificate from a trusted CA (an ACME CA is free). For an internal "
        "server, trust exactly this server's key or your own CA explicitly "
        "(mailtls scan --ca-file CA.pem, or pin the key), never all certificates.",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.untrusted",
        C,
        "Certificate issued by an untrusted authority",
        "The chain ends at {issuer}, which is not in the trust store ({trust}).",
        "If this is a public server, install a certificate from a publicly trusted CA. "
        "If it is your organisation's CA, distribute its root and trust it explicitly "
        "(--ca-file CA.pem), after checking its fingerprint with the administrator.",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.chain_incomplete",
        C,
        "Certificate chain incomplete",
        "The server sent {subject} without its issuer {issuer}, which is not in the "
        "trust store ({trust}) either.",
        "Configure the server to send the intermediate certificates after its own "
        "(Postfix: smtpd_tls_chain_files = key, certificate, intermediates; Dovecot: "
        "ssl_cert with the full chain). If {issuer} is a private CA, trust it "
        "explicitly with --ca-file.",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.weak_key",
        H,
        "Weak certificate key",
        "The certificate {subject} has a key of {bits} ({key}); at least {min_bits} is required.",
        "Issue a new certificate with an RSA key of 2048 bits or more, or an ECDSA "
        "P-256 key. Current clients already refuse this key.",
        ("https://csrc.nist.gov/pubs/sp/800/131/a/r2/final",),
        326,
    ),
    Entry(
        "cert.weak_signature",
        H,
        "Weak certificate signature",
        "The certificate {subject} is signed with {signature}, which can be forged.",
        "Have the certificate reissued with a SHA-256 (or stronger) signature.",
        ("https://shattered.io/",),
        328,
    ),
    Entry(
        "cert.not_for_server",
        C,
        "Certificate not valid for a server",
        "The certificate {subject} allows only these uses: {eku}; serverAuth is missing.",
        "Have the certificate reissued with the extended key usage serverAuth "
        "(TLS Web Server Authentication).",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.invalid",
        C,
        "Certificate fails verification",
        "The chain of {subject} fails path validation: {reason}.",
        "Fix the certificate or chain named above and check again; do not accept the "
        "certificate in the client.",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.malformed",
        C,
        "Certificate cannot be read",
        "In the certificate {subject}, the part {part} cannot be read: {reason}.",
        "Have the certificate reissued with a standard encoding, one copy of each "
        "extension and a supported key (RSA of 2048 bits or more, ECDSA P-256 or P-384, "
        "Ed25519). Strict clients refuse it, and a client that skips the broken part "
        "checks less than it should: do not accept it instead.",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.hostname_invalid",
        C,
        "Host name is not a valid domain name",
        "{host} is not a valid internationalised domain name ({reason}), so no "
        "certificate can be matched against it.",
        "Check the spelling of the host name in the client's settings, or use the name "
        "the server's certificate is issued for.",
        ("https://www.rfc-editor.org/rfc/rfc5891",),
        297,
    ),
    Entry(
        "cert.cn_not_in_san",
        M,
        "Common name not among the certificate's names",
        "The certificate {subject} has the common name {cn}, which its subjectAltName "
        "does not list. Clients ignore the common name, so this name is not covered.",
        "Have the certificate reissued with the common name also listed in the "
        "subjectAltName (CA/Browser Forum Baseline Requirements 7.1.4.3); a public CA "
        "that issued it this way misissued it.",
        ("https://cabforum.org/baseline-requirements/", RFC6125),
    ),
    Entry(
        "cert.name_not_ldh",
        L,
        "Host name with characters strict clients refuse",
        "{host} contains characters other than letters, digits, hyphens and dots (an "
        "underscore, for example). The certificate lists exactly this name and was "
        "matched as OpenSSL matches it, but strict validators (Go, rustls, "
        "Python's cryptography) refuse such a name.",
        "Prefer host names of letters, digits and hyphens (RFC 952, RFC 1123) for mail "
        "servers, and issue the certificate for that name.",
        ("https://www.rfc-editor.org/rfc/rfc1123",),
    ),
    Entry(
        "cert.none",
        C,
        "No certificate",
        "The server completed the handshake without any certificate (anonymous key "
        "exchange), so its identity cannot be checked at all.",
        "Configure a certificate on the server and disable anonymous cipher suites.",
        (RFC5280,),
        295,
    ),
    Entry(
        "cert.verified",
        INFO,
        "Certificate verified",
        "{subject}, issued by {issuer}, valid until {not_after}, matches {host}.",
        "Nothing to do.",
    ),
    # --- STARTTLS and TLS ---
    Entry(
        "starttls.not_offered",
        H,
        "STARTTLS not offered",
        "The server's {protocol} capabilities do not include STARTTLS: {capabilities}.",
        "Enable TLS on the server (Postfix: smtpd_tls_security_level = may, or encrypt "
        "on submission; Dovecot: ssl = required). Until then passwords and mail cross "
        "the network in clear text.",
        (RFC3207, RFC8314),
        319,
    ),
    Entry(
        "starttls.refused",
        H,
        "STARTTLS refused",
        "The server advertised STARTTLS but answered the command with: {reply}",
        "Check the server's TLS configuration and its log: the certificate or key "
        "files may be missing or unreadable.",
        (RFC3207,),
        319,
    ),
    Entry(
        "tls.handshake_failed",
        H,
        "TLS handshake failed",
        "The TLS handshake did not complete: {reason}.",
        "Check the server's TLS settings and log. mailtls accepts any certificate and "
        "any protocol for diagnosis, so the server refused the connection itself.",
        (RFC8314,),
    ),
    Entry(
        "protocol.no_tls1_2_or_later",
        H,
        "Neither TLS 1.2 nor TLS 1.3",
        "The best protocol the server agreed to is {version}.",
        "Enable TLS 1.2 and TLS 1.3 on the server and disable SSLv2, SSLv3, TLS 1.0 "
        "and TLS 1.1 (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
        (RFC8996,),
        327,
    ),
    # --- connection ---
    Entry(
        "conn.refused",
        H,
        "Connection refused",
        "Nothing accepted the connection to {address} port {port}: {reason}.",
        "Check that the service runs and listens on this address and port, and that "
        "no firewall blocks it.",
    ),
    Entry(
        "conn.timeout",
        H,
        "Timed out",
        "No answer within {seconds} s while {phase}.",
        "Check that the server is reachable and not overloaded; raise --timeout for "
        "slow links. A greeting that never comes is often a tarpit or a firewall.",
    ),
    Entry(
        "conn.rate_limited",
        H,
        "Server refused service (rate limit)",
        "The server answered {reply} instead of a greeting, so nothing could be tested.",
        "Scan again later or with fewer parallel connections (--per-address 1). This "
        "is not a TLS failure: the server limited connections from this address.",
        (RFC5321,),
    ),
    Entry(
        "conn.resolve_failed",
        H,
        "Host name does not resolve",
        "{host} could not be resolved: {reason}.",
        "Check the spelling and the DNS records of the host, or force an address "
        "with --resolve HOST:PORT:ADDRESS.",
    ),
    Entry(
        "conn.protocol_error",
        H,
        "Server does not speak the expected protocol",
        "The server broke the {protocol} dialogue: {reason}.",
        "Check that the port belongs to the service named by the scheme (for example "
        "smtps:// for implicit TLS on 465, smtp:// for STARTTLS on 25 and 587).",
    ),
    Entry(
        "conn.closed",
        H,
        "Server closed the connection",
        "The server closed the connection while {phase}.",
        "Check the server's log for the reason (limits, access rules, crashes).",
    ),
    Entry(
        "conn.wrong_scheme.tls",
        H,
        "Wrong scheme: this port speaks TLS at once",
        "{url} sent no greeting in clear text, but a second connection's TLS ClientHello "
        "was answered with TLS: this port expects TLS from the first byte (implicit TLS), "
        "not STARTTLS.",
        "Scan {suggested} instead. Schemes ending in s (smtps://, imaps://, pop3s://) are "
        "for ports that speak TLS at once (465, 993, 995); smtp://, submission://, "
        "imap://, pop3:// and sieve:// are for STARTTLS ports (25, 587, 143, 110, 4190).",
        (RFC8314,),
    ),
    Entry(
        "conn.wrong_scheme.plain",
        H,
        "Wrong scheme: this port speaks plain {protocol} first",
        "{url} answered the TLS ClientHello in clear text with \"{greeting}\": this port "
        "greets in plain {protocol} first and offers TLS through STARTTLS, if at all.",
        "Scan {suggested} instead. STARTTLS ports (25, 587, 143, 110, 4190) take smtp://, "
        "submission://, imap://, pop3:// or sieve://; the schemes ending in s are for "
        "ports that speak TLS at once (465, 993, 995).",
        (RFC8314, RFC3207),
    ),
    # --- MX discovery ---
    Entry(
        "mx.null",
        INFO,
        "Domain accepts no mail (null MX)",
        "{domain} publishes a null MX record: it accepts no mail, so there is nothing to scan.",
        "Nothing to do if the domain sends no mail; otherwise publish real MX records.",
        (RFC7505,),
    ),
    Entry(
        "mx.implicit",
        INFO,
        "No MX record; the domain itself receives mail",
        "{domain} has no MX record, so senders deliver to the domain's own address.",
        "Publish an MX record to make the mail route explicit.",
        (RFC5321,),
    ),
    # --- mailtls itself (every command: one target, configuration or file) ---
    Entry(
        "scan.internal_error",
        C,
        "Internal error in mailtls: not tested",
        "mailtls failed while {phase}: {error}. This is a bug in mailtls, not a finding "
        "about the server or the file; everything else was checked as usual.",
        "Please report this bug to the mailtls developers with this message and the "
        "version (mailtls {version}); MAILTLS_DEBUG=1 prints the traceback. Until it is "
        "fixed, this target or file counts as not tested.",
    ),
)

#: Sentences of the user interface that are not findings (table headers, messages).
UI_STRINGS: tuple[str, ...] = (
    "Target",
    "Address",
    "TLS",
    "Certificate",
    "Verdict",
    "Severity",
    "Expires",
    "Fix",
    "OK",
    "not tested",
    "certificate",  # certificate roles (the role param; "certificate" when not known)
    "server certificate",
    "intermediate CA certificate",
    "root CA certificate",
    "trust anchor",
    "Mozilla roots via certifi",  # trust store names (the trust param)
    "system store",
    "critical",
    "high",
    "medium",
    "low",
    "info",
    "Scanning",
    # probe phases, used in conn.timeout and conn.closed details
    "resolving the host name",
    "connecting",
    "waiting for the greeting",
    "in the TLS handshake",
    "in the dialogue after the TLS handshake",
    # phases of scan.internal_error (mailtls.failures)
    "probing the server",
    "running the deep scan",
    "checking the results",
    "grading",
    "preparing the report",
    "reading the configuration",
    "auditing the configuration",
    # the command line's contract (cli/scan.py, cli/audit.py, cli/interrupt.py)
    "Verdict as of {time}",
    "Interrupted: {done} of {total} finished; the others were not checked.",
    "{done}/{total} finished: {target}",
    "interrupted",
    "internal error: {error}. Please report this bug (MAILTLS_DEBUG=1 prints the traceback).",
)

#: Sentences with a count, in the plural form the count needs.
PLURALS: tuple[tuple[str, str], ...] = (
    ("{count} endpoint scanned", "{count} endpoints scanned"),
)

PART = Part("mailtls", _ENTRIES, UI_STRINGS, frozenset({"phase", "trust", "role"}), PLURALS,
            (("days", "{count} day", "{count} days"), ("bits", "{count} bit", "{count} bits"),
             ("min_bits", "{count} bit", "{count} bits")))
