"""SARIF 2.1.0 for findings with a file location (audit-config, lint), ready for code scanning.

One run, one rule per finding id that occurs (metadata from the catalogue: title, help,
CWE tag, ``security-severity``), one result per finding. Paths are made relative to
``base`` when they lie under it (``%SRCROOT%``), else given as absolute file URIs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..catalog import describe, entry, tr
from ..model import Finding, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/mailtls/mailtls"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
#: GitHub code scanning reads this number (0.0-10.0) to rank security results.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "7.5",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def _rule(finding_id: str, lang: str) -> dict[str, Any]:
    e = entry(finding_id)
    tags = ["security"]
    if e.cwe:
        tags.append(f"external/cwe/cwe-{e.cwe}")
    rule: dict[str, Any] = {
        "id": e.id,
        "name": "".join(part.capitalize() for part in e.id.replace(".", "_").split("_")),
        "shortDescription": {"text": tr(e.title, lang)},
        "fullDescription": {"text": tr(e.title, lang)},
        "help": {"text": tr(e.remediation, lang), "markdown": tr(e.remediation, lang)},
        "defaultConfiguration": {"level": LEVEL[e.severity]},
        "properties": {
            "tags": tags,
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[e.severity],
        },
    }
    if e.references:
        rule["helpUri"] = e.references[0]
    return rule


def _uri(file: str, base: Path | None) -> dict[str, str]:
    path = Path(file)
    if base is not None:
        try:
            rel = path.resolve().relative_to(base.resolve())
            return {"uri": rel.as_posix(), "uriBaseId": "%SRCROOT%"}
        except ValueError:
            pass
    return {"uri": path.resolve().as_uri() if path.is_absolute() or path.exists() else file}


def _result(f: Finding, rule_index: int, lang: str, base: Path | None) -> dict[str, Any]:
    text = describe(f, lang)
    message = text.title + (f": {text.detail}" if text.detail else "")
    result: dict[str, Any] = {
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": message},
        "properties": {"severity": f.severity.label},
    }
    if f.fix:
        result["properties"]["fix"] = f.fix
    loc = f.location
    if loc is not None:
        region: dict[str, Any] = {"startLine": max(1, loc.line)}
        if loc.column:
            region["startColumn"] = loc.column
        if loc.end_line:
            region["endLine"] = loc.end_line
        if loc.end_column:
            region["endColumn"] = loc.end_column
        if loc.snippet:
            region["snippet"] = {"text": loc.snippet}
        result["locations"] = [
            {"physicalLocation": {"artifactLocation": _uri(loc.file, base), "region": region}}
        ]
        result["partialFingerprints"] = {
            "mailtls/v1": f"{f.id}:{Path(loc.file).name}:{(loc.snippet or '').strip()}"
        }
    return result


def render_sarif(
    findings: Sequence[Finding],
    lang: str = "en",
    tool_name: str = "mailtls",
    base: Path | None = None,
) -> str:
    """A SARIF 2.1.0 log of ``findings`` (those without a location get no region)."""
    ids = list(dict.fromkeys(f.id for f in findings))
    index = {fid: i for i, fid in enumerate(ids)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": tool_name,
                "version": __version__,
                "informationUri": INFO_URI,
                "rules": [_rule(fid, lang) for fid in ids],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.id], lang, base) for f in findings],
    }
    if base is not None:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": base.resolve().as_uri() + "/"}}
    return json.dumps(
        {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, ensure_ascii=False, indent=2
    )
