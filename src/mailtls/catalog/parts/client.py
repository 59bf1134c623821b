"""Catalogue part "client": what ``mailtls.client`` and ``mailtls send`` add to the catalogue.

Certificate, STARTTLS, protocol-version and connection failures reuse the scan's ids
(cert.expired, starttls.not_offered, protocol.no_tls1_2_or_later, conn.timeout, ...): the
same fact has the same id in the scanner and in the client. The ids here exist only on
the sending side: a pin, a response injection, the dialogue after TLS, the message and the
password file. Params named ``problem`` and ``stage`` are catalogue sentences themselves
(UI_STRINGS) and are translated before they fill a template.
"""

from __future__ import annotations

from ...model import Severity
from ..entry import Entry, Part

C, H, M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM

RFC3207 = "https://www.rfc-editor.org/rfc/rfc3207"
RFC4954 = "https://www.rfc-editor.org/rfc/rfc4954"
RFC5321 = "https://www.rfc-editor.org/rfc/rfc5321"
RFC5322 = "https://www.rfc-editor.org/rfc/rfc5322"
RFC1870 = "https://www.rfc-editor.org/rfc/rfc1870"
RFC7469 = "https://www.rfc-editor.org/rfc/rfc7469"
CVE_2011_0411 = "https://www.cve.org/CVERecord?id=CVE-2011-0411"

_ENTRIES = (
    Entry(
        "client.pin_mismatch",
        C,
        "Server key does not match the pin",
        "The server {host} presented {subject} with key SHA-256 {actual}, but the pin is "
        "{expected}.",
        "If the server's key was replaced on purpose, check the new certificate with its "
        "administrator and update the pin (mailtls scan shows spki_sha256). Otherwise "
        "someone else may be answering for this server: do not send.",
        (RFC7469,),
        295,
    ),
    Entry(
        "client.response_injection",
        C,
        "Bytes injected after the STARTTLS reply",
        "The server sent {bytes} of extra data after its reply to STARTTLS and before the "
        "TLS handshake; they would be read as if they came over TLS.",
        "Nothing was sent. A man in the middle or a broken server injects replies this "
        "way: check the network path and the server's software, and report it.",
        (RFC3207, CVE_2011_0411),
        74,
    ),
    Entry(
        "client.auth_failed",
        H,
        "Login refused",
        "The server refused the login of {user}: {reply}",
        "Check the user name and the password file. The password was sent only over "
        "the verified TLS connection.",
        (RFC4954,),
    ),
    Entry(
        "client.auth_unavailable",
        H,
        "No usable login method",
        "The server offers no login method this client supports after TLS "
        "(offered: {mechanisms}).",
        "Enable SASL PLAIN or LOGIN on the server's submission port (Postfix: "
        "smtpd_sasl_auth_enable = yes), or send without --user if the server relays "
        "for this client.",
        (RFC4954,),
    ),
    Entry(
        "client.rejected",
        H,
        "Server rejected the message",
        "The server refused {stage}: {reply}",
        "Read the server's reply: it names the policy that refused the message (sender "
        "address, recipient, relay access, content). Nothing was delivered.",
        (RFC5321,),
    ),
    Entry(
        "client.size_exceeded",
        H,
        "Message larger than the server accepts",
        "The message is {size} bytes; the server accepts at most {limit} bytes.",
        "Send a smaller message (attachments by link), or raise the server's limit "
        "(Postfix: message_size_limit). Nothing was delivered.",
        (RFC1870,),
    ),
    Entry(
        "client.bad_address",
        H,
        "Invalid mail address",
        "{address}: {problem}",
        "Give an address of the form local-part@domain, without spaces, angle brackets, "
        "line breaks or control characters.",
        (RFC5321,),
        20,
    ),
    Entry(
        "client.header_injection",
        H,
        "Line break in a header",
        "The header {header} contains a line break (CR or LF); it would start new "
        "headers or a new message body.",
        "Remove the line breaks from the value. A value taken from a form or another "
        "program must be checked before it becomes a header.",
        (RFC5322,),
        93,
    ),
    Entry(
        "client.delivery_unconfirmed",
        H,
        "Delivery not confirmed",
        "The connection ended after the message was sent and before the server "
        "confirmed it ({problem}).",
        "Do not count the message as sent. Check the server's log for the message, "
        "then send it again if it is not there.",
        (RFC5321,),
    ),
    Entry(
        "client.password_file_insecure",
        M,
        "Password file readable by other users",
        "The password file {path} can be read by every user of this machine "
        "(mode {mode}).",
        "Restrict it to its owner: chmod 600 {path}.",
        (),
        732,
    ),
    Entry(
        "client.password_file_unreadable",
        H,
        "Password file cannot be read",
        "The password file {path} cannot be read: {problem}.",
        "Check the path and its permissions, and that the file holds the password on "
        "its first line.",
    ),
    Entry(
        "client.insecure_context",
        C,
        "TLS context that does not verify",
        "The TLS context given to the client is not acceptable: {problem}.",
        "Pass no ssl_context (the client builds a verifying one), or one made with "
        "ssl.create_default_context() and left verifying. Trust an internal server "
        "with ca_file= or pin_sha256=, never by switching verification off.",
        (),
        295,
    ),
)

#: Sentences of the client and of ``mailtls send`` that are not findings.
UI_STRINGS: tuple[str, ...] = (
    # client.bad_address problems
    "not of the form local-part@domain",
    "contains a line break or a control character",
    "contains white space or angle brackets",
    "the local part is not valid",
    "the domain is not valid",
    "longer than 254 characters",
    "needs SMTPUTF8, which the server does not offer",
    "the message has no sender",
    "the message has no recipient",
    # client.rejected stages
    "the sender (MAIL FROM)",
    "the recipients (RCPT TO)",
    "the message (DATA)",
    "the message after it was sent",
    # client.delivery_unconfirmed problems and probe phases used by conn.*
    "the server closed the connection",
    "no reply in time",
    "sending the message",
    "waiting for the reply to the message",
    "logging in",
    "in the mail dialogue",
    # client.insecure_context problems
    "a subclass of ssl.SSLContext",
    "verify_mode is not CERT_REQUIRED",
    "check_hostname is off",
    "minimum_version is below TLS 1.2",
    "its SSLObject or SSLSocket class was replaced",
    "the TLS session was not verified",
    # client.password_file_unreadable problems
    "no such file",
    "permission denied",
    "the file is empty",
    # mailtls send
    "Sent: the server accepted the message",
    "queued as",
    "Not sent",
    "Password for {user}: ",
    "no terminal to ask for the password: use --password-file",
)

PART = Part("mailtls-client", _ENTRIES, UI_STRINGS, frozenset({"problem", "stage"}),
            counted=(("bytes", "{count} byte", "{count} bytes"),))
