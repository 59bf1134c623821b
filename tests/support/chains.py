"""Certificates made in the tests, shaped at will: cross-signs, name constraints, odd parts.

Built with ``cryptography`` directly (RFC 5280 / Web PKI shaped: SKI on every CA, AKI on
everything not self-signed, key usage on CAs), so that cryptography's validator accepts
what is meant to be good and every defect is the one a test put there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@cache
def cached_key(kind: str = "ec", size: int = 256, slot: int = 0) -> Key:
    """Keys are slow to make (RSA): tests share them by (kind, size, slot)."""
    if kind == "rsa":
        return rsa.generate_private_key(65537, size)
    curve = {192: ec.SECP192R1(), 256: ec.SECP256R1(), 384: ec.SECP384R1()}[size]
    return ec.generate_private_key(curve)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Spec:
    """Everything a test may want to vary in one certificate."""

    subject: str
    ca: bool = False
    san: Sequence[str] = ()
    eku: Sequence[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.SERVER_AUTH,)
    not_before: dt.datetime = NOW - 10 * DAY
    not_after: dt.datetime = NOW + 90 * DAY
    permitted: Sequence[str] = ()
    excluded: Sequence[str] = ()
    path_length: int | None = None
    extra: list[tuple[x509.ExtensionType, bool]] = field(default_factory=list)
    aki: bool = True
    ski: bool = True


def _general(value: str) -> x509.GeneralName:
    import ipaddress

    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        pass
    try:
        return x509.IPAddress(ipaddress.ip_network(value))
    except ValueError:
        return x509.DNSName(value)


def issue(spec: Spec, key: Key, issuer: x509.Name, issuer_key: Key, **kw: Any) -> x509.Certificate:
    b = (
        x509.CertificateBuilder()
        .subject_name(name(spec.subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(spec.not_before)
        .not_valid_after(spec.not_after)
        .add_extension(x509.BasicConstraints(ca=spec.ca, path_length=spec.path_length), True)
    )
    if spec.ca:
        b = b.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        )
    else:
        b = b.add_extension(
            x509.KeyUsage(
                True,
                False,
                isinstance(key, rsa.RSAPrivateKey),
                False,
                False,
                False,
                False,
                False,
                False,
            ),
            True,
        )
    if spec.ski:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if spec.aki and (issuer != name(spec.subject) or issuer_key is not key):
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    if spec.san:
        b = b.add_extension(x509.SubjectAlternativeName([_general(n) for n in spec.san]), False)
    if spec.eku is not None and not spec.ca:
        b = b.add_extension(x509.ExtendedKeyUsage(list(spec.eku)), False)
    if spec.permitted or spec.excluded:
        nc = x509.NameConstraints(
            permitted_subtrees=[_general(n) for n in spec.permitted] or None,
            excluded_subtrees=[_general(n) for n in spec.excluded] or None,
        )
        b = b.add_extension(nc, True)
    for ext, critical in spec.extra:
        b = b.add_extension(ext, critical)
    return b.sign(issuer_key, hashes.SHA256())


@dataclass
class Authority:
    """A CA certificate and its key; issues certificates under its name."""

    cert: x509.Certificate
    key: Key

    @classmethod
    def root(cls, cn: str, key: Key | None = None, **spec: Any) -> Authority:
        key = key or cached_key("ec", 256, hash(cn) % 1000)
        s = Spec(cn, ca=True, **spec)
        return cls(issue(s, key, name(cn), key), key)

    def sub(self, cn: str, key: Key | None = None, **spec: Any) -> Authority:
        key = key or cached_key("ec", 256, hash(cn) % 1000)
        return Authority(issue(Spec(cn, ca=True, **spec), key, self.cert.subject, self.key), key)

    def cross(self, other: Authority, **spec: Any) -> x509.Certificate:
        """``other``'s subject and key, signed by this CA (a cross-sign)."""
        cn = other.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert isinstance(cn, str)
        return issue(Spec(cn, ca=True, **spec), other.key, self.cert.subject, self.key)

    def leaf(
        self, san: Sequence[str] = ("mail.example.test",), key: Key | None = None, **spec: Any
    ) -> x509.Certificate:
        cn = spec.pop("cn", san[0] if san else "no name")
        key = key or cached_key("ec", 256, 999)
        return issue(Spec(cn, san=san, **spec), key, self.cert.subject, self.key)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _split(raw: bytes) -> list[bytes]:
    """The DER elements inside the outer SEQUENCE of ``raw``."""

    def length(pos: int) -> tuple[int, int]:
        first = raw[pos + 1]
        if first < 0x80:
            return pos + 2, first
        count = first & 0x7F
        return pos + 2 + count, int.from_bytes(raw[pos + 2 : pos + 2 + count], "big")

    pos, total = length(0)
    end, out = pos + total, []
    while pos < end:
        start, n = length(pos)
        out.append(raw[pos : start + n])
        pos = start + n
    return out


def patch(
    cert: x509.Certificate, old: bytes, new: bytes, issuer_key: Key | None = None
) -> x509.Certificate:
    """The certificate with bytes replaced in its DER (same length), re-signed by
    ``issuer_key`` when given (ECDSA with SHA-256), so that only the patch is wrong."""
    raw = der(cert)
    assert raw.count(old) == 1, "the bytes to patch must occur exactly once"
    assert len(old) == len(new), "a patch keeps every length"
    raw = raw.replace(old, new)
    if issuer_key is not None:
        assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
        tbs, alg, _ = _split(raw)
        signature = issuer_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
        raw = _tlv(0x30, tbs + alg + _tlv(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(raw)
