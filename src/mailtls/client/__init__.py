"""A mail client that cannot be told to accept any certificate.

    from mailtls.client import Client
    with Client("submission://mail.example.com", username="alice", password=pw) as c:
        result = c.send_message(msg)          # EmailMessage or bytes
    print(result.queue_id)

    async with AsyncClient("smtp://relay.corp.test", ca_file="corp-ca.pem") as c: ...
    AsyncClient("submission://mx.lab.test", pin_sha256="base64 SPKI SHA-256")

TLS 1.2 or newer, certificate and host name always verified by OpenSSL; private trust only
through ``ca_file=`` or ``pin_sha256=``; STARTTLS required, no plaintext fallback; AUTH and
MAIL only on a verified session. Every error is a :class:`MailTLSClientError` whose
``finding`` has the id ``mailtls scan`` would report. See docs/client.md.
"""

from .errors import (
    AuthenticationFailed,
    CertificateExpired,
    CertificateInvalid,
    CertificateNotYetValid,
    ConnectionFailed,
    DeliveryUnconfirmed,
    HeaderInjection,
    HostnameMismatch,
    IncompleteChain,
    InsecureSSLContext,
    InvalidAddress,
    MailTLSClientError,
    MessageRejected,
    MessageTooLarge,
    PinMismatch,
    ResponseInjection,
    SelfSignedCertificate,
    StartTLSUnavailable,
    TLSHandshakeFailed,
    TLSNegotiationError,
    TLSVerificationError,
    TLSVersionTooOld,
    UntrustedCertificate,
)
from .message import build_message, check_address
from .smtp import AsyncClient, Secret, SendResult
from .sync import Client, asend, send

__all__ = [
    "AsyncClient",
    "AuthenticationFailed",
    "CertificateExpired",
    "CertificateInvalid",
    "CertificateNotYetValid",
    "Client",
    "ConnectionFailed",
    "DeliveryUnconfirmed",
    "HeaderInjection",
    "HostnameMismatch",
    "IncompleteChain",
    "InsecureSSLContext",
    "InvalidAddress",
    "MailTLSClientError",
    "MessageRejected",
    "MessageTooLarge",
    "PinMismatch",
    "ResponseInjection",
    "Secret",
    "SelfSignedCertificate",
    "SendResult",
    "StartTLSUnavailable",
    "TLSHandshakeFailed",
    "TLSNegotiationError",
    "TLSVerificationError",
    "TLSVersionTooOld",
    "UntrustedCertificate",
    "asend",
    "build_message",
    "check_address",
    "send",
]
