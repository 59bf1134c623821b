"""The verdict matrix: JSON (schema 1), plain text rows and an HTML page to show users.

Only the model of the results is read here; every sentence comes from the catalogue.
"""

from __future__ import annotations

import html
from typing import Any

from ..catalog import new_finding, tr
from ..catalog.parts.mitm import DEMO, SCENARIO_LABELS
from ..model import Finding
from .verdict import VULNERABLE, Result

SCHEMA = 1


def detail(result: Result, lang: str) -> str:
    parts = []
    for msgid, params in result.facts:
        values = {k: tr(v, lang) if k == "password" else v for k, v in params.items()}
        parts.append(tr(msgid, lang).format(**values))
    return "; ".join(parts)


def label(scenario_id: str, lang: str) -> str:
    return tr(SCENARIO_LABELS[scenario_id], lang)


def findings(results: list[Result], lang: str) -> list[Finding]:
    """A finding for each vulnerable scenario, and for a control that failed."""
    out = []
    for r in results:
        if r.verdict == VULNERABLE or (r.scenario.id == "control" and r.verdict != "safe"):
            out.append(new_finding(r.scenario.finding_id, detail=detail(r, lang)))
    return out


def to_json(results: list[Result], command: list[str], lang: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "command": command,
        "scenarios": [{
            "id": r.scenario.id,
            "finding_id": r.scenario.finding_id,
            "verdict": r.verdict,
            "handshake": r.handshake,
            "credentials_sent": r.credentials_sent,
            "mail_sent": r.mail_sent,
            "detail": detail(r, lang),
            "exit_status": r.exit_status,
            "stderr": r.stderr,
        } for r in results],
    }


def rows(results: list[Result], lang: str) -> list[tuple[str, ...]]:
    yes, no = tr("yes", lang), tr("no", lang)
    return [(label(r.scenario.id, lang), tr(r.verdict, lang), r.handshake,
             yes if r.credentials_sent else no, yes if r.mail_sent else no,
             detail(r, lang) or r.exit_status) for r in results]


def headings(lang: str) -> tuple[str, ...]:
    return tuple(tr(h, lang) for h in ("scenario", "verdict", "handshake", "credentials",
                                       "mail", "detail"))


_CSS = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.4em;vertical-align:top}"
        ".vulnerable{background:#fbb}.safe{background:#bfb}.inconclusive{background:#eee}")


def to_html(results: list[Result], command: list[str], lang: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headings(lang))
    body = []
    for r, row in zip(results, rows(results, lang), strict=True):
        cells = "".join(f"<td>{e(c)}</td>" for c in row)
        body.append(f'<tr class="{e(r.verdict)}">{cells}</tr>')
        careful, careless, clients = (tr(t, lang) for t in DEMO[r.scenario.id])
        body.append(f'<tr><td></td><td colspan="5"><small>{e(careful)} {e(careless)} '
                    f'{e(clients)}</small></td></tr>')
    title = e(tr("mailtls mitm report", lang))
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh_CN" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{title}</title><style>{_CSS}</style></head>'
            f"<body><h1>{title}</h1><p>{e(tr('client command', lang))}: "
            f"<code>{e(' '.join(command))}</code></p><table><tr>{head}</tr>"
            f"{''.join(body)}</table><p>{e(tr(_NOTE, lang))}</p></body></html>\n")


_NOTE = "Captured passwords are never shown; mail is kept in memory only."
