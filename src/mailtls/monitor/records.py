"""From a scan result to what the history keeps (:class:`mailtls.store.ObservationRecord`).

``record_of`` is the only place that knows both shapes; the exporter and the alert rules
read records, never scan results, so what they show is what the history holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from ..catalog import new_finding
from ..model import ScanResult
from ..store.records import ObservationRecord

#: legacy protocol findings -> the protocol name (a plain scan sees the negotiated one only)
LEGACY_IDS = {"protocol.sslv2": "SSLv2", "protocol.sslv3": "SSLv3",
              "protocol.tls1_0": "TLSv1", "protocol.tls1_1": "TLSv1.1"}
LEGACY_VERSIONS = frozenset(LEGACY_IDS.values())


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def check_pins(result: ScanResult, pins: Sequence[str]) -> ScanResult:
    """The result with ``client.pin_mismatch`` when its key is not one of ``pins``."""
    cert = result.certificate
    if not pins or cert is None or cert.spki_sha256 in pins:
        return result
    finding = new_finding("client.pin_mismatch", host=result.target.host,
                          subject=cert.subject, actual=cert.spki_sha256,
                          expected=", ".join(pins))
    return replace(result, findings=(*result.findings, finding))


def record_of(result: ScanResult, observed_at: dt.datetime) -> ObservationRecord:
    """The history's view of one scan result."""
    cert = result.certificate
    ids = {f.id for f in result.findings}
    return ObservationRecord(
        endpoint=result.target.url,
        scheme=result.target.scheme,
        host=result.target.host,
        port=result.target.port,
        address=result.address or result.target.address,
        observed_at=observed_at,
        tested=result.tested,
        verified="cert.verified" in ids and "client.pin_mismatch" not in ids,
        error_id=_error_id(result),
        leaf_sha256=cert.sha256 if cert else None,
        spki_sha256=cert.spki_sha256 if cert else None,
        chain_sha256=tuple(c.sha256 for c in result.chain),
        subject=cert.subject if cert else None,
        issuer=cert.issuer if cert else None,
        serial=cert.serial if cert else None,
        not_before=_time(cert.not_before) if cert else None,
        not_after=_time(cert.not_after) if cert else None,
        tls_version=result.tls_version,
        cipher=result.cipher,
        duration=round(result.elapsed, 3),
        findings=tuple((f.id, f.severity) for f in result.findings),
    )


def _error_id(result: ScanResult) -> str | None:
    if result.tested:
        return None
    primary = [f.id for f in result.findings if f.primary]
    ids = primary or [f.id for f in result.findings]
    return ids[0] if ids else None


def legacy_of(record: ObservationRecord) -> frozenset[str]:
    """The legacy protocols an observation shows: negotiated, or found by --deep."""
    found = {LEGACY_IDS[f] for f in record.finding_ids if f in LEGACY_IDS}
    if record.tls_version in LEGACY_VERSIONS:
        found.add(record.tls_version)
    return frozenset(found)
