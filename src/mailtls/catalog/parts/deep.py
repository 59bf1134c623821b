"""Catalogue part "deep": what ``scan --deep`` finds (gettext domain mailtls-deep).

Protocol versions, cipher suites, key exchange, known vulnerabilities, TLS hygiene and the
mail-specific checks. ``protocol.no_tls1_2_or_later`` lives in part "scan" and is reused.
Severities are the finding's own; the grade (mailtls.policy) weighs them by role.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

C, H, M, L, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO

RFC = "https://www.rfc-editor.org/rfc/rfc"
POSTFIX_TLS = "https://www.postfix.org/TLS_README.html"
DOVECOT_SSL = "https://doc.dovecot.org/2.3/configuration_manual/dovecot_ssl_configuration/"
DISABLE = (
    "Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2; "
    "Dovecot: ssl_min_protocol = TLSv1.2."
)
CIPHERS = (
    "Postfix: smtpd_tls_exclude_ciphers (or a stricter smtpd_tls_ciphers grade); Dovecot: "
    "ssl_cipher_list. Then scan again."
)
_SUITES = "{protocols}: {suites}"

_ENTRIES = (
    # --- protocol versions ---
    Entry("protocol.sslv2", C, "SSLv2 offered",
          "The server accepts SSL 2.0 ({count} cipher kinds): it is broken beyond repair "
          "and exposes even TLS sessions with the same key to DROWN.",
          "Disable SSLv2. " + DISABLE, (f"{RFC}6176", "https://drownattack.com/"), 327),
    Entry("protocol.sslv3", H, "SSLv3 offered",
          "The server accepts SSL 3.0, which POODLE breaks.",
          "Disable SSLv3. " + DISABLE, (f"{RFC}7568",), 327),
    Entry("protocol.tls1_0", M, "TLS 1.0 offered",
          "The server accepts TLS 1.0, deprecated since 2021.",
          "Disable TLS 1.0 unless a known old client still needs it. " + DISABLE,
          (f"{RFC}8996",), 327),
    Entry("protocol.tls1_1", M, "TLS 1.1 offered",
          "The server accepts TLS 1.1, deprecated since 2021.",
          "Disable TLS 1.1. " + DISABLE, (f"{RFC}8996",), 327),
    # --- cipher suites ---
    Entry("cipher.null", C, "Cipher suites without encryption",
          "The server accepts suites that send mail in clear text inside TLS: " + _SUITES + ".",
          "Remove the NULL suites. " + CIPHERS, (f"{RFC}5246",), 319),
    Entry("cipher.anonymous", M, "Anonymous cipher suites",
          "The server accepts suites without server authentication, open to a man in the "
          "middle for any client that offers them: " + _SUITES + ".",
          "Remove the anonymous suites (aNULL) where clients authenticate the server "
          "(submission, IMAP, POP3). On port 25 they only serve senders that do not "
          "verify anyway. " + CIPHERS, (f"{RFC}5246",), 306),
    Entry("cipher.export", C, "Export-grade cipher suites",
          "The server accepts 40/56-bit export suites (FREAK, Logjam): " + _SUITES + ".",
          "Remove every EXPORT suite. " + CIPHERS, ("https://weakdh.org/",), 327),
    Entry("cipher.rc4", H, "RC4 cipher suites",
          "The server accepts RC4, which RFC 7465 prohibits: " + _SUITES + ".",
          "Remove the RC4 suites. " + CIPHERS, (f"{RFC}7465",), 327),
    Entry("cipher.3des", M, "3DES cipher suites (SWEET32)",
          "The server accepts 64-bit block ciphers, open to SWEET32 on long sessions: "
          + _SUITES + ".",
          "Remove 3DES (and other 64-bit block ciphers). " + CIPHERS,
          ("https://sweet32.info/",), 327),
    Entry("cipher.cbc_only", M, "No AEAD cipher suite",
          "Every suite the server accepts uses CBC with a separate MAC (the source of "
          "Lucky13 and its relatives); none uses GCM, CCM or ChaCha20-Poly1305.",
          "Enable TLS 1.2 AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305) and TLS 1.3.",
          (f"{RFC}7525",), 327),
    # --- key exchange ---
    Entry("kex.no_forward_secrecy", H, "No forward secrecy",
          "{reason}: a stolen server key decrypts recorded sessions.",
          "Offer ECDHE (and TLS 1.3) suites and prefer them; remove static RSA key exchange "
          "where clients allow it.", (f"{RFC}7525",), 327),
    Entry("kex.dh_weak", H, "Weak Diffie-Hellman group",
          "The server uses a {bits}-bit Diffie-Hellman group ({group}) for DHE (Logjam: "
          "below 2048 bits is within reach of well-funded attackers).",
          "Use a DH group of at least 2048 bits (RFC 7919 ffdhe2048 or larger), or drop DHE "
          "for ECDHE. Postfix: smtpd_tls_dh1024_param_file with 2048-bit parameters, and "
          "no anonymous suites (OpenSSL gives them a 1024-bit group).",
          ("https://weakdh.org/", f"{RFC}7919"), 326),
    # --- vulnerabilities ---
    Entry("vuln.heartbleed", C, "Heartbleed (CVE-2014-0160)",
          "The server answered an overlong heartbeat request: it leaks its memory, keys "
          "included, to anyone.",
          "Update OpenSSL at once, restart every service that uses it, then replace the "
          "private keys and certificates and revoke the old ones.",
          ("https://heartbleed.com/",), 125),
    Entry("vuln.ccs_injection", H, "CCS injection (CVE-2014-0224)",
          "The server accepted a ChangeCipherSpec before the key exchange, and with it keys "
          "derived from an empty master secret, which a man in the middle can read.",
          "Update OpenSSL (0.9.8za, 1.0.0m, 1.0.1h or later) and restart the services.",
          ("https://www.openssl.org/news/secadv/20140605.txt",), 757),
    Entry("vuln.robot", H, "ROBOT: RSA padding oracle (Bleichenbacher)",
          "The server answers RSA key exchanges with broken PKCS#1 v1.5 padding differently "
          "from correct ones, {oracle} ({evidence}). An attacker can decrypt recorded "
          "sessions that used RSA key exchange, or sign with the server's key.",
          "Update the TLS library or appliance firmware (robotattack.org lists the fixes), "
          "and remove the RSA key exchange suites (TLS_RSA_*): Postfix: "
          "smtpd_tls_exclude_ciphers = kRSA; Dovecot: ssl_cipher_list with !kRSA.",
          ("https://robotattack.org/", f"{RFC}5246#section-7.4.7.1"), 203),
    Entry("tls.compression", M, "TLS compression (CRIME)",
          "The server agreed to compress TLS records, which leaks secrets to an attacker "
          "who can add data to the session.",
          "Disable TLS compression (current OpenSSL does by default; Postfix: "
          "tls_ssl_options = NO_COMPRESSION).", ("https://en.wikipedia.org/wiki/CRIME",), 200),
    Entry("reneg.insecure", H, "Insecure renegotiation",
          "The server does not support secure renegotiation (RFC 5746): a man in the middle "
          "can prefix its own data to a client's session.",
          "Update the TLS library; every current one supports RFC 5746.", (f"{RFC}5746",), 295),
    Entry("reneg.client_initiated", L, "Client-initiated renegotiation accepted",
          "The server renegotiates whenever a client asks, which costs it far more than the "
          "client (denial of service).",
          "Refuse client-initiated renegotiation (OpenSSL 3 does by default; Postfix: "
          "tls_ssl_options = NO_RENEGOTIATION).", (f"{RFC}5746",), 400),
    Entry("tls.no_fallback_scsv", L, "No downgrade protection (TLS_FALLBACK_SCSV)",
          "The server accepted {version} from a client that signalled a fallback while it "
          "supports a higher version.",
          "Update the TLS library (RFC 7507 support), or offer one protocol version only.",
          (f"{RFC}7507",), 757),
    Entry("tls.no_extended_master_secret", L, "No extended master secret",
          "The server does not support the extended master secret (RFC 7627) in TLS 1.2 and "
          "below, which the triple-handshake attack exploits.",
          "Update the TLS library, or offer TLS 1.3 only.", (f"{RFC}7627",), 294),
    # --- mail ---
    Entry("smtp.auth_before_tls", H, "AUTH offered before STARTTLS",
          "The server advertises AUTH ({mechanisms}) on the unencrypted connection: clients "
          "may send passwords in clear text.",
          "Postfix: smtpd_tls_auth_only = yes (and smtpd_tls_security_level = encrypt on "
          "submission).", (f"{RFC}3207", POSTFIX_TLS), 319),
    Entry("imap.login_before_tls", H, "IMAP login allowed before STARTTLS",
          "The capabilities before STARTTLS lack LOGINDISABLED ({capabilities}): the server "
          "takes passwords in clear text.",
          "Dovecot 2.3: disable_plaintext_auth = yes (2.4: auth_allow_cleartext = no). "
          "Dovecot treats connections from its own host as secure: scan from another host "
          "to see what clients see.", (f"{RFC}3501", DOVECOT_SSL), 319),
    Entry("pop3.user_before_tls", H, "POP3 login allowed before STARTTLS",
          "The CAPA reply before STARTTLS offers {mechanisms}: the server takes passwords in "
          "clear text.",
          "Dovecot 2.3: disable_plaintext_auth = yes (2.4: auth_allow_cleartext = no).",
          (f"{RFC}2595", DOVECOT_SSL), 319),
    Entry("starttls.command_injection", H, "STARTTLS command injection",
          "A command sent in clear text with STARTTLS was answered inside TLS ({evidence}): "
          "an attacker on the path can slip commands into the protected session.",
          "Update the server (CVE-2011-0411 and its 2021 relatives); it must drop buffered "
          "input when TLS starts.", ("https://www.postfix.org/CVE-2011-0411.html",), 74),
    Entry("starttls.not_required", M, "Mail accepted without TLS",
          "The server answered {reply} to MAIL FROM before STARTTLS on port {port}.",
          "Require TLS where clients submit mail: Postfix on submission, "
          "smtpd_tls_security_level = encrypt (or implicit TLS on 465, RFC 8314). On port 25 "
          "this is normal: senders that cannot do TLS still deliver.",
          (f"{RFC}8314", f"{RFC}3207"), 319),
    Entry("starttls.intermittent", M, "STARTTLS offered on some connections only",
          "STARTTLS was advertised on {seen} of {total} connections: the others would go "
          "unencrypted.",
          "Check every node behind the name (load balancer, cluster) and the server's "
          "connection limits: all must offer STARTTLS all the time.", (f"{RFC}3207",), 319),
    Entry("scan.incomplete", M, "Deep scan incomplete",
          "Some results are unknown, not negative: {reasons}.",
          "Scan again later, or with --gentle (one connection at a time, with pauses); "
          "raise the server's connection limits for the scanner's address if you own it.",
          (), None),
)  # fmt: skip

UI_STRINGS: tuple[str, ...] = (
    "Protocols",
    "Cipher suites",
    "server order",
    "client decides",
    "order unknown",
    "Groups",
    "Key exchange",
    "Certificates",
    "Vulnerabilities",
    "Mail",
    "Grade",
    "offered",
    "not offered",
    "unknown",
    "vulnerable",
    "not vulnerable",
    "inconclusive",
    "not applicable",
    "ROBOT (RSA padding oracle)",
    "strong oracle",
    "weak oracle",
    "connections",
    "incomplete",
    "yes",
    "no",
    "Session resumption (IDs / tickets)",
    "OCSP stapling",
    "Secure renegotiation",
    "Client-initiated renegotiation",
    "Downgrade protection (TLS_FALLBACK_SCSV)",
    "Extended master secret",
    "Compression",
    "CCS injection",
    "STARTTLS injection",
    "Mail before STARTTLS",
    "STARTTLS advertised",
    "DH group",
    "No accepted suite uses forward secrecy",
    "The server prefers a suite without forward secrecy",
    "the server throttled or refused connections",
    "some probes could not be completed",
    "a strong oracle: an attack is practical",
    "a weak oracle: only well-formed messages are told apart (far more connections)",
)

PART = Part("mailtls-deep", _ENTRIES, UI_STRINGS, frozenset({"reason", "reasons", "oracle"}))
