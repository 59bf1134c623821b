"""Received TLS-RPT reports (RFC 8460 section 4): decode, check, summarise. Pure: bytes in.

A report is JSON, often gzip-compressed (``application/tlsrpt+gzip``); the gzip magic
decides, not the file name. Decompression is bounded (``limit`` bytes of JSON, default
32 MiB, far above real reports): a larger report is refused, never read whole.

The fields used (section 4.4): ``organization-name``, ``date-range`` (``start-datetime``,
``end-datetime``), ``report-id``, ``policies``: each with ``policy`` (``policy-type``
tlsa/sts/no-policy-found, ``policy-domain``, ``mx-host`` a string or a list),
``summary`` (``total-successful-session-count``, ``total-failure-session-count``) and
``failure-details`` (``result-type``, ``receiving-mx-hostname``, ``receiving-ip``,
``failed-session-count``, ...). A report that lacks a required field, or has one of the
wrong type, is refused as a whole with the field's path; unknown fields are ignored and
unknown result types are counted under their own name (section 4.3 allows new ones).
A report received twice (same organisation and report-id) is counted once.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LIMIT = 32 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
RESULT_TYPES = (
    "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
    "dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
)  # fmt: skip
POLICY_TYPES = ("tlsa", "sts", "no-policy-found")

# Why a report file is refused: the ids of the catalogue (part domain).
E_GZIP = "tlsrpt.report_gzip"
E_JSON = "tlsrpt.report_json"
E_TOO_LARGE = "tlsrpt.report_too_large"
E_FIELDS = "tlsrpt.report_fields"
E_UNREADABLE = "tlsrpt.report_unreadable"


class ReportError(Exception):
    """A report that cannot be used: ``finding_id`` names why, ``reason`` says where."""

    def __init__(self, finding_id: str, reason: str) -> None:
        super().__init__(reason)
        self.finding_id = finding_id
        self.reason = reason


def decompress(data: bytes, limit: int = DEFAULT_LIMIT) -> bytes:
    """The JSON bytes: gzip (every member) inflated to at most ``limit`` bytes, else as is."""
    if not data.startswith(GZIP_MAGIC):
        if len(data) > limit:
            raise ReportError(E_TOO_LARGE, f"more than {limit} bytes")
        return data
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
            while inflater.unconsumed_tail and len(out) <= limit:
                out += inflater.decompress(inflater.unconsumed_tail, limit + 1 - len(out))
        except zlib.error as exc:
            raise ReportError(E_GZIP, f"corrupt gzip data ({exc})") from None
        if len(out) > limit:
            raise ReportError(E_TOO_LARGE, f"more than {limit} bytes once decompressed")
        if not inflater.eof:
            raise ReportError(E_GZIP, "truncated gzip data (the stream ends early)")
        rest = inflater.unused_data.lstrip(b"\0")  # padding after the last member is allowed
    return bytes(out)


# --- the report ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    result_type: str
    count: int
    mx: str = ""
    ip: str = ""
    sending_ip: str = ""
    error_code: str = ""


@dataclass(frozen=True)
class PolicyResult:
    policy_type: str
    domain: str
    mx_patterns: tuple[str, ...]
    successful: int
    failed: int
    failures: tuple[Failure, ...]


@dataclass(frozen=True)
class Report:
    organization: str
    report_id: str
    start: str
    end: str
    policies: tuple[PolicyResult, ...]


def _at(obj: Any, key: str, kind: type | tuple[type, ...], path: str, required: bool = True,
        default: Any = None) -> Any:  # fmt: skip
    if not isinstance(obj, dict):
        raise ReportError(E_FIELDS, f"{path or '(top)'}: an object is expected")
    where = f"{path}.{key}" if path else key
    if key not in obj:
        if required:
            raise ReportError(E_FIELDS, f"{where}: missing")
        return default
    value = obj[key]
    bad_int = isinstance(value, bool) or (isinstance(value, int) and value < 0)
    if not isinstance(value, kind) or (kind is int and bad_int):
        names = {str: "a string", int: "a count (integer >= 0)", list: "a list",
                 dict: "an object"}  # fmt: skip
        wanted = names.get(kind, "a string or a list") if isinstance(kind, type) else \
            "a string or a list"
        raise ReportError(E_FIELDS, f"{where}: {wanted} is expected, not {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: str, size: int = 253) -> str:
    """A field from the report, safe to print: no control characters, bounded."""
    return "".join(ch if ch.isprintable() else "?" for ch in value[:size])


def _failure(obj: Any, path: str) -> Failure:
    return Failure(
        _text(_at(obj, "result-type", str, path), 64),
        _at(obj, "failed-session-count", int, path),
        _text(_at(obj, "receiving-mx-hostname", str, path, False, "")).lower().rstrip("."),
        _text(_at(obj, "receiving-ip", str, path, False, ""), 64),
        _text(_at(obj, "sending-mta-ip", str, path, False, ""), 64),
        _text(_at(obj, "failure-error-code", str, path, False, ""), 128),
    )


def _policy(obj: Any, path: str) -> PolicyResult:
    policy = _at(obj, "policy", dict, path)
    ppath = f"{path}.policy"
    ptype = _text(_at(policy, "policy-type", str, ppath), 32)
    domain = _text(_at(policy, "policy-domain", str, ppath)).lower().rstrip(".")
    mx = _at(policy, "mx-host", (str, list), ppath, False, [])
    patterns = [mx] if isinstance(mx, str) else mx
    if not all(isinstance(p, str) for p in patterns):
        raise ReportError(E_FIELDS, f"{ppath}.mx-host: strings are expected")
    summary = _at(obj, "summary", dict, path)
    spath = f"{path}.summary"
    details = _at(obj, "failure-details", list, path, False, [])
    failures = tuple(_failure(d, f"{path}.failure-details[{i}]") for i, d in enumerate(details))
    return PolicyResult(ptype, domain, tuple(_text(p).lower() for p in patterns),
                        _at(summary, "total-successful-session-count", int, spath),
                        _at(summary, "total-failure-session-count", int, spath),
                        failures)  # fmt: skip


def parse_report(data: bytes, limit: int = DEFAULT_LIMIT) -> Report:
    """One report from the bytes of a file; ReportError names what is wrong."""
    raw = decompress(data, limit)
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ReportError(E_JSON, f"not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise ReportError(E_JSON, "nested too deeply") from None
    except ValueError as exc:
        raise ReportError(E_JSON, f"not JSON ({str(exc)[:120]})") from None
    dates = _at(doc, "date-range", dict, "")
    policies = _at(doc, "policies", list, "")
    return Report(
        _text(_at(doc, "organization-name", str, "")),
        _text(_at(doc, "report-id", str, ""), 200),
        _text(_at(dates, "start-datetime", str, "date-range"), 40),
        _text(_at(dates, "end-datetime", str, "date-range"), 40),
        tuple(_policy(p, f"policies[{i}]") for i, p in enumerate(policies)),
    )


# --- the summary --------------------------------------------------------------------------

@dataclass
class OrgCounts:
    successful: int = 0
    failed: int = 0
    reports: int = 0


@dataclass
class DomainSummary:
    domain: str
    policy_types: Counter[str] = field(default_factory=Counter)
    mx_patterns: set[str] = field(default_factory=set)
    successful: int = 0
    failed: int = 0
    organizations: dict[str, OrgCounts] = field(default_factory=dict)
    result_types: Counter[str] = field(default_factory=Counter)
    receiving_mx: Counter[str] = field(default_factory=Counter)
    receiving_ip: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class Summary:
    domains: tuple[DomainSummary, ...]
    reports: int
    duplicates: int


def _add(s: DomainSummary, report: Report, p: PolicyResult) -> None:
    s.policy_types[p.policy_type] += 1
    s.mx_patterns.update(p.mx_patterns)
    s.successful += p.successful
    s.failed += p.failed
    org = s.organizations.setdefault(report.organization, OrgCounts())
    org.successful += p.successful
    org.failed += p.failed
    org.reports += 1
    for f in p.failures:
        s.result_types[f.result_type] += f.count
        if f.mx:
            s.receiving_mx[f.mx] += f.count
        if f.ip:
            s.receiving_ip[f.ip] += f.count
        if f.error_code:
            s.error_codes[f.error_code] += f.count
    s.start = min(filter(None, (s.start, report.start)), default="")
    s.end = max(s.end, report.end)


def summarise(reports: Iterable[Report]) -> Summary:
    """Counts per policy domain, each sending organisation, result type, MX and address."""
    by_domain: dict[str, DomainSummary] = {}
    seen: set[tuple[str, str]] = set()
    used = duplicates = 0
    for report in reports:
        key = (report.organization, report.report_id)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        used += 1
        for p in report.policies:
            _add(by_domain.setdefault(p.domain, DomainSummary(p.domain)), report, p)
    ordered = sorted(by_domain.values(), key=lambda s: (-s.failed, s.domain))
    return Summary(tuple(ordered), used, duplicates)


def top(counter: Counter[str], n: int = 0) -> Sequence[tuple[str, int]]:
    """Most sessions first, then by name: stable output for tests and diffs."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return items[:n] if n else items


def summary_dict(summary: Summary) -> list[dict[str, Any]]:
    """The per-domain part of ``mailtls tlsrpt --json`` (schema tlsrpt-1)."""
    return [{
        "policy_domain": s.domain,
        "policy_types": dict(top(s.policy_types)),
        "mx_patterns": sorted(s.mx_patterns),
        "start": s.start,
        "end": s.end,
        "successful_sessions": s.successful,
        "failed_sessions": s.failed,
        "organizations": [{"organization": name, "reports": o.reports,
                           "successful_sessions": o.successful, "failed_sessions": o.failed}
                          for name, o in sorted(s.organizations.items(),
                                                key=lambda kv: (-kv[1].failed, kv[0]))],
        "result_types": dict(top(s.result_types)),
        "receiving_mx": dict(top(s.receiving_mx)),
        "receiving_ip": dict(top(s.receiving_ip)),
        "error_codes": dict(top(s.error_codes)),
    } for s in summary.domains]  # fmt: skip
