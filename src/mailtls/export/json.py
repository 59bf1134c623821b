"""JSON documents with a ``schema`` number; the JSON Schema ships in mailtls/schemas/."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..catalog import describe
from ..model import CertInfo, Finding, ScanResult

SCAN_SCHEMA = 1


def finding_dict(finding: Finding, lang: str = "en") -> dict[str, Any]:
    text = describe(finding, lang)
    return {
        "id": finding.id,
        "severity": finding.severity.label,
        "primary": finding.primary,
        "title": text.title,
        "detail": text.detail,
        "remediation": text.remediation,
        "references": list(text.references),
        "params": dict(finding.params),
    }


def _cert(info: CertInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    d = dataclasses.asdict(info)
    d["san"] = list(info.san)
    return d


def result_dict(r: ScanResult, lang: str = "en") -> dict[str, Any]:
    t = r.target
    return {
        "target": t.url,
        "scheme": t.scheme,
        "host": t.host,
        "port": t.port,
        "address": r.address,
        "tested": r.tested,
        "elapsed": r.elapsed,
        "tls": {"version": r.tls_version, "cipher": r.cipher},
        "certificate": _cert(r.certificate),
        "chain": [_cert(c) for c in r.chain],
        "worst": r.worst.label if r.worst is not None else None,
        "findings": [finding_dict(f, lang) for f in r.findings],
    }


def render_scan(
    results: Sequence[ScanResult],
    lang: str = "en",
    extra: Sequence[Finding] = (),
    errors: Sequence[str] = (),
) -> str:
    doc = {
        "schema": SCAN_SCHEMA,
        "tool": {"name": "mailtls", "version": __version__},
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "results": [result_dict(r, lang) for r in results],
        "notes": [finding_dict(f, lang) for f in extra],
        "errors": list(errors),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
