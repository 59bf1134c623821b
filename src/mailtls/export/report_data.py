"""What ``mailtls report`` shows, as plain data, from a scan or monitor JSON document.

The page (``export/html.py``) never reads JSON: it reads a :class:`Report`. A document
from any source (a file a user hands us, possibly hostile) goes through :func:`from_document`,
which checks every field it uses and names the first one that is wrong
(:class:`ReportInputError`, "results[3].port: expected an integer"). Findings keep their
id, severity and params, so the page fills the catalogue's sentences in the reader's
language; an id this mailtls does not know keeps the sentences the document carried.
The monitor's history is read in ``export/report_history.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Finding, Severity


class ReportInputError(ValueError):
    """A document that is not a scan or monitor result; the message names the field."""


@dataclass(frozen=True)
class Cert:
    subject: str
    issuer: str
    not_after: dt.datetime | None
    sha256: str | None = None


@dataclass(frozen=True)
class Shown:
    """A finding and, for an id the catalogue does not know, the sentences it came with."""

    finding: Finding
    title: str = ""
    detail: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One endpoint on one address, as last seen."""

    target: str
    scheme: str
    host: str
    port: int
    address: str | None
    tested: bool
    verified: bool
    tls_version: str | None = None
    cipher: str | None = None
    cert: Cert | None = None
    grade: str | None = None
    findings: tuple[Shown, ...] = ()
    seen: dt.datetime | None = None

    @property
    def worst(self) -> Severity:
        return max((s.finding.severity for s in self.findings), default=Severity.INFO)


@dataclass(frozen=True)
class Change:
    """Something that changed in the period: a catalogue finding, or a UI msgid ``kind``."""

    at: dt.datetime | None
    endpoint: str
    kind: str
    finding: Finding | None = None
    note: str = ""


@dataclass(frozen=True)
class Report:
    source: str
    generated: dt.datetime
    as_of: dt.datetime
    rows: tuple[Row, ...]
    since: dt.datetime | None = None
    changes: tuple[Change, ...] | None = None  # None: a single scan, no history to compare
    notes: tuple[Shown, ...] = ()
    errors: tuple[str, ...] = ()
    passes: int = 0
    observations: int = 0
    baselines: tuple[Change, ...] = field(default=())


# --- a defensive reader ---------------------------------------------------------------


def _get(d: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...],
         default: Any = ..., nullable: bool = False) -> Any:
    if key not in d:
        if default is ...:
            raise ReportInputError(f"{where}: {key!r} is missing")
        return default
    value = d[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ReportInputError(f"{where}.{key}: expected {_article(names)}, got {_jtype(value)}")
    return value


def _article(names: str) -> str:
    words = {"str": "a string", "int": "an integer", "bool": "true or false", "dict": "an object",
             "list": "an array", "float": "a number"}
    return " or ".join(words.get(n, n) for n in names.split(" or "))


def _jtype(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "true or false",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), "a value")


def parse_time(text: str, where: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReportInputError(f"{where}: {text!r} is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _severity(text: str, where: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError:
        raise ReportInputError(f"{where}.severity: unknown severity {text!r}") from None


def finding_of(d: Any, where: str) -> Shown:
    if not isinstance(d, dict):
        raise ReportInputError(f"{where}: expected an object, got {_jtype(d)}")
    fid = _get(d, "id", where, str)
    params = _get(d, "params", where, dict, {})
    clean = {str(k): v for k, v in params.items() if isinstance(v, str)}
    refs = _get(d, "references", where, list, [])
    finding = Finding(fid, _severity(_get(d, "severity", where, str), where), clean,
                      bool(_get(d, "primary", where, bool, False)))
    return Shown(finding, _get(d, "title", where, str, fid), _get(d, "detail", where, str, ""),
                 _get(d, "remediation", where, str, ""),
                 tuple(r for r in refs if isinstance(r, str)))


def _cert(d: Any, where: str) -> Cert | None:
    if d is None:
        return None
    if not isinstance(d, dict):
        raise ReportInputError(f"{where}: expected an object or null, got {_jtype(d)}")
    not_after = _get(d, "not_after", where, str, None, nullable=True)
    return Cert(_get(d, "subject", where, str, ""), _get(d, "issuer", where, str, ""),
                parse_time(not_after, f"{where}.not_after") if not_after else None,
                _get(d, "sha256", where, str, None, nullable=True))


def _row(d: Any, where: str, seen: dt.datetime) -> Row:
    if not isinstance(d, dict):
        raise ReportInputError(f"{where}: expected an object, got {_jtype(d)}")
    tls = _get(d, "tls", where, dict, {})
    grade = _get(d, "grade", where, dict, None, nullable=True)
    findings = tuple(finding_of(f, f"{where}.findings[{i}]")
                     for i, f in enumerate(_get(d, "findings", where, list, [])))
    return Row(
        target=_get(d, "target", where, str),
        scheme=_get(d, "scheme", where, str),
        host=_get(d, "host", where, str),
        port=_get(d, "port", where, int),
        address=_get(d, "address", where, str, None, nullable=True),
        tested=_get(d, "tested", where, bool, True),
        verified=any(s.finding.id == "cert.verified" for s in findings),
        tls_version=_get(tls, "version", f"{where}.tls", str, None, nullable=True),
        cipher=_get(tls, "cipher", f"{where}.tls", str, None, nullable=True),
        cert=_cert(d.get("certificate"), f"{where}.certificate"),
        grade=_get(grade, "letter", f"{where}.grade", str) if grade else None,
        findings=findings,
        seen=seen,
    )


def _alerts(doc: Mapping[str, Any], at: dt.datetime) -> tuple[Change, ...]:
    monitor = _get(doc, "monitor", "document", dict)
    out = []
    for i, a in enumerate(_get(monitor, "alerts", "monitor", list, [])):
        where = f"monitor.alerts[{i}]"
        shown = finding_of(a, where)
        endpoint = _get(a, "endpoint", where, str)
        out.append(Change(at, endpoint, shown.finding.id, shown.finding))
    return tuple(out)


def from_document(doc: Any, source: str) -> Report:
    """A scan document (``mailtls scan --json``) or a monitor pass (``monitor run --json``)."""
    if not isinstance(doc, dict):
        raise ReportInputError(f"expected a JSON object, got {_jtype(doc)}")
    schema = _get(doc, "schema", "document", int)
    if schema != 1:
        raise ReportInputError(f"schema {schema} is not one this mailtls reads (1)")
    generated = parse_time(_get(doc, "generated", "document", str), "generated")
    as_of_text = _get(doc, "as_of", "document", str, None)
    as_of = parse_time(as_of_text, "as_of") if as_of_text else generated
    rows = tuple(_row(r, f"results[{i}]", as_of)
                 for i, r in enumerate(_get(doc, "results", "document", list)))
    notes = tuple(finding_of(f, f"notes[{i}]")
                  for i, f in enumerate(_get(doc, "notes", "document", list, [])))
    errors = tuple(e for e in _get(doc, "errors", "document", list, []) if isinstance(e, str))
    changes = _alerts(doc, as_of) if "monitor" in doc else None
    return Report(source, generated, as_of, rows, changes=changes, notes=notes, errors=errors,
                  passes=1 if changes is not None else 0, observations=len(rows))


def sorted_rows(rows: Sequence[Row]) -> list[Row]:
    """Gravest first, then by target and address."""
    return sorted(rows, key=lambda r: (-r.worst, r.target, r.address or ""))
