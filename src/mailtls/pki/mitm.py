"""The throwaway certificates of ``mailtls mitm``: one per attack, made fresh for each run.

Two CAs exist only in memory (and in the run's temporary directory):

- the *control* CA, the one the client under test is told to trust (``--trusted-ca-out``):
  it signs the control certificate, and also the expired one, the one for another host
  name and the one served over TLS 1.0, so that each of those attacks differs from the
  control in one respect only;
- a *rogue* CA ("convincing": a root and an intermediate with ordinary names) that the
  client does not trust, for ``untrusted_ca``.

``self_signed`` is a leaf that signs itself. Every certificate names the host the client
asks for (``names``), except ``wrong_host``'s.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = dt.timedelta(days=1)
OTHER_HOST = "mail.other-domain.example"
DEFAULT_NAMES = ("localhost", "127.0.0.1")


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    general: list[x509.GeneralName] = []
    for n in names:
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            general.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(general)


@dataclass(frozen=True)
class Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _ca(subject: x509.Name, key: ec.EllipticCurvePrivateKey, parent: Issuer | None,
        now: dt.datetime, path_length: int) -> Issuer:
    issuer_name = parent.cert.subject if parent else subject
    signer = parent.key if parent else key
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY).not_valid_after(now + 30 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                     False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            signer.public_key()), False)
        .sign(signer, hashes.SHA256())
    )
    return Issuer(cert, key)


def _leaf(names: tuple[str, ...], issuer: Issuer | None, not_before: dt.datetime,
          not_after: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(names[0], "Mail Services")
    signer = issuer.key if issuer else key
    cert = (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, True, False, False, False,
                                     False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(_san(names), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            signer.public_key()), False)
        .sign(signer, hashes.SHA256())
    )
    return cert, key


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class ServedCert:
    """What one listener serves: the chain (leaf first) and its key, both PEM."""

    chain: bytes
    key: bytes
    description: str


@dataclass(frozen=True)
class MitmPKI:
    control_ca: x509.Certificate
    served: dict[str, ServedCert]

    @property
    def control_ca_pem(self) -> bytes:
        return pem(self.control_ca)


def _served(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey,
            extra: tuple[x509.Certificate, ...], description: str) -> ServedCert:
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return ServedCert(pem(cert) + b"".join(pem(c) for c in extra), key_pem, description)


def make_pki(now: dt.datetime, names: tuple[str, ...] = DEFAULT_NAMES) -> MitmPKI:
    """Every certificate of one run; ``served`` maps a certificate kind to what is served.

    Kinds: control, expired, wrong_host, self_signed, untrusted_ca.
    """
    control = _ca(_name(f"mailtls mitm control CA {now:%Y-%m-%d %H:%M:%S}", "mailtls mitm"),
                  ec.generate_private_key(ec.SECP256R1()), None, now, 0)
    rogue_root = _ca(_name("Global Mail Trust Root CA", "Global Mail Trust"),
                     ec.generate_private_key(ec.SECP256R1()), None, now, 1)
    rogue = _ca(_name("Global Mail Trust Server CA 2", "Global Mail Trust"),
                ec.generate_private_key(ec.SECP256R1()), rogue_root, now, 0)
    start, end = now - DAY, now + 30 * DAY
    served = {
        "control": _served(*_leaf(names, control, start, end), (), "control CA"),
        "expired": _served(*_leaf(names, control, now - 400 * DAY, now - 35 * DAY), (),
                           "control CA, expired"),
        "wrong_host": _served(*_leaf((OTHER_HOST,), control, start, end), (),
                              f"control CA, for {OTHER_HOST}"),
        "self_signed": _served(*_leaf(names, None, start, end), (), "self-signed"),
        "untrusted_ca": _served(*_leaf(names, rogue, start, end), (rogue.cert,),
                                "Global Mail Trust (not trusted)"),
    }
    return MitmPKI(control.cert, served)
