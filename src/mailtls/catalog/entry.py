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
    #: (singular, plural) msgid pairs for :func:`mailtls.catalog.ntr` ("{count} file scanned",
    #: "{count} files scanned"); a translation has as many forms as its language's plural rule.
    plurals: tuple[tuple[str, str], ...] = ()
    #: (param, singular, plural): a param that is a count, shown with its unit in the right
    #: form wherever a template uses it ("days", "{count} day", "{count} days": "in {days}").
    counted: tuple[tuple[str, str, str], ...] = ()

    @property
    def plural_pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (singular, plural) msgid pair of the part, for the gettext catalogues."""
        return self.plurals + tuple((one, many) for _, one, many in self.counted)
