"""Trust stores: Mozilla's roots (certifi), the system store, and explicit CA files."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
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
    with warnings.catch_warnings():  # a few bundled roots have non-positive serials
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        if b"-----BEGIN CERTIFICATE-----" in data:
            return _pem_blocks(path, data)
        if b"-----BEGIN" in data:
            raise ConfigError(
                f"{path}: a PEM file without any CERTIFICATE block (a key or a request?)"
            )
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise ConfigError(f"{path}: not a certificate file (neither PEM nor DER)") from None


def _pem_blocks(path: Path, data: bytes) -> list[x509.Certificate]:
    certs = []
    blocks = re.findall(
        rb"-----BEGIN CERTIFICATE-----.*?(?:-----END CERTIFICATE-----|\Z)", data, re.S
    )
    for number, block in enumerate(blocks, 1):
        try:
            certs.append(x509.load_pem_x509_certificate(block))
        except ValueError:
            raise ConfigError(
                f"{path}: certificate {number} of {len(blocks)} is damaged (bad base64 or DER, "
                "or a missing END line)"
            ) from None
    return certs


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
        return self.anchor_for(cert) is not None

    def anchor_for(self, cert: x509.Certificate) -> x509.Certificate | None:
        """The store's copy of ``cert``: the same DER, or the same subject and key."""
        der = cert.public_bytes(serialization.Encoding.DER)
        try:
            same = self._by_subject.get(cert.subject.public_bytes(), ())
            if der in self._fingerprints:
                return next(
                    (a for a in same if a.public_bytes(serialization.Encoding.DER) == der), cert
                )
            key = cert.public_key()
        except (ValueError, UnsupportedAlgorithm):
            return None
        for anchor in same:
            try:
                if anchor.public_key() == key:
                    return anchor
            except (ValueError, UnsupportedAlgorithm):
                continue
        return None

    @property
    def verification_store(self) -> verification.Store:
        cached = self.__dict__.get("_vstore")
        if cached is None:
            cached = verification.Store(list(self.certs))
            object.__setattr__(self, "_vstore", cached)
        return cached
