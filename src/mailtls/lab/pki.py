"""A small test PKI: a throwaway root and intermediate, and leaves for every situation.

Built with ``cryptography`` directly (not trustme) so that the certificates are what
real CAs issue: SAN not critical, subject present, EKU serverAuth. The same
situations serve the lab, the real-server test fixtures and the unit tests.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..pki.names import Permitted

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
DAY = dt.timedelta(days=1)
LAB_HOST = "localhost"


def _name(cn: str, org: str = "mailtls lab") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def new_key(kind: str = "ec", size: int = 256) -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    curves = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 192: ec.SECP192R1()}
    return ec.generate_private_key(curves[size])


def _san(names: Iterable[str]) -> x509.SubjectAlternativeName:
    general: list[x509.GeneralName] = []
    for n in names:
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            general.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(general)


@dataclass(frozen=True)
class Issued:
    """A certificate with its key and the chain a server should send after it."""

    cert: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def chain_pem(self) -> bytes:
        """Leaf followed by the chain it is sent with."""
        return self.cert_pem() + b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in self.chain
        )

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write ``stem.pem`` (leaf + chain) and ``stem.key``; return both paths."""
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        cert_path.write_bytes(self.chain_pem())
        key_path.write_bytes(self.key_pem())
        key_path.chmod(0o600)
        return cert_path, key_path


@dataclass(frozen=True)
class CA:
    """A certificate authority that issues intermediates and leaves."""

    issued: Issued
    now: dt.datetime

    @property
    def cert(self) -> x509.Certificate:
        return self.issued.cert

    @classmethod
    def root(
        cls,
        name: str = "mailtls lab root CA",
        now: dt.datetime | None = None,
        key: PrivateKey | None = None,
        permitted: Permitted | None = None,
    ) -> CA:
        """A root; with ``permitted``, name-constrained as a devcert CA is."""
        now = now or dt.datetime.now(dt.UTC)
        key = key or new_key()
        subject = _name(name)
        builder = (
            _base(subject, subject, key, now - 30 * DAY, now + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        if permitted is not None:
            builder = builder.add_extension(permitted.extension(), critical=True)
        cert = builder.sign(key, hashes.SHA256())
        return cls(Issued(cert, key), now)

    def intermediate(
        self, name: str = "mailtls lab intermediate CA", permitted: Permitted | None = None
    ) -> CA:
        key = new_key("rsa", 2048)  # RSA, so that a SHA-1 leaf can be made (see _resign_sha1)
        builder = (
            _base(
                _name(name),
                self.cert.subject,
                key.public_key(),
                self.now - 30 * DAY,
                self.now + 1825 * DAY,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(_aki(self.issued.key), False)
        )
        if permitted is not None:
            builder = builder.add_extension(permitted.extension(), critical=True)
        cert = builder.sign(self.issued.key, hashes.SHA256())
        return CA(Issued(cert, key, self._up()), self.now)

    @property
    def _is_root(self) -> bool:
        return self.cert.issuer == self.cert.subject

    def _up(self) -> tuple[x509.Certificate, ...]:
        """Certificates a server sends above a leaf issued by this CA (not the root)."""
        return () if self._is_root else (self.cert, *self.issued.chain)

    def leaf(
        self,
        names: Sequence[str] = (LAB_HOST, "127.0.0.1"),
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key: PrivateKey | None = None,
        hash_alg: hashes.HashAlgorithm | None = None,
        eku: Sequence[x509.ObjectIdentifier] = (ExtendedKeyUsageOID.SERVER_AUTH,),
        send_chain: bool = True,
        aia_url: str | None = None,
    ) -> Issued:
        key = key or new_key()
        cn = names[0] if names else "no name"
        builder = (
            _base(
                _name(cn, "mailtls lab server"),
                self.cert.subject,
                key.public_key(),
                not_before or self.now - DAY,
                not_after or self.now + 90 * DAY,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_aki(self.issued.key), False)
        )
        if names:
            builder = builder.add_extension(_san(names), critical=False)
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        if aia_url:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(aia_url),
                        )
                    ]
                ),
                critical=False,
            )
        is_rsa = isinstance(key, rsa.RSAPrivateKey)
        builder = builder.add_extension(
            x509.KeyUsage(True, False, is_rsa, False, not is_rsa, False, False, False, False),
            critical=True,
        )
        cert = builder.sign(self.issued.key, hashes.SHA256())
        if isinstance(hash_alg, hashes.SHA1):
            cert = _resign_sha1(cert, self.issued.key)
        chain = self._up() if send_chain else ()
        return Issued(cert, key, chain)


_SHA256_RSA = bytes.fromhex("2a864886f70d01010b")  # OID 1.2.840.113549.1.1.11
_SHA1_RSA = bytes.fromhex("2a864886f70d010105")  # OID 1.2.840.113549.1.1.5


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _resign_sha1(cert: x509.Certificate, issuer_key: PrivateKey) -> x509.Certificate:
    """Re-sign ``cert`` with sha1WithRSAEncryption, which cryptography no longer signs.

    The two OIDs have the same length, so swapping them in the DER keeps every length.
    """
    if not isinstance(issuer_key, rsa.RSAPrivateKey):
        raise ValueError("a SHA-1 certificate needs an RSA issuer")
    tbs = cert.tbs_certificate_bytes.replace(_SHA256_RSA, _SHA1_RSA, 1)
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    alg = _der(0x30, _der(0x06, _SHA1_RSA) + b"\x05\x00")
    der = _der(0x30, tbs + alg + _der(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def _base(
    subject: x509.Name, issuer: x509.Name, public_key: object, nb: dt.datetime, na: dt.datetime
) -> x509.CertificateBuilder:
    if isinstance(public_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        public_key = public_key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb)
        .not_valid_after(na)
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(True, False, False, False, False, True, True, False, False)


def _aki(issuer_key: PrivateKey) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())


def self_signed(
    names: Sequence[str] = (LAB_HOST, "127.0.0.1"), now: dt.datetime | None = None
) -> Issued:
    now = now or dt.datetime.now(dt.UTC)
    key = new_key()
    subject = _name(names[0], "mailtls lab self-signed")
    cert = (
        _base(subject, subject, key, now - DAY, now + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


@dataclass(frozen=True)
class Situation:
    """One certificate situation: what the server presents and what must be diagnosed."""

    name: str
    issued: Issued
    expect: str  # the primary finding id, or "cert.verified"
    description: str


@dataclass(frozen=True)
class LabPKI:
    """The lab's trusted root (give it with --ca-file) and every situation."""

    root: CA
    situations: dict[str, Situation] = field(default_factory=dict)

    def ca_pem(self) -> bytes:
        return self.root.issued.cert_pem()


def build_lab_pki(now: dt.datetime | None = None, host: str = LAB_HOST) -> LabPKI:
    """Make the lab's root, intermediate and one leaf per situation, valid around ``now``.

    The lab's CA is a devcert CA: root and intermediate carry name constraints that permit
    only development names and loopback/private addresses (plus ``host``), so the lab
    practises what it preaches; "untrusted" is a different, unconstrained root.
    """
    now = now or dt.datetime.now(dt.UTC)
    names = (host, "127.0.0.1", "::1")
    permitted = Permitted.build([host])
    root = CA.root(now=now, permitted=permitted)
    inter = root.intermediate(permitted=permitted)
    rogue = CA.root("Unknown Root CA", now=now).intermediate("Unknown Intermediate CA")
    s = [
        Situation("good", inter.leaf(names), "cert.verified", "valid chain from the lab CA"),
        Situation(
            "expired",
            inter.leaf(names, not_before=now - 400 * DAY, not_after=now - 10 * DAY),
            "cert.expired",
            "expired 10 days ago",
        ),
        Situation(
            "not-yet-valid",
            inter.leaf(names, not_before=now + 10 * DAY, not_after=now + 400 * DAY),
            "cert.not_yet_valid",
            "valid only from 10 days from now",
        ),
        Situation(
            "expires-soon",
            inter.leaf(names, not_after=now + 10 * DAY),
            "cert.expires_soon",
            "expires in 10 days",
        ),
        Situation(
            "wrong-host",
            inter.leaf(("mail.other.test",)),
            "cert.hostname_mismatch",
            "issued for mail.other.test",
        ),
        Situation("self-signed", self_signed(names, now), "cert.self_signed", "self-signed leaf"),
        Situation("untrusted", rogue.leaf(names), "cert.untrusted", "chain from an unknown root"),
        Situation(
            "chain-incomplete",
            inter.leaf(names, send_chain=False),
            "cert.chain_incomplete",
            "intermediate not sent",
        ),
        Situation(
            "weak-key",
            inter.leaf(names, key=new_key("rsa", 1024)),
            "cert.weak_key",
            "RSA 1024-bit key",
        ),
        Situation(
            "weak-signature",
            inter.leaf(names, hash_alg=hashes.SHA1()),
            "cert.weak_signature",
            "SHA-1 signature",
        ),
        Situation(
            "not-for-server",
            inter.leaf(names, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)),
            "cert.not_for_server",
            "EKU clientAuth only",
        ),
    ]
    return LabPKI(root, {x.name: x for x in s})
