"""Diagnose a presented chain: every failed check as a finding, one marked primary.

The checks, in the order in which the primary cause is chosen among critical findings:
    1. trust path    cert.self_signed, cert.untrusted, cert.chain_incomplete
    2. parts         cert.malformed (an extension, key or name that cannot be read,
                     duplicated extensions), cert.hostname_invalid (no IDNA 2008 name)
    3. dates         cert.expired, cert.not_yet_valid   (leaf, intermediates, anchor)
    4. name          cert.hostname_mismatch
    5. purpose       cert.not_for_server
    6. the validator cert.invalid: what cryptography's RFC 5280 validator rejects that
                     no finding above explains
and below them, never instead of them: cert.weak_signature, cert.weak_key (high),
cert.cn_not_in_san (medium), cert.name_not_ldh (low), cert.expires_soon.

Paths: every bounded path from the leaf to an anchor is built (``paths``); each is
checked and handed to the validator (``validator``), and the best one is reported: one
the validator accepts if there is any. Only when no path reaches an anchor does the
first dead end name the trust problem. The validator always runs, whatever our checks
found; a high finding (weak key) never hides a critical one. Dates are compared at the
certificate's own precision (whole seconds, notAfter inclusive), as the validator does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..catalog import new_finding
from ..model import Finding, Severity
from .certinfo import fingerprint, is_self_issued, key_description, signature_name
from .hostname import HostName, cn_outside_san, host_name, matches, presented_names
from .parts import inspect, short_reason
from .paths import DeadEnd, Path, candidate_paths
from .store import TrustStore
from .validator import Relax, validate

PRIMARY_ORDER = (
    "cert.self_signed",
    "cert.untrusted",
    "cert.chain_incomplete",
    "cert.malformed",
    "cert.hostname_invalid",
    "cert.expired",
    "cert.not_yet_valid",
    "cert.hostname_mismatch",
    "cert.not_for_server",
    "cert.invalid",
    "cert.weak_signature",
    "cert.weak_key",
    "cert.cn_not_in_san",
    "cert.name_not_ldh",
    "cert.expires_soon",
)
WEAK_SIGNATURES = ("md2", "md4", "md5", "sha1")
MIN_RSA, MIN_EC = 2048, 224
MAX_NAMES_SHOWN = 20
DATE_IDS = frozenset({"cert.expired", "cert.not_yet_valid"})
NAME_IDS = frozenset({"cert.hostname_mismatch", "cert.hostname_invalid"})


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    path: tuple[x509.Certificate, ...]  # leaf .. anchor when a path was built, else ()

    @property
    def primary(self) -> Finding | None:
        return next((f for f in self.findings if f.primary), None)

    @property
    def verified(self) -> bool:
        return not any(f.severity >= Severity.HIGH for f in self.findings)


def _subject(cert: x509.Certificate) -> str:
    return inspect(cert).subject


# --- checks of one certificate --------------------------------------------------------


def _malformed(cert: x509.Certificate) -> list[Finding]:
    return [
        new_finding("cert.malformed", subject=_subject(cert), part=p.part, reason=p.reason)
        for p in inspect(cert).problems
    ]


def _role(position: int, path: Sequence[x509.Certificate], anchored: bool) -> str:
    if position == 0:
        return "server certificate"
    if position == len(path) - 1 and anchored:
        return "trust anchor"
    return (
        "root CA certificate" if is_self_issued(path[position]) else "intermediate CA certificate"
    )


def _dates(
    certs: Sequence[x509.Certificate], now: dt.datetime, anchored: bool = False
) -> list[Finding]:
    """Whole seconds, notAfter inclusive (RFC 5280 4.1.2.5), as the validator compares.
    ``anchored``: the last certificate is the trust anchor (from the store)."""
    moment = now.replace(microsecond=0)
    out = []
    for position, cert in enumerate(certs):
        nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
        role = _role(position, certs, anchored)
        if moment > na:
            days = str((now - na).days)
            out.append(new_finding("cert.expired", subject=_subject(cert), role=role,
                                   not_after=na.isoformat(), days=days))  # fmt: skip
        elif moment < nb:
            out.append(new_finding("cert.not_yet_valid", subject=_subject(cert), role=role,
                                   not_before=nb.isoformat()))  # fmt: skip
    return out


def _algorithms(path: Sequence[x509.Certificate]) -> list[Finding]:
    out = []
    for cert in path:
        if cert is not path[0] and is_self_issued(cert):
            continue  # a root is trusted by presence: its self-signature is checked by nobody
        sig = signature_name(cert)
        if any(sig.lower().startswith(w) for w in WEAK_SIGNATURES):
            out.append(new_finding("cert.weak_signature", subject=_subject(cert), signature=sig))
        kind, bits = key_description(cert)
        minimum = MIN_RSA if kind in ("RSA", "DSA") else MIN_EC if kind.startswith("EC") else 0
        if bits < minimum:
            out.append(
                new_finding(
                    "cert.weak_key",
                    subject=_subject(cert),
                    key=kind,
                    bits=str(bits),
                    min_bits=str(minimum),
                )
            )
    return out


def _purpose(leaf: x509.Certificate) -> Finding | None:
    view = inspect(leaf)
    eku = view.get(x509.ExtendedKeyUsage)
    if eku is None:
        return None  # absent: any purpose; unreadable: reported by _malformed
    allowed = {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
    if allowed & set(eku):
        return None
    names = ", ".join(getattr(o, "_name", o.dotted_string) for o in eku) or "(none)"
    return new_finding("cert.not_for_server", subject=_subject(leaf), eku=names)


def _names(leaf: x509.Certificate, host: HostName) -> list[Finding]:
    if host.problem:
        return [new_finding("cert.hostname_invalid", host=host.text, reason=host.problem)]
    view = inspect(leaf)
    if view.broken(x509.SubjectAlternativeName):
        return []  # the SAN cannot be read: cert.malformed says so, "mismatch" would mislead
    out = []
    if not matches(leaf, host):
        names = presented_names(leaf)
        shown = ", ".join(names[:MAX_NAMES_SHOWN])
        if len(names) > MAX_NAMES_SHOWN:
            shown += f" (+{len(names) - MAX_NAMES_SHOWN})"
        out.append(
            new_finding(
                "cert.hostname_mismatch",
                host=host.text,
                names=shown or "(no subjectAltName)",
                subject=_subject(leaf),
            )
        )
    elif not host.ldh and host.ip is None:
        out.append(new_finding("cert.name_not_ldh", host=host.text))
    cn = cn_outside_san(leaf)
    if cn is not None:
        out.append(new_finding("cert.cn_not_in_san", subject=_subject(leaf), cn=cn))
    return out


def _leaf_findings(leaf: x509.Certificate, host: HostName) -> list[Finding]:
    found = _malformed(leaf) + _names(leaf, host)
    purpose = _purpose(leaf)
    return [*found, purpose] if purpose else found


# --- paths ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    path: Path
    findings: tuple[Finding, ...]

    @property
    def score(self) -> tuple[int, int, int]:
        crit = sum(f.severity >= Severity.CRITICAL for f in self.findings)
        high = sum(f.severity >= Severity.HIGH for f in self.findings)
        return crit, high, len(self.path)


def _validator_findings(
    path: Path, host: HostName, now: dt.datetime, known: Sequence[Finding]
) -> list[Finding]:
    """The validator's say on ``path``: a rejection that ``known`` does not explain."""
    reason = validate(path, host, now)
    if reason is None:
        return []
    ids = {f.id for f in known if f.severity >= Severity.CRITICAL}
    if "cert.weak_signature" in {f.id for f in known} and "signature algorithm" in reason.lower():
        return []  # SHA-1 or MD5: already reported, and it stops the validator there
    if "cert.malformed" in ids:
        return []  # the validator cannot read what we already named as unreadable
    if ids:
        relax = Relax(
            dates=bool(ids & DATE_IDS),
            name=bool(ids & NAME_IDS),
            purpose="cert.not_for_server" in ids,
        )
        if relax == Relax() or ids - DATE_IDS - NAME_IDS - {"cert.not_for_server"}:
            return []
        reason = validate(path, host, now, relax)
        if reason is None:
            return []
    return [new_finding("cert.invalid", subject=_subject(path[0]), reason=reason)]


def _judge(path: Path, host: HostName, now: dt.datetime, leaf_found: list[Finding]) -> Judged:
    upper = [c for c in path[1:]]
    found = [f for c in upper for f in _malformed(c)]
    found += _dates(path, now, anchored=True) + _algorithms(path)
    found += _validator_findings(path, host, now, leaf_found + found)
    return Judged(path, tuple(found))


def _dead_end_finding(
    dead: DeadEnd, store: TrustStore, sent: Sequence[x509.Certificate]
) -> Finding:
    leaf, top = dead.path[0], dead.path[-1]
    if dead.kind in ("missing_issuer", "unknown_issuer"):
        unreadable = [c for c in sent if _issues(c, top) and inspect(c).problems]
        if unreadable:  # the issuer was sent, but its key or name cannot be read
            return _malformed(unreadable[0])[0]
    if dead.kind == "self_signed":
        return new_finding("cert.self_signed", subject=_subject(leaf), sha256=fingerprint(leaf))
    if dead.kind == "too_long":
        return new_finding(
            "cert.invalid", subject=_subject(leaf), reason="chain too long or looping"
        )
    if dead.kind == "untrusted_root":
        return new_finding(
            "cert.untrusted", subject=_subject(leaf), issuer=_subject(top), trust=store.name
        )
    issuer = inspect(top).issuer
    if dead.kind == "missing_issuer":
        return new_finding(
            "cert.chain_incomplete", subject=_subject(top), issuer=issuer, trust=store.name
        )
    return new_finding("cert.untrusted", subject=_subject(leaf), issuer=issuer, trust=store.name)


def _issues(candidate: x509.Certificate, cert: x509.Certificate) -> bool:
    try:
        return candidate.subject == cert.issuer
    except ValueError:
        return False


def _mark_primary(findings: list[Finding]) -> tuple[Finding, ...]:
    rank = {fid: i for i, fid in enumerate(PRIMARY_ORDER)}

    def key(f: Finding) -> tuple[int, int]:
        return -int(f.severity), rank.get(f.id, 99)

    failing = [f for f in findings if f.id in rank]
    if not failing:
        return tuple(findings)
    first = min(failing, key=key)
    rest = (replace(f, primary=False) if f.primary else f for f in findings if f is not first)
    ordered = [replace(first, primary=True), *sorted(rest, key=key)]
    return tuple(ordered)


def diagnose(
    chain: Sequence[x509.Certificate],
    host: str,
    store: TrustStore,
    now: dt.datetime,
    warn_days: int = 30,
) -> Diagnosis:
    """Check a presented chain (leaf first) for ``host`` at time ``now``."""
    if not chain:
        return Diagnosis((new_finding("cert.none", primary=True),), ())
    leaf = chain[0]
    target = host_name(host)
    leaf_found = _leaf_findings(leaf, target)
    search = candidate_paths(chain, store)
    if search.complete:
        best = min(
            (_judge(p, target, now, leaf_found) for p in search.complete), key=lambda j: j.score
        )
        path: Path = best.path
        findings = leaf_found + list(best.findings)
    else:
        dead = search.dead_ends[0] if search.dead_ends else DeadEnd((leaf,), "missing_issuer")
        path = ()
        upper = [f for c in dead.path[1:] for f in _malformed(c)]
        findings = [_dead_end_finding(dead, store, chain[1:]), *leaf_found, *upper]
        findings += _dates(dead.path, now) + _algorithms(dead.path)
    if not any(f.severity >= Severity.HIGH for f in findings):
        findings += _clean(leaf, target, now, warn_days)
    return Diagnosis(_mark_primary(findings), path)


def _clean(
    leaf: x509.Certificate, host: HostName, now: dt.datetime, warn_days: int
) -> list[Finding]:
    na = leaf.not_valid_after_utc
    out = []
    left = (na - now).days
    if left < warn_days:
        out.append(
            new_finding(
                "cert.expires_soon",
                subject=_subject(leaf),
                not_after=na.isoformat(),
                days=str(left),
            )
        )
    out.append(
        new_finding(
            "cert.verified",
            subject=_subject(leaf),
            issuer=inspect(leaf).issuer,
            not_after=na.isoformat(),
            host=host.text,
        )
    )
    return out


def diagnose_der(
    chain_der: Sequence[bytes], host: str, store: TrustStore, now: dt.datetime, warn_days: int = 30
) -> Diagnosis:
    """``diagnose`` over the DER the server sent: a certificate that does not even parse
    is named by its position (a leaf that does not parse is the primary cause)."""
    chain: list[x509.Certificate] = []
    unreadable: list[Finding] = []
    for number, der in enumerate(chain_der, 1):
        try:
            chain.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            where = f"(certificate {number} of {len(chain_der)} sent by the server)"
            part = f"DER ({len(der)} bytes)"
            # the leaf: nothing can be checked; another one: strict clients stop at it
            severity = None if number == 1 else Severity.HIGH
            unreadable.append(new_finding("cert.malformed", severity=severity, subject=where,
                                          part=part, reason=short_reason(exc)))  # fmt: skip
            if number == 1:
                return Diagnosis(_mark_primary(unreadable), ())
    found = diagnose(chain, host, store, now, warn_days)
    if not unreadable:
        return found
    return Diagnosis(_mark_primary([*found.findings, *unreadable]), found.path)
