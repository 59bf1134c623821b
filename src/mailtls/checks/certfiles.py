"""Certificate and key files named in a server configuration, checked as ``mailtls scan`` does.

Shared by the Postfix and Dovecot rules: each area has its own ids (``postfix.cert_expired``,
``dovecot.cert_expired``), written out in :data:`POSTFIX` and :data:`DOVECOT` so that a
search for an id finds the place that raises it. The chain goes through
:func:`mailtls.verify.diagnose` (same path building, dates, names as a scan); the
findings it names are mapped to the configuration ids, with the file and line of the
setting that names the file.
"""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from ..catalog import entry, new_finding, severity_of
from ..model import Finding, Location
from ..verify import TrustStore, diagnose
from .shell import quoted

MAX_PEM = 1024 * 1024
IGNORED = frozenset({"cert.verified", "cert.none"})


@dataclass(frozen=True)
class AreaIds:
    """The certificate-file finding ids of one configuration area (Postfix, Dovecot)."""

    cert_missing: str
    cert_unreadable: str
    cert_key_mismatch: str
    key_world_readable: str
    by_diagnosis: Mapping[str, str]  # the scan's diagnosis id -> this area's id
    cert_invalid: str  # any other diagnosis


POSTFIX = AreaIds(
    cert_missing="postfix.cert_missing",
    cert_unreadable="postfix.cert_unreadable",
    cert_key_mismatch="postfix.cert_key_mismatch",
    key_world_readable="postfix.key_world_readable",
    by_diagnosis={
        "cert.expired": "postfix.cert_expired",
        "cert.expires_soon": "postfix.cert_expires_soon",
        "cert.hostname_mismatch": "postfix.cert_hostname_mismatch",
        "cert.chain_incomplete": "postfix.chain_incomplete",
        "cert.self_signed": "postfix.cert_untrusted",
        "cert.untrusted": "postfix.cert_untrusted",
    },
    cert_invalid="postfix.cert_invalid",
)

DOVECOT = AreaIds(
    cert_missing="dovecot.cert_missing",
    cert_unreadable="dovecot.cert_unreadable",
    cert_key_mismatch="dovecot.cert_key_mismatch",
    key_world_readable="dovecot.key_world_readable",
    by_diagnosis={
        "cert.expired": "dovecot.cert_expired",
        "cert.expires_soon": "dovecot.cert_expires_soon",
        "cert.hostname_mismatch": "dovecot.cert_hostname_mismatch",
        "cert.chain_incomplete": "dovecot.chain_incomplete",
        "cert.self_signed": "dovecot.cert_untrusted",
        "cert.untrusted": "dovecot.cert_untrusted",
    },
    cert_invalid="dovecot.cert_invalid",
)


@dataclass(frozen=True)
class CertContext:
    now: dt.datetime
    store: TrustStore
    warn_days: int = 30


@dataclass(frozen=True)
class KeyPair:
    """A certificate chain file and its key file, and the settings that name them."""

    cert: Path | None
    key: Path | None
    cert_param: str
    key_param: str
    cert_loc: Location
    key_loc: Location
    where: str  # "FILE:LINE" of the naming setting, or "Postfix default"


def _read(path: Path) -> tuple[bytes | None, str | None]:
    try:
        if path.stat().st_size > MAX_PEM:
            return None, "no PEM certificate in it"
        return path.read_bytes(), None
    except PermissionError:
        return None, "permission denied"
    except OSError as exc:
        return None, exc.strerror or "permission denied"


def load_certs(data: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        return []


def load_key(data: bytes) -> PrivateKeyTypes | None:
    start = data.find(b"-----BEGIN")
    while start >= 0:
        end = data.find(b"-----END", start)
        end = data.find(b"-----", end + 8) + 5 if end >= 0 else -1
        block = data[start:end] if end > start else data[start:]
        if b"PRIVATE KEY" in block.split(b"\n", 1)[0]:
            try:
                return serialization.load_pem_private_key(block, None)
            except (ValueError, TypeError):
                return None
        start = data.find(b"-----BEGIN", max(end, start + 1))
    return None


def _f(fid: str, loc: Location, **params: str) -> Finding:
    return _fp(fid, loc, params)


def _fp(fid: str, loc: Location, params: dict[str, str]) -> Finding:
    return Finding(fid, severity_of(fid), params, location=loc)


def check_pair(ids: AreaIds, pair: KeyPair, host: str, ctx: CertContext) -> list[Finding]:
    """Every finding for one certificate/key pair, with the ids of ``ids``'s area."""
    out: list[Finding] = []
    if pair.cert is None or not pair.cert.exists():
        file = str(pair.cert or "")
        return [_f(ids.cert_missing, pair.cert_loc, param=pair.cert_param, file=file,
                   where=pair.where)]
    data, reason = _read(pair.cert)
    certs = load_certs(data) if data is not None else []
    if not certs:
        return [_f(ids.cert_unreadable, pair.cert_loc, param=pair.cert_param,
                   file=str(pair.cert), where=pair.where,
                   reason=reason or "no PEM certificate in it")]
    out += _key_findings(ids, pair, certs[0])
    out += _chain_findings(ids, pair, certs, host, ctx)
    return out


def _key_findings(ids: AreaIds, pair: KeyPair, leaf: x509.Certificate) -> list[Finding]:
    key_path = pair.key or pair.cert
    assert key_path is not None
    if not key_path.exists():
        return [_f(ids.cert_missing, pair.key_loc, param=pair.key_param, file=str(key_path),
                   where=pair.where)]
    out: list[Finding] = []
    mode = key_path.stat().st_mode
    if mode & stat.S_IROTH:
        loc = pair.key_loc
        out.append(new_finding(ids.key_world_readable, location=loc,
                               fix=f"chmod 600 {quoted(str(key_path))}",
                               param=pair.key_param,
                               file=str(key_path), where=pair.where,
                               mode=oct(stat.S_IMODE(mode))))
    data, reason = _read(key_path)
    key = load_key(data) if data is not None else None
    if key is None:
        out.append(_f(ids.cert_unreadable, pair.key_loc, param=pair.key_param,
                      file=str(key_path), where=pair.where,
                      reason=reason or "no usable private key in it (encrypted, or not a key)"))
    elif key.public_key() != leaf.public_key():
        out.append(_f(ids.cert_key_mismatch, pair.key_loc, key_file=str(key_path),
                      file=str(pair.cert), subject=leaf.subject.rfc4514_string()))
    return out


def _chain_findings(ids: AreaIds, pair: KeyPair, certs: list[x509.Certificate], host: str,
                    ctx: CertContext) -> list[Finding]:
    out: list[Finding] = []
    diagnosis = diagnose(certs, host, ctx.store, ctx.now, ctx.warn_days)
    for f in diagnosis.findings:
        if f.id in IGNORED:
            continue
        params = dict(f.params)
        params.setdefault("subject", certs[0].subject.rfc4514_string())
        params["file"] = str(pair.cert)
        params["trust"] = ctx.store.name
        params["problem"] = entry(f.id).title
        out.append(_fp(ids.by_diagnosis.get(f.id, ids.cert_invalid), pair.cert_loc, params))
    return out
