"""Who the client trusts, the TLS context that enforces it, and naming a refusal's cause.

The trust decision is OpenSSL's, through Python's ``ssl``: every context here has
CERT_REQUIRED, check_hostname and TLS 1.2 as the minimum, and there is no code path that
builds another kind. What can be chosen is only *whom* to trust:

    default          Mozilla's roots (certifi), like ``mailtls scan``: SSL_CERT_FILE and
                     SSL_CERT_DIR are not read, so the environment cannot widen trust
    trust="system"   the OS store (OpenSSL's default paths; the environment can then add
                     roots, but never turn a check off)
    ca_file=         also trust these CA certificates (trust="none": only these)
    pin_sha256=      with a CA: after OpenSSL accepted the chain, the leaf's SPKI must
                     match the pin as well.  Without a CA: the leaf certificate whose key
                     matches the pin is fetched first (diagnostic connection, no
                     credentials) and becomes the ONLY trust anchor of the real connection
                     (VERIFY_X509_PARTIAL_CHAIN), so OpenSSL still checks the server's proof
                     of the key, the dates and the host name; the pin is checked again on
                     the verified connection.
    ssl_context=     accepted only if it is exactly ``ssl.SSLContext`` (no subclass), with
                     CERT_REQUIRED, check_hostname, TLS >= 1.2 and the stock SSLObject class.

When OpenSSL refuses, Python 3.11 cannot hand over the chain it refused, so the cause is
named by a second, diagnostic connection through ``mailtls.net.probe`` (pyOpenSSL,
accepts anything, sends EHLO/STARTTLS/QUIT and never a credential, time-bounded) whose
observation goes through the scanner's own ``checks.evaluate``: the client names the same
primary finding as ``mailtls scan`` for the same server and trust store. If that second
connection fails, OpenSSL's verify code alone picks the class.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..catalog import new_finding
from ..checks import CheckContext, evaluate
from ..errors import ConfigError
from ..model import CertInfo, Finding, Observation, Severity, Target
from ..net.probe import probe
from ..verify import TrustStore, cert_info, spki_sha256
from .errors import (
    CertificateInvalid,
    InsecureSSLContext,
    MailTLSClientError,
    PinMismatch,
    StartTLSUnavailable,
    TLSHandshakeFailed,
    TLSVersionTooOld,
    error_for,
)
from .harden import ca_paths

#: OpenSSL verify codes -> finding id, used when the diagnostic connection fails
VERIFY_CODES = {
    9: "cert.not_yet_valid",
    10: "cert.expired",
    18: "cert.self_signed",
    19: "cert.untrusted",
    20: "cert.untrusted",
    21: "cert.chain_incomplete",
    26: "cert.not_for_server",
    62: "cert.hostname_mismatch",
    64: "cert.hostname_mismatch",
    66: "cert.weak_key",
    67: "cert.weak_key",
    68: "cert.weak_signature",
}
OLD_PROTOCOL_REASONS = frozenset(
    {
        "UNSUPPORTED_PROTOCOL",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "NO_PROTOCOLS_AVAILABLE",
        "WRONG_SSL_VERSION",
        "UNKNOWN_PROTOCOL",
    }
)
DIAGNOSTIC_TIMEOUT = 10.0
TRUST_CHOICES = ("mozilla", "system", "none")


def normalize_pin(pin: str) -> str:
    """Check a base64 SHA-256 SPKI pin (an optional ``sha256/`` prefix is allowed)."""
    text = pin.strip()
    if text.lower().startswith("sha256/"):
        text = text[7:]
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("pin_sha256 must be the base64 SHA-256 of the server key") from None
    if len(raw) != 32:
        raise ValueError("pin_sha256 must decode to 32 bytes (a SHA-256 digest)")
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class TrustPolicy:
    """Whom to trust; immutable once the client is made."""

    trust: str = "mozilla"
    ca_files: tuple[Path, ...] = ()
    pin: str | None = None
    user_context: ssl.SSLContext | None = None

    @classmethod
    def make(
        cls,
        trust: str,
        ca_file: str | Path | Sequence[str | Path] | None,
        pin_sha256: str | None,
        ssl_context: ssl.SSLContext | None,
    ) -> TrustPolicy:
        if trust not in TRUST_CHOICES:
            raise ValueError(f"trust must be one of {', '.join(TRUST_CHOICES)}")
        files = ca_paths(ca_file)
        for f in files:
            if not f.is_file():
                raise ConfigError(f"{f}: CA file not found")
        pin = normalize_pin(pin_sha256) if pin_sha256 is not None else None
        if trust == "none" and not files and pin is None and ssl_context is None:
            raise ValueError('trust="none" needs a ca_file or a pin_sha256')
        if ssl_context is not None:
            check_context(ssl_context)
        return cls(trust, files, pin, ssl_context)

    @property
    def pin_only(self) -> bool:
        """A pin without any CA: the pinned leaf becomes the only trust anchor."""
        return (
            self.pin is not None
            and not self.ca_files
            and self.user_context is None
            and self.trust in ("mozilla", "none")
        )

    def store(self, anchor: x509.Certificate | None = None) -> TrustStore:
        """The scanner's view of the same trust, for naming a refusal's cause."""
        if anchor is not None:
            return TrustStore("the pinned server certificate", (anchor,))
        trust = "mozilla" if self.user_context is not None else self.trust
        return TrustStore.build(trust, self.ca_files)


def check_context(ctx: ssl.SSLContext) -> None:
    """Refuse a context that would not verify; InsecureSSLContext names why."""
    problem = None
    if type(ctx) is not ssl.SSLContext:
        problem = "a subclass of ssl.SSLContext"
    elif ctx.verify_mode != ssl.CERT_REQUIRED:
        problem = "verify_mode is not CERT_REQUIRED"
    elif not ctx.check_hostname:
        problem = "check_hostname is off"
    elif ctx.minimum_version not in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        problem = "minimum_version is below TLS 1.2"
    elif ctx.sslobject_class is not ssl.SSLObject or ctx.sslsocket_class is not ssl.SSLSocket:
        problem = "its SSLObject or SSLSocket class was replaced"
    if problem is not None:
        raise InsecureSSLContext(new_finding("client.insecure_context", problem=problem))


def verifying_context(
    policy: TrustPolicy, anchor: x509.Certificate | None = None
) -> ssl.SSLContext:
    """The only way the client gets a context: always verifying, TLS 1.2 at least."""
    if policy.user_context is not None:
        check_context(policy.user_context)
        return policy.user_context
    if anchor is None:
        key = (policy.trust, tuple(_file_key(f) for f in policy.ca_files))
        cached = _CONTEXTS.get(key)
        if cached is None:
            cached = _CONTEXTS[key] = _new_context(policy, None)
        check_context(cached)  # shared: refuse it if anyone loosened it since
        return cached
    return _new_context(policy, anchor)


#: verifying contexts by (trust, CA files with their mtime and size): loading Mozilla's
#: roots takes ~20 ms, too much to pay on every connection. Never handed out to callers.
_CONTEXTS: dict[tuple[object, ...], ssl.SSLContext] = {}


def _file_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_mtime_ns, st.st_size


def _new_context(policy: TrustPolicy, anchor: x509.Certificate | None) -> ssl.SSLContext:
    if anchor is not None:
        ctx = ssl.create_default_context(cadata=anchor.public_bytes(Encoding.PEM).decode())
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    elif policy.trust == "mozilla":
        ctx = ssl.create_default_context(cafile=certifi.where())
    elif policy.trust == "system":
        ctx = ssl.create_default_context()
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for f in policy.ca_files if anchor is None else ():
        try:
            ctx.load_verify_locations(cafile=str(f))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{f}: not a usable CA file ({exc})") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    check_context(ctx)
    return ctx


def check_session(sslobj: object, host: str, pin: str | None) -> x509.Certificate:
    """After the handshake: prove that it was verified, then check the pin. The leaf."""
    if type(sslobj) is not ssl.SSLObject or not sslobj.getpeercert():
        raise InsecureSSLContext(
            new_finding("client.insecure_context", problem="the TLS session was not verified")
        )
    der = sslobj.getpeercert(binary_form=True)
    if not der:
        raise CertificateInvalid(new_finding("cert.none"))
    leaf = x509.load_der_x509_certificate(der)
    if pin is not None:
        check_pin(leaf, host, pin)
    return leaf


def check_pin(leaf: x509.Certificate, host: str, pin: str) -> None:
    actual = spki_sha256(leaf)
    if not hmac.compare_digest(actual.encode(), pin.encode()):
        raise PinMismatch(
            new_finding(
                "client.pin_mismatch",
                host=host,
                subject=leaf.subject.rfc4514_string() or "(empty subject)",
                actual=actual,
                expected=pin,
            ),
            certificate=cert_info(leaf),
        )


def _chain(obs: Observation) -> list[x509.Certificate]:
    out = []
    for der in obs.chain_der:
        try:
            out.append(x509.load_der_x509_certificate(der))
        except ValueError:
            continue
    return out


def _obs_error(obs: Observation, store: TrustStore, now: dt.datetime) -> MailTLSClientError:
    result = evaluate(obs, CheckContext(store, now, 30, DIAGNOSTIC_TIMEOUT))
    primary = next((f for f in result.findings if f.primary), None)
    finding = primary or new_finding("conn.closed", phase="in the TLS handshake")
    return error_for(finding, chain=result.chain)


async def fetch_anchor(target: Target, pin: str, now: dt.datetime) -> x509.Certificate:
    """Pin without CA: the presented leaf, if its key matches the pin (no credentials sent)."""
    obs = await probe(target, timeout=DIAGNOSTIC_TIMEOUT)
    chain = _chain(obs)
    if not chain:  # no STARTTLS, refused, timeout...: the scanner's primary finding
        raise _obs_error(obs, TrustStore("none", ()), now)
    check_pin(chain[0], target.host, pin)
    return chain[0]


async def classify_refusal(
    exc: ssl.SSLError,
    target: Target,
    store: TrustStore,
    now: dt.datetime,
) -> MailTLSClientError:
    """The exception naming why OpenSSL refused the handshake (see the module docstring)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return await _classify_verification(exc, target, store, now)
    reason = getattr(exc, "reason", None) or ""
    if reason in OLD_PROTOCOL_REASONS:
        obs = await probe(target, timeout=DIAGNOSTIC_TIMEOUT)
        version = obs.tls_version or "TLS 1.1 or older"
        return TLSVersionTooOld(new_finding("protocol.no_tls1_2_or_later", version=version))
    text = reason or str(exc) or type(exc).__name__
    return TLSHandshakeFailed(new_finding("tls.handshake_failed", reason=text))


async def classify_lost_handshake(target: Target) -> MailTLSClientError:
    """The server dropped the handshake without an alert: an old protocol, or just closed?"""
    obs = await probe(target, timeout=DIAGNOSTIC_TIMEOUT)
    if obs.tls_version in ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1"):
        return TLSVersionTooOld(new_finding("protocol.no_tls1_2_or_later",
                                            version=obs.tls_version or "?"))
    return error_for(new_finding("conn.closed", phase="in the TLS handshake"))


async def _classify_verification(
    exc: ssl.SSLCertVerificationError, target: Target, store: TrustStore, now: dt.datetime
) -> MailTLSClientError:
    fallback = VERIFY_CODES.get(exc.verify_code, "cert.invalid")
    obs = await probe(target, timeout=DIAGNOSTIC_TIMEOUT)
    chain = _chain(obs)
    infos = tuple(cert_info(c) for c in chain)
    if obs.starttls_offered is False:
        return StartTLSUnavailable.make("starttls.not_offered", protocol="SMTP", capabilities="?")
    finding = None
    if chain:
        result = evaluate(obs, CheckContext(store, now, 30, DIAGNOSTIC_TIMEOUT))
        finding = next(
            (f for f in result.findings if f.primary and f.severity >= Severity.HIGH), None
        )
    if finding is None or not finding.id.startswith("cert."):
        finding = _fallback_finding(fallback, exc, chain[0] if chain else None, target.host, now)
    return error_for(finding, chain=infos)


def _fallback_finding(
    finding_id: str,
    exc: ssl.SSLCertVerificationError,
    leaf: x509.Certificate | None,
    host: str,
    now: dt.datetime,
) -> Finding:
    subject = leaf.subject.rfc4514_string() if leaf is not None else "?"
    if finding_id == "cert.expired" and leaf is not None:
        na = leaf.not_valid_after_utc
        return new_finding(
            finding_id, subject=subject, not_after=na.isoformat(), days=str((now - na).days)
        )
    if finding_id == "cert.hostname_mismatch":
        return new_finding(finding_id, host=host, subject=subject, names="?")
    if finding_id in VERIFY_CODES.values():
        return new_finding(finding_id, subject=subject)
    reason = exc.verify_message or str(exc)
    return new_finding("cert.invalid", subject=subject, reason=reason)


def leaf_info(leaf: x509.Certificate | None) -> CertInfo | None:
    return cert_info(leaf) if leaf is not None else None
