"""A certificate's parts read defensively: what parsed, and what did not, by name.

``cryptography`` raises on first touch of a malformed or duplicated extension, of a
public key it cannot load, or of a name it cannot decode. Diagnosis must neither crash
on such a certificate nor read "malformed" as "absent" (a SAN that does not parse is not
a missing SAN). ``inspect(cert)`` returns the extensions that parsed and one ``Problem``
per part that did not, naming it; every check reads certificates through it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from .der import raw_extensions

E = TypeVar("E", bound=x509.ExtensionType)


@dataclass(frozen=True)
class Problem:
    part: str  # "subjectAltName", "public key", "extensions", ...
    reason: str


@dataclass(frozen=True, eq=False)
class CertView:
    cert: x509.Certificate
    extensions: dict[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]]
    problems: tuple[Problem, ...]

    def get(self, kind: type[E]) -> E | None:
        ext = self.extensions.get(kind.oid)
        return ext.value if ext is not None and isinstance(ext.value, kind) else None

    def broken(self, kind: type[x509.ExtensionType]) -> Problem | None:
        """The problem of this extension, if it is present but unreadable or duplicated."""
        name = oid_name(kind.oid)
        return next((p for p in self.problems if p.part == name), None)

    @property
    def subject(self) -> str:
        return name_text(self.cert, "subject")

    @property
    def issuer(self) -> str:
        return name_text(self.cert, "issuer")


def oid_name(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", None)
    return name if name and name != "Unknown OID" else oid.dotted_string


def name_text(cert: x509.Certificate, which: str) -> str:
    try:
        name = cert.subject if which == "subject" else cert.issuer
        return name.rfc4514_string() or "(empty subject)"
    except ValueError as exc:
        return f"(unreadable {which}: {exc})"


def common_names(cert: x509.Certificate) -> list[str]:
    try:
        attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return []
    return [a.value if isinstance(a.value, str) else a.value.decode("latin-1") for a in attrs]


@cache
def _probe_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def _parse_alone(oid: str, critical: bool, value: bytes) -> x509.Extension[x509.ExtensionType]:
    """Parse one extension by itself, in a throwaway certificate that holds only it."""
    key = _probe_key()
    name = x509.Name([])
    when = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    ext = x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value)
    probe = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(when)
        .not_valid_after(when)
        .add_extension(ext, critical)
        .sign(key, None)
    )
    parsed: x509.Extension[x509.ExtensionType] = probe.extensions[0]  # ValueError if bad
    return parsed


def _one_by_one(
    cert: x509.Certificate,
) -> tuple[dict[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]], list[Problem]]:
    try:
        raws = raw_extensions(cert.public_bytes(serialization.Encoding.DER))
    except ValueError as exc:
        return {}, [Problem("extensions", str(exc))]
    counts = Counter(r.oid for r in raws)
    parsed: dict[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]] = {}
    problems: list[Problem] = []
    for raw in raws:
        oid = x509.ObjectIdentifier(raw.oid)
        if counts[raw.oid] > 1:
            problem = Problem(oid_name(oid), f"present {counts[raw.oid]} times")
            if problem not in problems:
                problems.append(problem)
            continue
        try:
            parsed[oid] = _parse_alone(raw.oid, raw.critical, raw.value)
        except ValueError as exc:
            problems.append(Problem(oid_name(oid), short_reason(exc)))
    return parsed, problems


_PARSE_ERROR = re.compile(r"ParseError \{ kind: (\w+)(?:, location: \[(.*?)\])?")


def short_reason(exc: Exception) -> str:
    """The library's reason in words: its Rust debug form ``ParseError { kind: ... }``
    becomes ``invalid value at subject_alternative_name > 1 > GeneralName::DNSName``."""
    text = str(exc)
    m = _PARSE_ERROR.search(text)
    if m:
        kind = re.sub(r"(?<!^)(?=[A-Z])", " ", m.group(1)).lower()
        where = " > ".join(p.strip().strip('"') for p in (m.group(2) or "").split(",") if p)
        text = f"{kind} at {where}" if where else kind
    return text if len(text) <= 160 else text[:157] + "..."


@lru_cache(maxsize=1024)
def inspect(cert: x509.Certificate) -> CertView:
    """The certificate's readable parts and a named problem for each unreadable one."""
    try:
        extensions = {e.oid: e for e in cert.extensions}
        problems: list[Problem] = []
    except (ValueError, x509.DuplicateExtension):
        extensions, problems = _one_by_one(cert)
    try:
        cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        problems.append(Problem("public key", short_reason(exc)))
    for which in ("subject", "issuer"):
        try:
            getattr(cert, which).rfc4514_string()
        except ValueError as exc:
            problems.append(Problem(which, short_reason(exc)))
    return CertView(cert, extensions, tuple(problems))
