"""Trust stores: Mozilla's roots (certifi), the system store, and explicit CA files."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification

from ..errors import ConfigError

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # macOS, BSD
)
_MAX_PEM = 50 * 1024 * 1024


def load_pem_file(path: Path) -> list[x509.Certificate]:
    """Every certificate of a PEM (or single DER) file; ConfigError naming the file otherwise."""
    try:
        if path.stat().st_size > _MAX_PEM:
            raise ConfigError(f"{path}: larger than 50 MiB, not a certificate file")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read CA file ({exc.strerror})") from None
    try:
        with warnings.catch_warnings():  # a few bundled roots have non-positive serials
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            if b"-----BEGIN" in data:
                return x509.load_pem_x509_certificates(data)
            return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ConfigError(f"{path}: no usable certificate in it ({exc})") from None


@cache
def _mozilla() -> tuple[x509.Certificate, ...]:
    return tuple(load_pem_file(Path(certifi.where())))


@cache
def _system() -> tuple[x509.Certificate, ...]:
    paths = [os.environ.get("SSL_CERT_FILE"), *SYSTEM_BUNDLES]
    for p in paths:
        if p and Path(p).is_file():
            return tuple(load_pem_file(Path(p)))
    raise ConfigError("no system trust store found (looked for " + ", ".join(SYSTEM_BUNDLES) + ")")


@dataclass(frozen=True, eq=False)
class TrustStore:
    """A set of trust anchors, indexed by subject, with a printable name for messages."""

    name: str
    certs: tuple[x509.Certificate, ...]
    _by_subject: dict[bytes, list[x509.Certificate]] = field(default_factory=dict, repr=False)
    _fingerprints: set[bytes] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        for c in self.certs:
            self._by_subject.setdefault(c.subject.public_bytes(), []).append(c)
            self._fingerprints.add(c.public_bytes(serialization.Encoding.DER))

    @classmethod
    def mozilla(cls) -> TrustStore:
        return cls("Mozilla roots via certifi", _mozilla())

    @classmethod
    def system(cls) -> TrustStore:
        return cls("system store", _system())

    @classmethod
    def from_files(cls, paths: Sequence[Path]) -> TrustStore:
        certs: list[x509.Certificate] = []
        for p in paths:
            certs += load_pem_file(p)
        return cls(", ".join(str(p) for p in paths), tuple(certs))

    @classmethod
    def build(cls, trust: str = "mozilla", ca_files: Sequence[Path] = ()) -> TrustStore:
        """``trust`` is mozilla, system or none; CA files are added to it."""
        if trust not in ("mozilla", "system", "none"):
            raise ConfigError(f"unknown trust store {trust!r} (expected mozilla, system or none)")
        base = {"mozilla": cls.mozilla, "system": cls.system}.get(trust)
        parts = [base()] if base else []
        if ca_files:
            parts.append(cls.from_files(ca_files))
        if not parts:
            raise ConfigError("--trust none needs at least one --ca-file")
        return cls.combine(parts)

    @classmethod
    def combine(cls, stores: Iterable[TrustStore]) -> TrustStore:
        stores = list(stores)
        return cls(" + ".join(s.name for s in stores), tuple(c for s in stores for c in s.certs))

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        return list(self._by_subject.get(cert.issuer.public_bytes(), ()))

    def contains(self, cert: x509.Certificate) -> bool:
        """The exact certificate, or an anchor with the same subject and key (cross-signs)."""
        if cert.public_bytes(serialization.Encoding.DER) in self._fingerprints:
            return True
        same = self._by_subject.get(cert.subject.public_bytes(), ())
        return any(a.public_key() == cert.public_key() for a in same)

    @property
    def verification_store(self) -> verification.Store:
        cached = self.__dict__.get("_vstore")
        if cached is None:
            cached = verification.Store(list(self.certs))
            object.__setattr__(self, "_vstore", cached)
        return cached
