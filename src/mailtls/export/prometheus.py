"""Prometheus metrics for scan results: ``render_metrics(probes) -> bytes`` (text format 0.0.4).

Every series of an endpoint carries the labels ``target`` (the URL), ``host``, ``port``,
``scheme`` and ``address`` (the address connected to; empty when none was reached).

=============================================  ==================================================
mailtls_probe_success                          1 when the endpoint was tested (TLS reached, or
                                               the server answered without STARTTLS), else 0
mailtls_probe_duration_seconds                 how long the scan of the endpoint took
mailtls_cert_verified                          1 verified, 0 not (present whenever a certificate
                                               was seen: *the metrics stay when verification
                                               fails*)
mailtls_cert_not_after_timestamp_seconds       leaf certificate dates, Unix seconds
mailtls_cert_not_before_timestamp_seconds
mailtls_cert_info                              1, labels subject, issuer, sha256, spki_sha256,
                                               serial
mailtls_cert_changed_timestamp_seconds         when the leaf last changed (from history, or
                                               from what this exporter saw since it started)
mailtls_tls_version_info                       1, labels version and cipher
mailtls_findings                               findings per severity (all five always present)
mailtls_finding_info                           1 per finding, labels id and severity
=============================================  ==================================================

Nothing here does I/O: the exporter (mailtls.cli.exporter_app) scans and serves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..model import ScanResult, Severity

LABELS = ("target", "host", "port", "scheme", "address")
CERT_INFO_LABELS = ("subject", "issuer", "sha256", "spki_sha256", "serial")
VERIFIED = "cert.verified"


@dataclass(frozen=True)
class Probe:
    """One endpoint's result as the exporter serves it."""

    result: ScanResult
    duration: float
    changed_at: float | None = None  # Unix time the leaf last changed, when known


def endpoint_labels(result: ScanResult) -> list[str]:
    t = result.target
    return [t.url, t.host, str(t.port), t.scheme, result.address or t.address or ""]


def timestamp(iso: str) -> float:
    when = dt.datetime.fromisoformat(iso)
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _family(name: str, doc: str, extra: Sequence[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=[*LABELS, *extra])


class _Families:
    """The metric families, filled endpoint by endpoint."""

    def __init__(self) -> None:
        self.success = _family("mailtls_probe_success",
                               "1 when the endpoint was tested (its TLS stage reached), else 0")
        self.duration = _family("mailtls_probe_duration_seconds",
                                "Seconds the scan of the endpoint took")
        self.verified = _family("mailtls_cert_verified",
                                "1 when the certificate verified (path, dates, name), else 0")
        self.not_after = _family("mailtls_cert_not_after_timestamp_seconds",
                                 "Leaf certificate notAfter, Unix seconds")
        self.not_before = _family("mailtls_cert_not_before_timestamp_seconds",
                                  "Leaf certificate notBefore, Unix seconds")
        self.info = _family("mailtls_cert_info", "Leaf certificate identity (always 1)",
                            CERT_INFO_LABELS)
        self.changed = _family("mailtls_cert_changed_timestamp_seconds",
                               "Unix time the leaf certificate last changed")
        self.version = _family("mailtls_tls_version_info",
                               "Negotiated TLS version and cipher (always 1)",
                               ("version", "cipher"))
        self.findings = _family("mailtls_findings", "Findings per severity", ("severity",))
        self.finding = _family("mailtls_finding_info", "One finding (always 1)",
                               ("id", "severity"))  # fmt: skip

    def add(self, probe: Probe) -> None:
        r = probe.result
        labels = endpoint_labels(r)
        self.success.add_metric(labels, 1.0 if r.tested else 0.0)
        self.duration.add_metric(labels, probe.duration)
        counts = dict.fromkeys(Severity, 0)
        for f in r.findings:
            counts[f.severity] += 1
        for severity, count in sorted(counts.items(), reverse=True):
            self.findings.add_metric([*labels, severity.label], float(count))
        for fid, label in sorted({(f.id, f.severity.label) for f in r.findings}):
            self.finding.add_metric([*labels, fid, label], 1.0)
        if r.tls_version:
            self.version.add_metric([*labels, r.tls_version, r.cipher or ""], 1.0)
        if probe.changed_at is not None:
            self.changed.add_metric(labels, probe.changed_at)
        cert = r.certificate
        if cert is None:
            return
        verified = any(f.id == VERIFIED for f in r.findings)
        self.verified.add_metric(labels, 1.0 if verified else 0.0)
        self.not_after.add_metric(labels, timestamp(cert.not_after))
        self.not_before.add_metric(labels, timestamp(cert.not_before))
        ident = [cert.subject, cert.issuer, cert.sha256, cert.spki_sha256, cert.serial]
        self.info.add_metric([*labels, *ident], 1.0)

    def all(self) -> list[Metric]:
        return [self.success, self.duration, self.verified, self.not_after, self.not_before,
                self.info, self.changed, self.version, self.findings, self.finding]  # fmt: skip


class ProbeCollector(Collector):
    """A prometheus-client collector over a fixed set of probes."""

    def __init__(self, probes: Iterable[Probe]) -> None:
        self.probes = list(probes)

    def collect(self) -> Iterator[Metric]:
        families = _Families()
        for probe in self.probes:
            families.add(probe)
        yield from families.all()


def render_metrics(probes: Iterable[Probe]) -> bytes:
    """The exposition text of ``probes`` (Prometheus text format 0.0.4)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProbeCollector(probes))
    return generate_latest(registry)
