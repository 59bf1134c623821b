"""The shape of catalogue entries, and of a catalogue part (one gettext domain each)."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Severity


@dataclass(frozen=True)
class Entry:
    """One finding id: its default severity and sentences (English msgids)."""

    id: str
    severity: Severity
    title: str
    detail: str
    remediation: str
    references: tuple[str, ...] = ()
    cwe: int | None = None


@dataclass(frozen=True)
class Part:
    """The entries of one area (scan, deep, audit, lint, client), in their own gettext domain.

    Parts keep areas apart: each has its own .po file under locale/LANG/LC_MESSAGES/.
    """

    domain: str
    entries: tuple[Entry, ...]
    ui_strings: tuple[str, ...] = ()
    translated_params: frozenset[str] = frozenset()
