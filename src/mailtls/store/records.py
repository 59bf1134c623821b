"""What the history keeps, as frozen data: one observation, one baseline, one alert.

These are the store's public values; ``mailtls.monitor.records.record_of`` builds an
:class:`ObservationRecord` from a ``ScanResult``, and the alert rules read them back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..model import Severity


@dataclass(frozen=True)
class ObservationRecord:
    """One endpoint on one address at one time, as a pass saw it."""

    endpoint: str  # the target URL, scheme://host:port: the history series
    scheme: str
    host: str
    port: int
    address: str | None
    observed_at: dt.datetime
    tested: bool
    verified: bool
    error_id: str | None = None
    leaf_sha256: str | None = None
    spki_sha256: str | None = None
    chain_sha256: tuple[str, ...] = ()
    subject: str | None = None
    issuer: str | None = None
    serial: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    tls_version: str | None = None
    cipher: str | None = None
    duration: float = 0.0
    findings: tuple[tuple[str, Severity], ...] = ()
    id: int | None = None
    pass_id: int | None = None

    @property
    def finding_ids(self) -> frozenset[str]:
        return frozenset(f for f, _ in self.findings)


@dataclass(frozen=True)
class Baseline:
    """The certificate an endpoint is expected to present: the first one seen, or the one
    ``mailtls monitor accept`` made the baseline (who, why)."""

    endpoint: str
    leaf_sha256: str | None
    spki_sha256: str | None
    issuer: str | None
    verified: bool
    legacy: tuple[str, ...]
    observed_at: dt.datetime
    accepted_at: dt.datetime
    accepted_by: str
    reason: str


@dataclass(frozen=True)
class StoredAlert:
    """An alert as the history keeps it; open while ``resolved_at`` is None."""

    endpoint: str
    key: str
    finding_id: str
    severity: Severity
    params: Mapping[str, str] = field(default_factory=dict)
    raised_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
