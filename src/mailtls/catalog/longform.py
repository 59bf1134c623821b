"""The long form of a finding (``mailtls explain ID``), from the one catalogue.

An entry gives what it means (title, detail), what to do (remediation) and references;
its family (``parts/report.py``) gives what an attacker gains and what never to do.
Nothing here is a sentence of its own: a sentence is fixed once, in its entry or family.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from fnmatch import fnmatchcase

from ..model import Finding, Severity
from . import ENTRIES, PARAM_DEFAULTS, Text, describe, entry, tr
from .parts.report import FALLBACK, FAMILIES, INFORMATION, Family

CWE_URL = "https://cwe.mitre.org/data/definitions/{cwe}.html"


@dataclass(frozen=True)
class LongForm:
    id: str
    severity: Severity
    family: str
    title: str
    meaning: str
    attacker: str
    remedy: str
    never: str
    references: tuple[str, ...]


def family_of(finding_id: str) -> Family:
    """The first family whose pattern matches; info entries are information; else the
    fallback of the entry's severity."""
    e = entry(finding_id)
    if e.severity is Severity.INFO:
        return INFORMATION
    for family in FAMILIES:
        if any(fnmatchcase(finding_id, p) for p in family.patterns):
            return family
    name = FALLBACK.get(e.severity.label, "operations")
    return next(f for f in FAMILIES if f.name == name)


def _placeholders(*templates: str) -> dict[str, str]:
    """Each template field shown as ‹name›: the long form explains the id, not one case."""
    names = {f for t in templates for _, f, _, _ in string.Formatter().parse(t) if f}
    return {n: f"‹{n}›" for n in names if n not in PARAM_DEFAULTS}


def long_form(finding_id: str, lang: str = "en") -> LongForm:
    """KeyError for an id the catalogue does not have (see :func:`close_matches`)."""
    e = entry(finding_id)
    family = family_of(finding_id)
    try:
        text = describe(Finding(e.id, e.severity, _placeholders(e.detail, e.remediation)), lang)
    except (ValueError, IndexError):  # a template with a format spec: show it as written
        text = Text(tr(e.title, lang), tr(e.detail, lang), tr(e.remediation, lang),
                    e.references)
    refs = e.references + ((CWE_URL.format(cwe=e.cwe),) if e.cwe else ())
    return LongForm(e.id, e.severity, family.name, text.title, text.detail,
                    tr(family.attacker, lang), text.remediation, tr(family.never, lang), refs)


def close_matches(text: str, limit: int = 5) -> list[str]:
    """Ids that look like ``text``: contain it, or are spelled nearly alike."""
    needle = text.strip().lower()
    ids = sorted(ENTRIES)
    inside = [i for i in ids if needle and needle in i]
    near = difflib.get_close_matches(needle, ids, n=limit, cutoff=0.6)
    tail = [i for i in ids if needle and i.rsplit(".", 1)[-1] == needle.rsplit(".", 1)[-1]]
    return list(dict.fromkeys([*near, *inside, *tail]))[:limit]
