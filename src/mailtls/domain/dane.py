"""DANE for SMTP (RFC 7672, RFC 6698, RFC 7671): TLSA records against presented chains.

Pure functions: TLSA records (``usage selector mtype data``) and the DER chain an address
presented (leaf first) in, findings out.

* Usable for SMTP: usage 3 (DANE-EE) and 2 (DANE-TA), selector 0 (certificate) or 1
  (SubjectPublicKeyInfo), matching type 0 (full), 1 (SHA-256) or 2 (SHA-512). Usages 0
  and 1 (PKIX-TA, PKIX-EE) are unusable for SMTP (RFC 7672 section 3.1.3).
* DANE-EE matches the leaf and ignores names and dates (RFC 7672 section 3.1.1).
* DANE-TA matches a certificate the server sent above the leaf; the leaf must chain to it
  by signature, be within its dates, and carry the MX host name or the domain (RFC 7672
  section 3.2.2/3.2.3, the reference identifiers of an MX found through a secure lookup).
* Rollover (RFC 7671 section 8): one ``3 1 x`` record survives a renewal that keeps the
  key and breaks at the first new key unless the next key's record is published first;
  ``3 0 x`` records pin the certificate itself: every renewal breaks them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..catalog import new_finding
from ..model import Finding
from ..verify.hostname import match_hostname


@dataclass(frozen=True)
class Tlsa:
    usage: int
    selector: int
    mtype: int
    data: bytes

    @property
    def usable(self) -> bool:
        return self.usage in (2, 3) and self.selector in (0, 1) and self.mtype in (0, 1, 2)

    def __str__(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()}"


def parse_tlsa(texts: Sequence[str]) -> list[Tlsa]:
    """``"3 1 1 ABCD..."`` (dnspython's text form) to records; unparsable text is skipped."""
    found = []
    for text in texts:
        parts = text.split()
        if len(parts) < 4 or not all(p.isdigit() for p in parts[:3]):
            continue
        try:
            data = bytes.fromhex("".join(parts[3:]))
        except ValueError:
            continue
        found.append(Tlsa(int(parts[0]), int(parts[1]), int(parts[2]), data))
    return found


def selected(cert: x509.Certificate, selector: int, mtype: int) -> bytes:
    """The bytes a record with ``selector``/``mtype`` holds for ``cert``."""
    if selector == 0:
        body = cert.public_bytes(serialization.Encoding.DER)
    else:
        body = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    if mtype == 1:
        return hashlib.sha256(body).digest()
    if mtype == 2:
        return hashlib.sha512(body).digest()
    return body


def record_for(cert: x509.Certificate, usage: int, selector: int, mtype: int) -> Tlsa:
    return Tlsa(usage, selector, mtype, selected(cert, selector, mtype))


def _load(chain_der: Sequence[bytes]) -> list[x509.Certificate]:
    certs = []
    for der in chain_der:
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            break  # what follows an unparsable certificate cannot chain through it
    return certs


@dataclass(frozen=True)
class Match:
    """How one address's chain fared: the record that matched, or what failed."""

    ok: bool
    record: Tlsa | None = None
    problem: str = ""  # "", "no_match", "ta_path", "ta_name", "ta_dates", "no_chain"


def _chains_to(certs: list[x509.Certificate], top: int) -> bool:
    for lower, upper in itertools.pairwise(certs[: top + 1]):
        try:
            lower.verify_directly_issued_by(upper)
        except Exception:  # wrong issuer, bad signature, unsupported key: no chain
            return False
    return True


def _ta_match(
    rec: Tlsa, certs: list[x509.Certificate], names: Sequence[str], now: dt.datetime
) -> Match | None:
    for i in range(1, len(certs)):
        if selected(certs[i], rec.selector, rec.mtype) != rec.data:
            continue
        leaf = certs[0]
        if not _chains_to(certs, i):
            return Match(False, rec, "ta_path")
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            return Match(False, rec, "ta_dates")
        if not any(match_hostname(leaf, ref) for ref in names):
            return Match(False, rec, "ta_name")
        return Match(True, rec)
    return None


def match_chain(
    records: Sequence[Tlsa], chain_der: Sequence[bytes], names: Sequence[str], now: dt.datetime
) -> Match:
    """The first usable record the chain satisfies; else the most telling failure.

    ``names``: the reference identifiers for DANE-TA (the MX host name, the domain).
    """
    certs = _load(chain_der)
    if not certs:
        return Match(False, None, "no_chain")
    failure = Match(False, None, "no_match")
    for rec in records:
        if not rec.usable:
            continue
        if rec.usage == 3 and selected(certs[0], rec.selector, rec.mtype) == rec.data:
            return Match(True, rec)
        if rec.usage == 2:
            found = _ta_match(rec, certs, names, now)
            if found is not None and found.ok:
                return found
            if found is not None:
                failure = found
    return failure


def record_findings(host: str, records: Sequence[Tlsa]) -> list[Finding]:
    """What the TLSA RRset of one MX host says by itself: unusable records, rollover."""
    findings = []
    unusable = [r for r in records if not r.usable]
    usable = [r for r in records if r.usable]
    if unusable:
        findings.append(new_finding("dane.unusable_records", host=host,
                                    records=", ".join(str(r)[:20] for r in unusable)))  # fmt: skip
    if records and not usable:
        findings.append(new_finding("dane.no_usable_records", host=host))
    ee = [r for r in usable if r.usage == 3]
    if ee and all(r.selector == 0 for r in ee) and not any(r.usage == 2 for r in usable):
        findings.append(new_finding("dane.rollover_cert_pinned", host=host))
    elif len(usable) == 1 and ee:
        findings.append(new_finding("dane.rollover_single_key", host=host))
    return findings


def rollover_findings(host: str, records: Sequence[Tlsa], matched: set[Tlsa]) -> list[Finding]:
    """A DANE-EE record no address matched, beside one that did: the next key is ready."""
    ee_spare = [r for r in records if r.usable and r.usage == 3 and r not in matched]
    if matched and ee_spare:
        return [new_finding("dane.rollover_next_key", host=host, count=str(len(ee_spare)))]
    return []
