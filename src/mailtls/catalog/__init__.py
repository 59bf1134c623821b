"""The one finding catalogue: id -> severity, title, detail, remediation, references.

Every human sentence mailtls prints comes from here, through gettext, in English
(the msgids themselves) or Simplified Chinese (``locale/zh_CN``). The same id means
the same thing in every command: scan, audit, client exception, monitor alert.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from ..model import Finding, Location, Severity
from .entry import Entry, Part
from .parts import PARTS

__all__ = [
    "ENTRIES",
    "LANGUAGES",
    "PARTS",
    "Entry",
    "Part",
    "Text",
    "describe",
    "entry",
    "new_finding",
    "ntr",
    "pick_language",
    "tr",
]

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh_CN")


def _merge(parts: tuple[Part, ...]) -> Mapping[str, Entry]:
    merged: dict[str, Entry] = {}
    for part in parts:
        for e in part.entries:
            if e.id in merged:
                raise RuntimeError(f"finding id {e.id!r} is defined twice in the catalogue")
            merged[e.id] = e
    return MappingProxyType(merged)


ENTRIES = _merge(PARTS)
TRANSLATED_PARAMS = frozenset().union(*(p.translated_params for p in PARTS))


def _counted(parts: tuple[Part, ...]) -> Mapping[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for part in parts:
        for name, one, many in part.counted:
            if merged.setdefault(name, (one, many)) != (one, many):
                raise RuntimeError(f"counted param {name!r} has two different units")
    return MappingProxyType(merged)


COUNTED_PARAMS = _counted(PARTS)


@dataclass(frozen=True)
class Text:
    """A finding's sentences in one language."""

    title: str
    detail: str
    remediation: str
    references: tuple[str, ...]


def pick_language(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``--lang`` if given, else the first of LANGUAGE, LC_ALL, LC_MESSAGES, LANG; else English."""
    if explicit:
        return _normalize(explicit)
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return _normalize(value.split(":")[0])
    return "en"


def _normalize(code: str) -> str:
    base = code.split(".")[0].split("@")[0].replace("-", "_")
    if base.lower().startswith("zh"):
        return "zh_CN"
    return "en"


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    chain = gettext.NullTranslations()
    if lang == "en":
        return chain
    for part in reversed(PARTS):
        t = gettext.translation(part.domain, LOCALE_DIR, languages=[lang], fallback=True)
        t.add_fallback(chain)
        chain = t
    return chain


def tr(message: str, lang: str = "en") -> str:
    """Translate one catalogue sentence (a msgid) into ``lang``."""
    return _translations(lang).gettext(message)


def ntr(singular: str, plural: str, count: int, lang: str = "en") -> str:
    """The form of a plural catalogue sentence for ``count``, with ``{count}`` filled in.

    The pair must be listed in a part's ``plurals``; the template may use only ``{count}``.
    """
    return _translations(lang).ngettext(singular, plural, count).format(count=count)


def entry(finding_id: str) -> Entry:
    try:
        return ENTRIES[finding_id]
    except KeyError:
        raise KeyError(f"finding id {finding_id!r} is not in the catalogue") from None


#: what a template shows for a param its producer did not set (a finding made elsewhere)
PARAM_DEFAULTS = {"role": "certificate"}


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _param(name: str, value: str, lang: str) -> str:
    if name in TRANSLATED_PARAMS:
        return " + ".join(tr(item, lang) for item in value.split(" + "))  # stores, combined
    unit = COUNTED_PARAMS.get(name)
    if unit is not None and value.lstrip("-").isdigit():
        return ntr(*unit, int(value), lang)
    return value


def describe(finding: Finding, lang: str = "en") -> Text:
    """Title, detail and remediation of a finding, filled with its params."""
    e = entry(finding.id)
    given = {**PARAM_DEFAULTS, **finding.params}
    params = _Params({k: _param(k, v, lang) for k, v in given.items()})
    return Text(
        title=tr(e.title, lang).format_map(params),
        detail=tr(e.detail, lang).format_map(params) if e.detail else "",
        remediation=tr(e.remediation, lang).format_map(params),
        references=e.references,
    )


def new_finding(
    finding_id: str,
    primary: bool = False,
    *,
    location: Location | None = None,
    fix: str | None = None,
    severity: Severity | None = None,
    **params: str,
) -> Finding:
    """A finding for ``finding_id``, of the catalogue's severity unless ``severity`` is given.

    ``params`` fill the catalogue's templates (so no template may use the names
    primary, location, fix or severity).
    """
    sev = severity if severity is not None else entry(finding_id).severity
    return Finding(finding_id, sev, params, primary, location, fix)


def severity_of(finding_id: str) -> Severity:
    return entry(finding_id).severity
