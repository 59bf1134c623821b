"""JSON documents with a ``schema`` number; the JSON Schema ships in mailtls/schemas/."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..catalog import describe
from ..failures import REPORTING, failed_result
from ..model import PROTOCOLS, CertInfo, DeepObservation, Finding, ScanResult, Target

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


def _path(r: ScanResult) -> list[dict[str, str]]:
    """The path that was judged (verified, or the best failing one), leaf .. anchor."""
    sent = {c.sha256 for c in r.chain}
    return [
        {
            "sha256": c.sha256,
            "subject": c.subject,
            "from": "server" if c.sha256 in sent else "store",
        }
        for c in r.path
    ]


def _suites(deep: DeepObservation) -> dict[str, list[dict[str, str | None]]]:
    from ..proto.tls.registry import cipher_suite, sslv2_cipher  # only --deep results need it

    out = {}
    for protocol in PROTOCOLS:
        lookup = sslv2_cipher if protocol == "SSLv2" else cipher_suite
        codes = deep.cipher_suites.get(protocol, ())
        if codes:
            out[protocol] = [lookup(c).to_json() for c in codes]
    return out


def deep_tls(r: ScanResult) -> dict[str, Any]:
    """The --deep additions to the result's "tls" object."""
    deep = r.deep
    if deep is None:
        return {}
    from ..proto.tls.registry import NamedGroup

    return {
        "protocols": [p for p in PROTOCOLS if deep.protocols.get(p)],
        "protocols_unknown": [p for p in PROTOCOLS if deep.protocols.get(p) is None],
        "cipher_suites": _suites(deep),
        "server_order": {p: v for p, v in deep.server_order.items()},
        "groups": [NamedGroup(g).label for g in deep.groups],
        "group_server_order": deep.group_server_order,
        "dh_bits": deep.dh_bits,
        "dh_group": deep.dh_group,
        "certificates": [[_cert(c) for c in chain] for chain in r.chains],
        "ocsp_stapling": deep.ocsp_stapling,
        "session_resumption": {"ids": deep.session_ids, "tickets": deep.session_tickets},
        "compression": deep.compression,
        "secure_renegotiation": deep.secure_renegotiation,
        "client_renegotiation": deep.client_renegotiation,
        "fallback_scsv": deep.fallback_scsv,
        "extended_master_secret": deep.extended_master_secret,
        "heartbeat": deep.heartbeat,
        "heartbleed": deep.heartbleed,
        "ccs_injection": deep.ccs_injection,
        "robot": deep.robot,
        "robot_oracle": deep.robot_oracle,
        "robot_evidence": list(deep.robot_evidence),
        "robot_connections": deep.robot_connections,
    }


def _deep_extra(r: ScanResult, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if r.grade is not None:
        g = r.grade
        out["grade"] = {"letter": g.letter, "policy": g.policy, "role": g.role,
                        "reasons": [finding_dict(f, lang) for f in g.reasons]}  # fmt: skip
    deep = r.deep
    if deep is not None:
        out["connections_used"] = deep.connections
        out["incomplete"] = deep.incomplete
        out["mail"] = {
            "starttls_injection": deep.starttls_injection,
            "mail_before_starttls": deep.mail_without_tls,
            "starttls_seen": list(deep.starttls_seen),
        }
        out["notes"] = list(deep.notes)
        out["outcomes"] = [{"probe": o.probe, "outcome": o.outcome.value, "cause": o.cause}
                           for o in deep.outcomes]  # fmt: skip
    return out


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
        "tls": {"version": r.tls_version, "cipher": r.cipher, **deep_tls(r)},
        "certificate": _cert(r.certificate),
        "chain": [_cert(c) for c in r.chain],
        "path": _path(r),
        "worst": r.worst.label if r.worst is not None else None,
        "findings": [finding_dict(f, lang) for f in r.findings],
        **_deep_extra(r, lang),
    }


def safe_result_dict(r: ScanResult, lang: str = "en") -> dict[str, Any]:
    """``result_dict``, or, when rendering this one result raises, the target with its
    ``scan.internal_error``: one bad result never loses the document."""
    try:
        return result_dict(r, lang)
    except Exception as exc:
        return result_dict(failed_result(r.target, exc, REPORTING), lang)


def render_scan(
    results: Sequence[ScanResult],
    lang: str = "en",
    extra: Sequence[Finding] = (),
    errors: Sequence[str] = (),
    *,
    as_of: dt.datetime | None = None,
    interrupted: bool = False,
    unfinished: Sequence[Target] = (),
) -> str:
    """The scan document. ``as_of``: the time the verdicts are for (--at, else the scan's
    start); ``interrupted``: stopped early, ``results`` holds what finished, ``unfinished``
    the targets that did not."""
    now = dt.datetime.now(dt.UTC)
    doc = {
        "schema": SCAN_SCHEMA,
        "tool": {"name": "mailtls", "version": __version__},
        "generated": now.isoformat(timespec="seconds"),
        "as_of": (as_of or now).isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "results": [safe_result_dict(r, lang) for r in results],
        "unfinished": [t.url for t in unfinished],
        "notes": [finding_dict(f, lang) for f in extra],
        "errors": list(errors),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
