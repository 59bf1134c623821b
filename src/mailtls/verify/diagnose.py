"""Diagnose a presented chain: every failed check as a finding, one marked primary.

Order of the checks, which is also the order in which the primary cause is chosen:
    1. trust path    cert.self_signed, cert.untrusted, cert.chain_incomplete
    2. dates         cert.expired, cert.not_yet_valid   (leaf and intermediates)
    3. name          cert.hostname_mismatch
    4. purpose       cert.not_for_server
    5. algorithms    cert.weak_signature, cert.weak_key
    6. anything else cryptography's RFC 5280 validator still rejects -> cert.invalid
Path building is ours (cryptography's errors are generic: "candidates exhausted" for a
self-signed leaf and for a missing intermediate alike); the validator of
``cryptography.x509.verification`` then has the last word on a chain we found clean.
A clean chain yields ``cert.verified`` (info), and ``cert.expires_soon`` when due.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..catalog import new_finding
from ..model import Finding, Severity
from .certinfo import fingerprint, is_ca, is_self_issued, key_description, signature_name
from .hostname import match_hostname, presented_names
from .store import TrustStore

PRIMARY_ORDER = (
    "cert.self_signed",
    "cert.untrusted",
    "cert.chain_incomplete",
    "cert.expired",
    "cert.not_yet_valid",
    "cert.hostname_mismatch",
    "cert.not_for_server",
    "cert.weak_signature",
    "cert.weak_key",
    "cert.invalid",
    "cert.expires_soon",
)
WEAK_SIGNATURES = ("md2", "md4", "md5", "sha1")
MIN_RSA, MIN_EC = 2048, 224
MAX_PATH = 10


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    path: tuple[x509.Certificate, ...]  # leaf .. anchor when a path was built, else ()

    @property
    def primary(self) -> Finding | None:
        return next((f for f in self.findings if f.primary), None)

    @property
    def verified(self) -> bool:
        return not any(f.severity >= Severity.HIGH for f in self.findings)


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Name chaining and signature; also for SHA-1 and MD5, which cryptography refuses.

    A weak signature must still chain, or a SHA-1 leaf would be misreported as an
    incomplete chain; its weakness is reported by ``_algorithm_findings``.
    """
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (TypeError, InvalidSignature):
        return False
    except (ValueError, UnsupportedAlgorithm):
        pass
    return _legacy_signature_ok(cert, issuer)


def _legacy_signature_ok(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    algorithm = cert.signature_hash_algorithm
    if algorithm is None:
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def build_path(
    chain: Sequence[x509.Certificate], store: TrustStore
) -> tuple[tuple[x509.Certificate, ...], Finding | None]:
    """Walk from the leaf to a trust anchor; on failure, the finding that names why."""
    leaf = chain[0]
    path = [leaf]
    pool = list(chain[1:])
    current = leaf
    for _ in range(MAX_PATH):
        if store.contains(current):
            return tuple(path), None
        candidates = [c for c in store.issuers_of(current) if _signed_by(current, c)]
        if candidates:
            path.append(candidates[0])
            return tuple(path), None
        if is_self_issued(current) and _signed_by(current, current):
            if current is leaf:
                return (), new_finding(
                    "cert.self_signed", subject=_subject(leaf), sha256=fingerprint(leaf)
                )
            return (), new_finding(
                "cert.untrusted", subject=_subject(leaf), issuer=_subject(current), trust=store.name
            )
        sent = [c for c in pool if c.subject == current.issuer and _signed_by(current, c)]
        if not sent:
            issuer = current.issuer.rfc4514_string()
            if current is leaf or not is_ca(current):
                return (), new_finding(
                    "cert.chain_incomplete",
                    subject=_subject(current),
                    issuer=issuer,
                    trust=store.name,
                )
            return (), new_finding(
                "cert.untrusted", subject=_subject(leaf), issuer=issuer, trust=store.name
            )
        current = sent[0]
        pool.remove(current)
        path.append(current)
    return (), new_finding(
        "cert.invalid", subject=_subject(leaf), reason="chain too long or looping"
    )


def _date_findings(certs: Sequence[x509.Certificate], now: dt.datetime) -> list[Finding]:
    out = []
    for cert in certs:
        nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
        if now > na:
            out.append(
                new_finding(
                    "cert.expired",
                    subject=_subject(cert),
                    not_after=na.isoformat(),
                    days=str((now - na).days),
                )
            )
        elif now < nb:
            out.append(
                new_finding("cert.not_yet_valid", subject=_subject(cert), not_before=nb.isoformat())
            )
    return out


def _eku_finding(leaf: x509.Certificate) -> Finding | None:
    try:
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    allowed = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
    if allowed & set(eku):
        return None
    names = ", ".join(getattr(o, "_name", o.dotted_string) for o in eku) or "(none)"
    return new_finding("cert.not_for_server", subject=_subject(leaf), eku=names)


def _algorithm_findings(certs: Sequence[x509.Certificate]) -> list[Finding]:
    out = []
    for cert in certs:
        if is_self_issued(cert) and cert is not certs[0]:
            continue  # a root's self-signature is not checked by anyone
        sig = signature_name(cert)
        if any(sig.lower().startswith(w) for w in WEAK_SIGNATURES):
            out.append(new_finding("cert.weak_signature", subject=_subject(cert), signature=sig))
        kind, bits = key_description(cert)
        minimum = MIN_RSA if kind in ("RSA", "DSA") else MIN_EC if kind.startswith("EC") else 0
        if bits < minimum:
            out.append(
                new_finding(
                    "cert.weak_key",
                    subject=_subject(cert),
                    key=f"{kind} {bits}-bit",
                    minimum=f"{minimum} bits",
                )
            )
    return out


def _validator_finding(
    chain: Sequence[x509.Certificate],
    path: Sequence[x509.Certificate],
    host: str,
    store: TrustStore,
    now: dt.datetime,
) -> Finding | None:
    leaf = chain[0]
    if store.contains(leaf):
        return None  # the leaf itself is the explicitly trusted anchor (a pinned certificate)
    try:
        name: verification.Subject = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        name = x509.DNSName(host)
    verifier = (
        verification.PolicyBuilder()
        .store(store.verification_store)
        .time(now)
        .build_server_verifier(name)
    )
    try:
        verifier.verify(leaf, list(chain[1:]))
    except verification.VerificationError as exc:
        return new_finding("cert.invalid", subject=_subject(leaf), reason=str(exc))
    except ValueError as exc:
        return new_finding("cert.invalid", subject=_subject(leaf), reason=str(exc))
    return None


def _mark_primary(findings: list[Finding]) -> tuple[Finding, ...]:
    rank = {fid: i for i, fid in enumerate(PRIMARY_ORDER)}
    failing = [f for f in findings if f.id in rank]
    if not failing:
        return tuple(findings)
    first = min(failing, key=lambda f: rank[f.id])
    ordered = [replace(first, primary=True)]
    ordered += sorted((f for f in findings if f is not first), key=lambda f: rank.get(f.id, 99))
    return tuple(ordered)


def diagnose(
    chain: Sequence[x509.Certificate],
    host: str,
    store: TrustStore,
    now: dt.datetime,
    warn_days: int = 30,
) -> Diagnosis:
    """Check a presented chain (leaf first) for ``host`` at time ``now``."""
    if not chain:
        return Diagnosis((new_finding("cert.none", primary=True),), ())
    leaf = chain[0]
    path, trust_problem = build_path(chain, store)
    checked = path[:-1] if path and len(path) > 1 else path or tuple(chain)
    findings: list[Finding] = [trust_problem] if trust_problem else []
    findings += _date_findings(checked or (leaf,), now)
    if not match_hostname(leaf, host):
        names = ", ".join(presented_names(leaf)) or "(no subjectAltName)"
        findings.append(
            new_finding("cert.hostname_mismatch", host=host, names=names, subject=_subject(leaf))
        )
    eku = _eku_finding(leaf)
    if eku:
        findings.append(eku)
    findings += _algorithm_findings(checked or (leaf,))
    if not findings:
        problem = _validator_finding(chain, path, host, store, now)
        if problem:
            findings.append(problem)
    if not findings:
        na = leaf.not_valid_after_utc
        left = (na - now).days
        if left < warn_days:
            findings.append(
                new_finding(
                    "cert.expires_soon",
                    subject=_subject(leaf),
                    not_after=na.isoformat(),
                    days=str(left),
                )
            )
        findings.append(
            new_finding(
                "cert.verified",
                subject=_subject(leaf),
                issuer=leaf.issuer.rfc4514_string(),
                not_after=na.isoformat(),
                host=host,
            )
        )
    return Diagnosis(_mark_primary(findings), path)
