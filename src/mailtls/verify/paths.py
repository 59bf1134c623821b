"""Candidate certification paths: every way from the leaf to a trust anchor, bounded.

Servers send chains in any order, with extra certificates, with the same intermediate
signed by an old and a new root (cross-signs during root migrations), sometimes looping.
Taking the first issuer that chains and never backtracking calls such a chain untrusted
when another path through the same certificates reaches an anchor. So the search is a
depth-first walk over everything that was sent plus the store, every issuer tried:

- a certificate the store holds (the same DER, or the same subject and key: the anchor
  of a cross-sign) ends a path at the store's copy of it;
- an issuer from the store ends a path; an issuer that was sent continues it;
- a certificate already on the path is never taken again (loops);
- bounds: depth (leaf + 8 intermediates + anchor, as cryptography's default), complete
  paths kept, and signature checks done.

Dead ends are kept too, first found first: when no path reaches an anchor, the first dead
end names why (self-signed leaf, unknown root, missing intermediate), as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .certinfo import is_ca, is_self_issued
from .store import TrustStore

MAX_PATH = 10
MAX_COMPLETE = 16
MAX_SIGNATURE_CHECKS = 400

Path = tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class DeadEnd:
    path: Path
    kind: str  # "self_signed" | "untrusted_root" | "unknown_issuer" | "too_long"


@dataclass
class Search:
    complete: list[Path] = field(default_factory=list)
    dead_ends: list[DeadEnd] = field(default_factory=list)
    exhausted: bool = False  # a bound cut the search short


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _legacy_signature_ok(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """SHA-1 and MD5 signatures, which ``verify_directly_issued_by`` refuses to check."""
    algorithm = cert.signature_hash_algorithm
    try:
        key = issuer.public_key()
        if algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Name chaining and signature; also for SHA-1 and MD5, which cryptography refuses.

    A weak signature must still chain, or a SHA-1 leaf would be misreported as an
    incomplete chain; its weakness is reported by the algorithm checks. An issuer key
    that cannot be loaded signs nothing (no exception escapes).
    """
    try:
        if cert.issuer != issuer.subject:
            return False
    except ValueError:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (TypeError, InvalidSignature):
        return False
    except (ValueError, UnsupportedAlgorithm):
        pass
    return _legacy_signature_ok(cert, issuer)


class PathBuilder:
    def __init__(self, chain: Sequence[x509.Certificate], store: TrustStore) -> None:
        self.leaf = chain[0]
        self.sent = list(chain[1:])
        self.store = store
        self.checks = 0
        self._signed: dict[tuple[bytes, bytes], bool] = {}
        self.search = Search()

    def _signs(self, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
        key = (_der(cert), _der(issuer))
        if key not in self._signed:
            if self.checks >= MAX_SIGNATURE_CHECKS:
                self.search.exhausted = True
                return False
            self.checks += 1
            self._signed[key] = signed_by(cert, issuer)
        return self._signed[key]

    def _issuers(
        self, cert: x509.Certificate, pool: list[x509.Certificate]
    ) -> list[x509.Certificate]:
        try:
            issuer = cert.issuer
        except ValueError:
            return []
        return [c for c in pool if _subject_is(c, issuer) and self._signs(cert, c)]

    def run(self) -> Search:
        self._walk((self.leaf,))
        return self.search

    def _walk(self, path: Path) -> None:
        s = self.search
        if len(s.complete) >= MAX_COMPLETE:
            s.exhausted = True
            return
        current = path[-1]
        anchor = self.store.anchor_for(current)
        if anchor is not None:
            s.complete.append((*path[:-1], anchor))
            return
        if len(path) >= MAX_PATH:
            s.dead_ends.append(DeadEnd(path, "too_long"))
            return
        found = False
        for anchor in self._issuers(current, self.store.issuers_of(current)):
            s.complete.append((*path, anchor))
            found = True
        seen = {_der(c) for c in path}
        for issuer in self._issuers(current, [c for c in self.sent if _der(c) not in seen]):
            found = True
            self._walk((*path, issuer))
        if not found:
            s.dead_ends.append(DeadEnd(path, self._why(path)))

    def _why(self, path: Path) -> str:
        top = path[-1]
        if is_self_issued(top) and self._signs(top, top):
            return "self_signed" if len(path) == 1 else "untrusted_root"
        if len(path) == 1 or not is_ca(top):
            return "missing_issuer"
        return "unknown_issuer"


def _subject_is(cert: x509.Certificate, name: x509.Name) -> bool:
    try:
        return cert.subject == name
    except ValueError:
        return False


def candidate_paths(chain: Sequence[x509.Certificate], store: TrustStore) -> Search:
    """Every bounded path from ``chain[0]`` to an anchor of ``store``, and the dead ends."""
    return PathBuilder(chain, store).run()
