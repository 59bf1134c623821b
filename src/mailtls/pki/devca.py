"""The development CA: a name-constrained root and intermediate, and the leaves it issues.

``init`` makes a root and an intermediate that both carry the name constraints (clients
that ignore constraints on a trust anchor still enforce them on the intermediate), signs
the intermediate and drops the root key: it is never written anywhere, so the root can
sign nothing else, ever. ``issue`` signs server certificates with the intermediate.

Files in DIR:
    ca.pem                the root certificate: what clients trust
    intermediate.pem      the intermediate certificate
    intermediate-key.pem  its key (0600): whoever holds it issues within the constraints
    NAME.pem              a server certificate followed by the intermediate
    NAME-key.pem          its key (0600)
    README.txt            what these are and how to revoke the CA
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .names import Name, NameRefused, Permitted

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
DAY = dt.timedelta(days=1)
DEFAULT_DAYS = 90
MAX_DAYS = 397  # the CA/Browser Forum limit for a server certificate
CA_FILE, INTER_FILE, INTER_KEY_FILE, README_FILE = (
    "ca.pem", "intermediate.pem", "intermediate-key.pem", "README.txt")
_OWN_FILES = (CA_FILE, INTER_FILE, INTER_KEY_FILE, README_FILE)


class DevcertError(Exception):
    """A devcert operation that cannot be done; ``message`` is a catalogue msgid."""

    def __init__(self, error_id: str, message: str, **params: str) -> None:
        super().__init__(message.format(**params))
        self.error_id = error_id
        self.message = message
        self.params = params


def new_key(kind: str = "ec") -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _subject(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca_certificate(subject: x509.Name, key: PrivateKey, issuer: x509.Name,
                   issuer_key: PrivateKey, permitted: Permitted, *, path_length: int | None,
                   not_before: dt.datetime, not_after: dt.datetime) -> x509.Certificate:
    """A CA certificate carrying ``permitted`` as critical name constraints."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                     False), critical=True)
        .add_extension(permitted.extension(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), False)
        .sign(issuer_key, hashes.SHA256())
    )


@dataclass(frozen=True)
class DevCA:
    """A constrained root (certificate only, its key is gone) and intermediate (with key)."""

    root: x509.Certificate
    intermediate: x509.Certificate
    key: PrivateKey

    @property
    def permitted(self) -> Permitted:
        nc = self.intermediate.extensions.get_extension_for_class(x509.NameConstraints)
        return Permitted.from_extension(nc.value)

    @classmethod
    def create(cls, permitted: Permitted, now: dt.datetime, *, inter_key: PrivateKey | None = None,
               org: str = "mailtls devcert") -> DevCA:
        """Root and intermediate; the root key exists only inside this call."""
        root_key = new_key()
        tag = secrets.token_hex(4)  # two CAs made in the same second must not share names
        root_name = _subject(f"{org} root CA {now:%Y-%m-%d %H:%M:%S} {tag}", org)
        start = now - DAY
        root = ca_certificate(root_name, root_key, root_name, root_key, permitted,
                              path_length=1, not_before=start, not_after=now + 3650 * DAY)
        key = inter_key or new_key()
        inter = ca_certificate(_subject(f"{org} intermediate CA {tag}", org), key, root_name,
                               root_key, permitted, path_length=0, not_before=start,
                               not_after=now + 1825 * DAY)
        del root_key  # nothing else refers to it: the root can sign nothing more
        return cls(root, inter, key)

    def issue(self, names: list[Name], now: dt.datetime, *, days: int = DEFAULT_DAYS,
              key: PrivateKey | None = None) -> tuple[x509.Certificate, PrivateKey]:
        """A server certificate for ``names`` (all checked against the constraints first)."""
        if not 1 <= days <= MAX_DAYS:
            raise DevcertError("devcert.bad_days",
                               "--days {days}: a server certificate lives 1 to {limit} days",
                               days=str(days), limit=str(MAX_DAYS))
        self.permitted.check(names)
        key = key or new_key()
        end = min(now + days * DAY, self.intermediate.not_valid_after_utc)
        is_rsa = isinstance(key, rsa.RSAPrivateKey)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_subject(names[0].text, "mailtls devcert server"))
            .issuer_name(self.intermediate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, is_rsa, False, not is_rsa, False, False,
                                         False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName([n.general_name() for n in names]),
                           False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), False)
            .sign(self.key, hashes.SHA256())
        )
        self._self_check(cert, names[0], now)
        return cert, key

    def _self_check(self, cert: x509.Certificate, name: Name, now: dt.datetime) -> None:
        """The RFC 5280 validator must accept what was just made (constraints included)."""
        subject: x509.DNSName | x509.IPAddress
        if name.ip is not None:
            subject = x509.IPAddress(name.ip)
        else:
            subject = x509.DNSName(str(name.dns).replace("*", "check", 1))
        store = verification.Store([self.root])
        verifier = verification.PolicyBuilder().store(store).time(now).build_server_verifier(
            subject)
        verifier.verify(cert, [self.intermediate])


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` atomically with ``mode`` from the first byte (a key is never readable)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cannot_write(directory: Path, exc: OSError) -> DevcertError:
    return DevcertError("devcert.dir_not_writable", "{dir}: cannot write there ({reason})",
                        dir=str(directory), reason=exc.strerror or str(exc))


def _check_target(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise DevcertError("devcert.dir_not_a_directory", "{dir}: exists and is not a directory",
                           dir=str(directory))
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise DevcertError("devcert.dir_exists",
                           "{dir}: exists and is not empty; nothing was overwritten "
                           "(give --force to replace the CA there)", dir=str(directory))


def init(directory: Path, permitted: Permitted, readme: str, now: dt.datetime, *,
         force: bool = False) -> DevCA:
    """Make the CA in ``directory`` (refused when it holds files, unless ``force``)."""
    try:
        _check_target(directory, force)
    except OSError as exc:
        raise _cannot_write(directory, exc) from None
    ca = DevCA.create(permitted, now)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_file(directory / INTER_KEY_FILE, key_pem(ca.key), 0o600)
        write_file(directory / INTER_FILE, pem(ca.intermediate))
        write_file(directory / CA_FILE, pem(ca.root))
        write_file(directory / README_FILE, readme.encode())
    except OSError as exc:
        raise _cannot_write(directory, exc) from None
    return ca


def load(directory: Path) -> DevCA:
    """The CA that ``init`` wrote in ``directory``."""
    try:
        root = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
        inter = x509.load_pem_x509_certificate((directory / INTER_FILE).read_bytes())
        key = serialization.load_pem_private_key((directory / INTER_KEY_FILE).read_bytes(),
                                                 None)
    except (OSError, ValueError) as exc:
        raise DevcertError("devcert.no_ca",
                           "{dir}: no development CA there ({reason}); run mailtls devcert "
                           "init first", dir=str(directory),
                           reason=getattr(exc, "strerror", None) or str(exc)) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise DevcertError("devcert.no_ca", "{dir}: no development CA there ({reason}); run "
                           "mailtls devcert init first", dir=str(directory),
                           reason="unsupported key type")
    return DevCA(root, inter, key)


@dataclass(frozen=True)
class IssuedFiles:
    chain: Path
    key: Path
    ca: Path
    not_after: dt.datetime


def issue(directory: Path, names: list[Name], now: dt.datetime, *, days: int = DEFAULT_DAYS,
          key_kind: str = "ec") -> IssuedFiles:
    """Issue for ``names`` with the CA in ``directory``; write NAME.pem and NAME-key.pem."""
    ca = load(directory)
    cert, key = ca.issue(names, now, days=days, key=new_key(key_kind))
    stem = names[0].file_stem()
    chain_path, key_path = directory / f"{stem}.pem", directory / f"{stem}-key.pem"
    try:
        write_file(key_path, key_pem(key), 0o600)
        write_file(chain_path, pem(cert) + pem(ca.intermediate))
    except OSError as exc:
        raise _cannot_write(directory, exc) from None
    return IssuedFiles(chain_path, key_path, directory / CA_FILE, cert.not_valid_after_utc)


__all__ = ["DevCA", "DevcertError", "IssuedFiles", "NameRefused", "init", "issue", "load"]
