"""The client's exceptions: one class per finding id of the catalogue, and what they carry.

    MailTLSClientError                       .finding, .id, .certificate, .chain
    ├── TLSVerificationError                 the server's certificate was refused
    │   ├── CertificateExpired               cert.expired
    │   ├── CertificateNotYetValid           cert.not_yet_valid
    │   ├── HostnameMismatch                 cert.hostname_mismatch
    │   ├── SelfSignedCertificate            cert.self_signed
    │   ├── UntrustedCertificate             cert.untrusted
    │   ├── IncompleteChain                  cert.chain_incomplete
    │   ├── PinMismatch                      client.pin_mismatch
    │   └── CertificateInvalid               cert.invalid, cert.weak_key, cert.weak_signature,
    │                                        cert.not_for_server, cert.none
    ├── TLSNegotiationError
    │   ├── TLSVersionTooOld                 protocol.no_tls1_2_or_later
    │   └── TLSHandshakeFailed               tls.handshake_failed
    ├── StartTLSUnavailable                  starttls.not_offered, starttls.refused
    ├── ResponseInjection                    client.response_injection
    ├── ConnectionFailed                     conn.refused, conn.timeout, conn.closed, ...
    ├── AuthenticationFailed                 client.auth_failed, client.auth_unavailable
    ├── MessageRejected                      client.rejected
    │   └── MessageTooLarge                  client.size_exceeded
    ├── DeliveryUnconfirmed                  client.delivery_unconfirmed
    ├── InvalidAddress (also ValueError)     client.bad_address
    ├── HeaderInjection (also ValueError)    client.header_injection
    └── InsecureSSLContext (also ValueError) client.insecure_context

``str(exc)`` is the English title and detail; ``exc.title(lang)``, ``exc.detail(lang)`` and
``exc.remediation(lang)`` come from the catalogue in English or Simplified Chinese. No
exception ever holds a password: the client never puts one into a finding's params.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..catalog import describe, severity_of
from ..errors import MailtlsError
from ..model import CertInfo, Finding, Severity


class MailTLSClientError(MailtlsError):
    """Base of every error of ``mailtls.client``: a finding of the shared catalogue."""

    default_id = "conn.closed"

    def __init__(
        self,
        finding: Finding,
        *,
        certificate: CertInfo | None = None,
        chain: tuple[CertInfo, ...] = (),
        reply: str | None = None,
        code: int | None = None,
    ) -> None:
        self.finding = finding
        self.certificate = certificate if certificate is not None else (chain or (None,))[0]
        self.chain = chain
        self.reply = reply  # the server's reply, where one caused the error
        self.code = code
        super().__init__(self._message("en"))

    @classmethod
    def make(cls, finding_id: str | None = None, **params: str) -> MailTLSClientError:
        """An exception of this class for a new finding ``finding_id`` with ``params``."""
        fid = finding_id or cls.default_id
        return cls(Finding(fid, severity_of(fid), params))

    @property
    def id(self) -> str:
        return self.finding.id

    def title(self, lang: str = "en") -> str:
        return describe(self.finding, lang).title

    def detail(self, lang: str = "en") -> str:
        return describe(self.finding, lang).detail

    def remediation(self, lang: str = "en") -> str:
        return describe(self.finding, lang).remediation

    def _message(self, lang: str) -> str:
        text = describe(self.finding, lang)
        return f"{text.title}: {text.detail}" if text.detail else text.title

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, message={str(self)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        f = self.finding
        return (_rebuild, (type(self), f.id, f.severity, dict(f.params), self.certificate,
                           self.chain, self.reply, self.code))


def _rebuild(
    cls: type[MailTLSClientError],
    finding_id: str,
    severity: Severity,
    params: dict[str, str],
    certificate: CertInfo | None,
    chain: tuple[CertInfo, ...],
    reply: str | None,
    code: int | None,
) -> MailTLSClientError:
    finding = Finding(finding_id, severity, params)
    return cls(finding, certificate=certificate, chain=chain, reply=reply, code=code)


class TLSVerificationError(MailTLSClientError):
    """The server's certificate (or key) failed verification: nothing was sent."""

    default_id = "cert.invalid"


class CertificateExpired(TLSVerificationError):
    default_id = "cert.expired"


class CertificateNotYetValid(TLSVerificationError):
    default_id = "cert.not_yet_valid"


class HostnameMismatch(TLSVerificationError):
    default_id = "cert.hostname_mismatch"


class SelfSignedCertificate(TLSVerificationError):
    default_id = "cert.self_signed"


class UntrustedCertificate(TLSVerificationError):
    default_id = "cert.untrusted"


class IncompleteChain(TLSVerificationError):
    default_id = "cert.chain_incomplete"


class PinMismatch(TLSVerificationError):
    default_id = "client.pin_mismatch"


class CertificateInvalid(TLSVerificationError):
    default_id = "cert.invalid"


class TLSNegotiationError(MailTLSClientError):
    default_id = "tls.handshake_failed"


class TLSVersionTooOld(TLSNegotiationError):
    default_id = "protocol.no_tls1_2_or_later"


class TLSHandshakeFailed(TLSNegotiationError):
    default_id = "tls.handshake_failed"


class StartTLSUnavailable(MailTLSClientError):
    """No STARTTLS in the EHLO reply (not offered, or stripped on the way), or refused."""

    default_id = "starttls.not_offered"


class ResponseInjection(MailTLSClientError):
    default_id = "client.response_injection"


class ConnectionFailed(MailTLSClientError):
    default_id = "conn.closed"


class AuthenticationFailed(MailTLSClientError):
    default_id = "client.auth_failed"


class MessageRejected(MailTLSClientError):
    default_id = "client.rejected"


class MessageTooLarge(MessageRejected):
    default_id = "client.size_exceeded"


class DeliveryUnconfirmed(MailTLSClientError):
    """The message was sent but never confirmed: it must not be counted as sent."""

    default_id = "client.delivery_unconfirmed"


class InvalidAddress(MailTLSClientError, ValueError):
    default_id = "client.bad_address"


class HeaderInjection(MailTLSClientError, ValueError):
    default_id = "client.header_injection"


class InsecureSSLContext(MailTLSClientError, ValueError):
    default_id = "client.insecure_context"


#: finding id -> the exception class that stands for it
CLASSES: Mapping[str, type[MailTLSClientError]] = {
    "cert.expired": CertificateExpired,
    "cert.not_yet_valid": CertificateNotYetValid,
    "cert.hostname_mismatch": HostnameMismatch,
    "cert.self_signed": SelfSignedCertificate,
    "cert.untrusted": UntrustedCertificate,
    "cert.chain_incomplete": IncompleteChain,
    "client.pin_mismatch": PinMismatch,
    "cert.invalid": CertificateInvalid,
    "cert.weak_key": CertificateInvalid,
    "cert.weak_signature": CertificateInvalid,
    "cert.not_for_server": CertificateInvalid,
    "cert.none": CertificateInvalid,
    "protocol.no_tls1_2_or_later": TLSVersionTooOld,
    "tls.handshake_failed": TLSHandshakeFailed,
    "starttls.not_offered": StartTLSUnavailable,
    "starttls.refused": StartTLSUnavailable,
    "client.response_injection": ResponseInjection,
    "client.auth_failed": AuthenticationFailed,
    "client.auth_unavailable": AuthenticationFailed,
    "client.rejected": MessageRejected,
    "client.size_exceeded": MessageTooLarge,
    "client.delivery_unconfirmed": DeliveryUnconfirmed,
    "client.bad_address": InvalidAddress,
    "client.header_injection": HeaderInjection,
    "client.insecure_context": InsecureSSLContext,
}


def error_for(
    finding: Finding, *, certificate: CertInfo | None = None, chain: tuple[CertInfo, ...] = ()
) -> MailTLSClientError:
    """The exception for a finding: its class from :data:`CLASSES` (conn.* -> ConnectionFailed)."""
    cls = CLASSES.get(finding.id, ConnectionFailed)
    return cls(finding, certificate=certificate, chain=chain)
