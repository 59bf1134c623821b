"""The ``mailtls lint --json`` document, schema 1 (``mailtls/schemas/lint-1.json``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .. import __version__
from ..catalog import describe, entry
from ..model import Finding
from .engine import Report, Tag


def _note_tags(report: Report) -> list[Tag]:
    tags = report.note_tags
    return tags if len(tags) == len(report.notes) else [Tag("production", None)] * len(
        report.notes)

LINT_SCHEMA = 1


def finding_dict(f: Finding, lang: str = "en", tag: Tag | None = None) -> dict[str, Any]:
    """One finding or note; ``tag``: its context and scope (mailtls.lint.context)."""
    text = describe(f, lang)
    loc = f.location
    return {
        "id": f.id,
        "severity": f.severity.label,
        "cwe": entry(f.id).cwe,
        "title": text.title,
        "detail": text.detail,
        "remediation": text.remediation,
        "references": list(text.references),
        "fix": f.fix,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "snippet": loc.snippet if loc else None,
        "params": dict(f.params),
        "context": tag.context if tag else "production",
        "scope": tag.scope if tag else None,
    }


def render_lint(report: Report, lang: str = "en") -> str:
    doc = {
        "schema": LINT_SCHEMA,
        "tool": {"name": "mailtls", "version": __version__},
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files_scanned": report.files_scanned,
        "files_skipped": report.files_skipped,
        "worst": report.worst.label if report.worst is not None else None,
        "findings": [finding_dict(f, lang, report.tag(i)) for i, f in enumerate(report.findings)],
        "notes": [finding_dict(f, lang, t) for f, t in zip(report.notes, _note_tags(report),
                                                          strict=True)],
        "excluded": report.excluded,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
