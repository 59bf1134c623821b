"""Catalogue part "grade": the reasons that cap a letter grade (gettext domain mailtls-grade).

Each ``grade.*`` finding names the cap (``{cap}``: A, A-, B, C, D, F), the policy
(``{policy}``, a proper name, not translated) and the endpoint's role (``{grade_role}``,
translated). ``{grade_level}`` is a policy level and ``{grade_kind}`` a kind of weakness,
both translated through the UI strings below. These findings explain a grade; they are
not added to an endpoint's findings and do not change the exit status.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

C, H, M, L, INFO = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW,
                    Severity.INFO)

RFC8996 = "https://www.rfc-editor.org/rfc/rfc8996"
RFC7525 = "https://www.rfc-editor.org/rfc/rfc9325"
RFC8314 = "https://www.rfc-editor.org/rfc/rfc8314"
RFC7672 = "https://www.rfc-editor.org/rfc/rfc7672"
RFC8461 = "https://www.rfc-editor.org/rfc/rfc8461"
RFC7919 = "https://www.rfc-editor.org/rfc/rfc7919"
RFC5746 = "https://www.rfc-editor.org/rfc/rfc5746"
RFC3207 = "https://www.rfc-editor.org/rfc/rfc3207"

_ENTRIES = (
    Entry(
        "grade.not_tested",
        INFO,
        "Not graded: the endpoint could not be tested",
        "No TLS handshake completed with this {grade_role} endpoint, so there is nothing "
        "to grade.",
        "Fix the connection problem reported for this endpoint, then scan it again.",
    ),
    Entry(
        "grade.no_tls",
        C,
        "Grade {cap}: no TLS at all",
        "This {grade_role} endpoint offers no TLS: everything it receives, mail and "
        "passwords included, crosses the network in plaintext.",
        "Enable STARTTLS (Postfix: smtpd_tls_security_level = may with a certificate; "
        "Dovecot: ssl = yes) or implicit TLS on this port.",
        (RFC3207, RFC8314),
    ),
    Entry(
        "grade.incomplete",
        INFO,
        "Grade {cap}: the scan was incomplete",
        "Only part of the server's TLS configuration was seen (a scan without --deep, or "
        "probes the server throttled or refused); what was not seen was not counted, so "
        "the best grade is withheld.",
        "Scan with --deep; if the server throttles, scan again later or with --gentle, "
        "from an address it does not throttle.",
    ),
    Entry(
        "grade.protocol",
        M,
        "Grade {cap}: {protocol} accepted",
        "The server accepts {protocol}; {policy} rates it {grade_level}. For a {grade_role} "
        "endpoint this caps the grade at {cap}.",
        "Disable {protocol} (Postfix: smtpd_tls_protocols and "
        "smtpd_tls_mandatory_protocols = >=TLSv1.2; Dovecot: ssl_min_protocol = TLSv1.2).",
        (RFC8996,),
    ),
    Entry(
        "grade.protocol_mx",
        L,
        "Grade {cap}: legacy {protocol} on an MX",
        "The MX accepts {protocol}. For opportunistic TLS on port 25 an old protocol is "
        "still better than the plaintext a sender would fall back to, so it does not fail "
        "an MX; {policy} rates it {grade_level}.",
        "Disable {protocol} once the senders you care about speak TLS 1.2 (Postfix: "
        "smtpd_tls_protocols = >=TLSv1.2); keep opportunistic TLS on.",
        (RFC8996, RFC7672),
    ),
    Entry(
        "grade.no_tls12",
        H,
        "Grade {cap}: neither TLS 1.2 nor TLS 1.3",
        "The best protocol this {grade_role} endpoint offers is {protocol}; current clients "
        "refuse it or fall back to worse.",
        "Upgrade the TLS library and enable TLS 1.2 and TLS 1.3.",
        (RFC8996,),
    ),
    Entry(
        "grade.no_tls13",
        INFO,
        "Grade {cap}: TLS 1.3 not offered",
        "The endpoint does not offer TLS 1.3, which removes the legacy options of TLS 1.2 "
        "and is required for the best grade.",
        "Enable TLS 1.3 (OpenSSL 1.1.1 or later; Postfix and Dovecot enable it by default).",
        (RFC7525,),
    ),
    Entry(
        "grade.cipher",
        M,
        "Grade {cap}: {grade_kind} cipher suites accepted",
        "Accepted with {protocol}: {suites}. For a {grade_role} endpoint this caps the "
        "grade at {cap}.",
        "Remove these suites from the server's cipher list (Postfix: "
        "smtpd_tls_exclude_ciphers or tls_*_cipherlist; Dovecot: ssl_cipher_list).",
        (RFC7525,),
    ),
    Entry(
        "grade.cipher_level",
        M,
        "Grade {cap}: cipher suites rated {grade_level} by {policy}",
        "Accepted with {protocol}: {suites}. {policy} rates them {grade_level}.",
        "Offer only the suites the policy rates good or sufficient, and check the list "
        "again with mailtls scan --deep --policy.",
        (RFC7525,),
    ),
    Entry(
        "grade.group_level",
        M,
        "Grade {cap}: key-exchange groups rated {grade_level} by {policy}",
        "The server accepts the groups {groups}; {policy} rates them {grade_level}.",
        "Restrict the groups (Postfix: tls_eecdh_auto_curves; Dovecot: ssl_curve_list; "
        "OpenSSL: Groups in the system configuration).",
        (RFC7919,),
    ),
    Entry(
        "grade.dh_weak",
        H,
        "Grade {cap}: DHE group of {bits} bits",
        "The server's finite-field Diffie-Hellman group has {bits} bits ({group}); below "
        "2048 bits it is within reach of precomputation (Logjam). {policy} rates it "
        "{grade_level}.",
        "Use an RFC 7919 group of 3072 bits or more (Postfix: smtpd_tls_dh1024_param_file "
        "= auto or a 3072-bit file), or offer ECDHE only.",
        ("https://weakdh.org/", RFC7919),
    ),
    Entry(
        "grade.no_forward_secrecy",
        M,
        "Grade {cap}: key exchange without forward secrecy",
        "Accepted with {protocol}: {suites}. A recorded session can be decrypted later by "
        "whoever obtains the server's private key.",
        "Offer only ECDHE (or DHE) key exchange: remove the static RSA and (EC)DH suites.",
        (RFC7525,),
    ),
    Entry(
        "grade.no_aead",
        L,
        "Grade {cap}: no AEAD cipher suite",
        "Every suite accepted with {protocol} uses CBC with HMAC; none is AES-GCM, "
        "AES-CCM or ChaCha20-Poly1305.",
        "Add the ECDHE suites with AES-GCM or ChaCha20-Poly1305 and prefer them.",
        (RFC7525,),
    ),
    Entry(
        "grade.cert_verification",
        C,
        "Grade {cap}: the certificate does not verify on a {grade_role} endpoint",
        "Clients of this endpoint send passwords, and the certificate fails verification "
        "({finding}). A client that accepts it anyway can be made to talk to an attacker "
        "in the middle, who then reads the passwords.",
        "Install a certificate that verifies for this host name, with its intermediates; "
        "see the {finding} finding for what exactly is wrong.",
        (RFC8314,),
    ),
    Entry(
        "grade.cert_mx",
        INFO,
        "Grade {cap}: the MX certificate does not verify",
        "The certificate fails verification ({finding}). Opportunistic TLS on port 25 "
        "accepts it, so this does not fail an MX; senders that enforce MTA-STS will refuse "
        "it, and DANE needs TLSA records that match it.",
        "If the domain publishes MTA-STS, install a certificate that verifies for the MX "
        "name; with DANE, publish TLSA records for this certificate or key.",
        (RFC7672, RFC8461),
    ),
    Entry(
        "grade.cert_key",
        M,
        "Grade {cap}: certificate key {key}",
        "A certificate of this endpoint has a {key} key; {policy} rates it {grade_level} "
        "(minimum {minimum} bits for RSA).",
        "Issue the certificate with a stronger key: RSA of 3072 bits or ECDSA P-256.",
        ("https://www.keylength.com/",),
    ),
    Entry(
        "grade.cert_signature",
        M,
        "Grade {cap}: certificate signed with {signature}",
        "A certificate of this endpoint is signed with {signature}; {policy} rates it "
        "{grade_level}.",
        "Have the certificate reissued with a SHA-256 (or stronger) RSA or ECDSA signature.",
    ),
    Entry(
        "grade.vulnerability",
        C,
        "Grade {cap}: {grade_kind}",
        "The {grade_role} endpoint showed {grade_kind} (finding {finding}).",
        "Update the TLS library and the server, then scan again; see the {finding} finding.",
    ),
    Entry(
        "grade.hygiene",
        L,
        "Grade {cap}: {grade_kind}",
        "The endpoint showed {grade_kind} (finding {finding}). It is not an immediate "
        "weakness, but the best grades require it fixed.",
        "See the {finding} finding for the setting to change.",
    ),
    Entry(
        "grade.plaintext_auth",
        H,
        "Grade {cap}: credentials or mail accepted before STARTTLS",
        "The {grade_role} endpoint accepts a login or mail before TLS (finding {finding}). "
        "An attacker who strips STARTTLS from the dialogue reads what a client sends next.",
        "Offer authentication only after STARTTLS (Postfix: smtpd_tls_auth_only = yes; "
        "Dovecot: disable_plaintext_auth = yes) and require TLS on submission ports "
        "(smtpd_tls_security_level = encrypt).",
        (RFC3207, RFC8314),
    ),
)

UI_STRINGS = (
    # policy levels (grade_level)
    "good",
    "sufficient",
    "phase-out",
    "insufficient",
    # roles (grade_role)
    "MX",
    "submission",
    "IMAP",
    "POP3",
    "ManageSieve",
    # kinds (grade_kind)
    "NULL (unencrypted)",
    "export-grade",
    "anonymous (unauthenticated)",
    "RC4",
    "single-DES",
    "3DES (64-bit block, SWEET32)",
    "Heartbleed",
    "CCS injection",
    "ROBOT (RSA padding oracle)",
    "TLS compression (CRIME)",
    "insecure renegotiation",
    "STARTTLS command injection",
    "STARTTLS offered only on some connections",
    "no TLS_FALLBACK_SCSV downgrade protection",
    "no extended master secret",
    "client-initiated renegotiation accepted",
    # terminal labels
    "Grade",
    "policy",
    "capped by",
)

PART = Part("mailtls-grade", _ENTRIES, UI_STRINGS,
            frozenset({"grade_level", "grade_role", "grade_kind"}))
