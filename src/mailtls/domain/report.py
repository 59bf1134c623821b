"""The JSON document of one domain (schema 1, src/mailtls/schemas/domain-1.json)."""

from __future__ import annotations

import json
from typing import Any

from ..catalog import describe
from ..export.json import finding_dict
from ..model import Severity
from .evaluate import AddressVerdict, DomainReport, HostVerdict

DOMAIN_SCHEMA = 1


def _address(a: AddressVerdict, lang: str) -> dict[str, Any]:
    r = a.scan
    return {
        "address": a.address,
        "port": r.target.port,
        "ok": a.ok,
        "tls_version": r.tls_version,
        "certificate_sha256": r.certificate.sha256 if r.certificate else None,
        "spki_sha256": r.certificate.spki_sha256 if r.certificate else None,
        "tlsa_matched": a.matched or None,
        "pkix_verified": any(f.id == "cert.verified" for f in r.findings),
        "scan_findings": [f.id for f in r.findings],
        "findings": [finding_dict(f, lang) for f in a.findings],
    }


def _host(h: HostVerdict, lang: str) -> dict[str, Any]:
    return {
        "host": h.host,
        "preference": h.preference,
        "mechanism": h.mechanism,
        "ok": h.ok,
        "dnssec": dict(h.dnssec),
        "tlsa": list(h.tlsa),
        "addresses": [_address(a, lang) for a in h.addresses],
        "findings": [finding_dict(f, lang) for f in h.findings],
    }


def domain_dict(report: DomainReport, lang: str = "en") -> dict[str, Any]:
    policy = report.sts.policy
    worst = max((f.severity for f in report.all_findings), default=Severity.INFO)
    return {
        "schema": DOMAIN_SCHEMA,
        "domain": report.domain,
        "verdict": report.verdict,
        "verdict_text": describe(report.findings[0], lang).title if report.findings else "",
        "worst": worst.label,
        "dnssec": {"mx": report.mx_dnssec},
        "mx": [_host(h, lang) for h in report.hosts],
        "mta_sts": {
            "record": report.sts.record.present,
            "id": report.sts.record.id,
            "mode": policy.mode if policy else None,
            "max_age": policy.max_age if policy else None,
            "mx": list(policy.mx) if policy else [],
        },
        "tls_rpt": {"valid": report.tlsrpt.present, "rua": list(report.tlsrpt.rua)},
        "findings": [finding_dict(f, lang) for f in report.findings],
    }


def render_json(report: DomainReport, lang: str = "en") -> str:
    """One line per domain (JSON Lines): ``jq`` and ``grep`` take one domain at a time."""
    return json.dumps(domain_dict(report, lang), ensure_ascii=False, sort_keys=False)
