"""Facts about one certificate, as reports show them."""

from __future__ import annotations

import base64
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ..model import CertInfo
from .hostname import presented_names
from .parts import inspect, name_text


def spki_sha256(cert: x509.Certificate) -> str:
    """Base64 SHA-256 of the SubjectPublicKeyInfo: the value used for key pins."""
    try:
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (ValueError, UnsupportedAlgorithm):
        return ""  # a key that cannot be loaded has no pin (cert.malformed says why)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    """("RSA", 2048), ("EC secp256r1", 256), ("Ed25519", 256), ..."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "unreadable key", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, 0


def signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def is_self_issued(cert: x509.Certificate) -> bool:
    try:
        return cert.issuer == cert.subject
    except ValueError:
        return False


def is_ca(cert: x509.Certificate) -> bool:
    bc = inspect(cert).get(x509.BasicConstraints)
    return bool(bc and bc.ca)


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def cert_info(cert: x509.Certificate) -> CertInfo:
    kind, bits = key_description(cert)
    return CertInfo(
        subject=name_text(cert, "subject"),
        issuer=name_text(cert, "issuer"),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        sha256=fingerprint(cert),
        spki_sha256=spki_sha256(cert),
        san=tuple(presented_names(cert)),
        serial=format(cert.serial_number, "x"),
        key=f"{kind} {bits}",
        signature=signature_name(cert),
        self_issued=is_self_issued(cert),
        is_ca=is_ca(cert),
    )
