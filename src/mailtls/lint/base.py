"""What a scanner returns: hits (rule id and position) and notes about the file itself.

Scanners are pure functions of the text: ``scan(text) -> Scan``. They run in worker
processes, so everything here is plain, picklable data; the parent turns hits into
catalogue findings (:mod:`mailtls.lint.engine`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Hit:
    """One rule matched at a place; lines and columns count from 1."""

    rule: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Scan:
    """The result of scanning one text: hits, and notes (``lint.file_partial`` reasons)."""

    hits: list[Hit] = field(default_factory=list)
    notes: list[tuple[str, str, int]] = field(default_factory=list)  # (id, reason, line)

    def hit(self, rule: str, line: int, column: int = 1, **params: str) -> None:
        self.hits.append(Hit(rule, line, column, params=dict(params)))

    def note(self, finding_id: str, reason: str, line: int = 1) -> None:
        self.notes.append((finding_id, reason, line))

    def extend(self, other: Scan) -> None:
        self.hits += other.hits
        self.notes += other.notes


def strip_quotes(text: str) -> str:
    """``"x"``, ``'x'``, `` `x` `` -> ``x``; other text unchanged (stripped)."""
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'`":
        return t[1:-1]
    return t


FALSE_WORDS = frozenset({"false", "0", "no", "off", "none", "!1"})
TRUE_WORDS = frozenset({"true", "1", "yes", "on", "!0"})


def is_false(text: str) -> bool:
    """A literal that means false/off in config files and code (``false``, ``0``, ``!1``)."""
    return strip_quotes(text).strip().lower() in FALSE_WORDS


def is_true(text: str) -> bool:
    return strip_quotes(text).strip().lower() in TRUE_WORDS
