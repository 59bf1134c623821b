"""Exceptions that expire: ``mailtls: allow RULE-ID until YYYY-MM-DD -- reason``.

The comment silences findings of RULE-ID on its own line or on the line below it (a
comment above the statement). Until the date, the finding is gone; after it, the finding
comes back as ``lint.expired_exception`` (with the original severity). A comment that
lacks the rule id, the date or the reason silences nothing and is ``lint.bad_exception``.
The comment syntax of the language does not matter: ``#``, ``//``, ``/* */``, ``--``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .base import Hit

MARK = re.compile(r"mailtls:\s*allow\b(?P<rest>.*)$", re.IGNORECASE)
FULL = re.compile(
    r"^\s+(?P<rule>[a-z0-9_]+(?:\.[a-z0-9_]+)+)\s+until\s+(?P<until>\d{4}-\d{2}-\d{2})"
    r"\s+--\s*(?P<reason>\S.*?)\s*(?:\*/|-->)?\s*$"
)


@dataclass(frozen=True)
class Allow:
    line: int
    rule: str
    until: dt.date
    reason: str


def parse_allows(text: str) -> tuple[list[Allow], list[Hit]]:
    """The well-formed exceptions, and a ``lint.bad_exception`` hit for each malformed one."""
    allows: list[Allow] = []
    bad: list[Hit] = []
    if "mailtls:" not in text:
        return allows, bad
    for number, line in enumerate(text.splitlines(), 1):
        mark = MARK.search(line)
        if mark is None:
            continue
        full = FULL.match(mark.group("rest"))
        until = _date(full.group("until")) if full else None
        if full is None or until is None:
            snippet = line[mark.start() :].strip()[:120]
            params = {"text": snippet}
            bad.append(Hit("lint.bad_exception", number, mark.start() + 1, params=params))
            continue
        allows.append(Allow(number, full.group("rule"), until, full.group("reason")))
    return allows, bad


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def apply(hits: list[Hit], allows: list[Allow], today: dt.date) -> list[Hit]:
    """Hits with the exceptions applied: dropped while valid, renamed once expired."""
    if not allows:
        return hits
    by_line: dict[tuple[int, str], Allow] = {}
    for a in allows:
        by_line.setdefault((a.line, a.rule), a)
        by_line.setdefault((a.line + 1, a.rule), a)
    out: list[Hit] = []
    for h in hits:
        allow = by_line.get((h.line, h.rule))
        if allow is None:
            out.append(h)
        elif allow.until < today:
            params = {"rule": h.rule, "until": allow.until.isoformat(), "why": allow.reason}
            out.append(Hit("lint.expired_exception", h.line, h.column, params=params | h.params))
    return out
