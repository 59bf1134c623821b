"""The one-page guide for end users (``mailtls explain --user-guide``), as text or HTML.

Written from the catalogue: its sentences live in ``catalog/parts/report.py``; the causes
listed are the catalogue's titles of the findings a mail program shows as a warning
(``USER_FACING``); the danger and the rule are the trust family's sentences, the same that
``mailtls explain cert.untrusted`` prints. Fix a sentence there and the guide, the report
and ``explain`` change together.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..catalog import describe, entry, tr
from ..catalog.parts import report as words
from ..model import Finding
from .markup import el, join
from .page import page


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


def sections(lang: str, contact: str | None = None) -> list[Section]:
    """The guide in ``lang``; ``contact`` is whom to call (inserted as given)."""
    who = contact or tr(words.GUIDE_CONTACT, lang)
    causes = tuple(describe(Finding(i, entry(i).severity), lang).title
                   for i in words.USER_FACING)
    return [
        Section(tr(words.GUIDE_TITLE, lang), (tr(words.GUIDE_INTRO, lang),)),
        Section(tr(words.GUIDE_LOOKS, lang),
                items=tuple(tr(c, lang) for c in words.GUIDE_CLIENTS)),
        Section(tr(words.GUIDE_FOUND, lang), items=causes),
        Section(tr(words.GUIDE_WHY, lang), (tr(words.GUIDE_WHY_TEXT, lang),
                                             tr(words.TRUST.attacker, lang),
                                             tr(words.TRUST.never, lang))),
        Section(tr(words.GUIDE_DO, lang), items=tuple(tr(s, lang) for s in words.GUIDE_STEPS)),
        Section(tr(words.GUIDE_CALL, lang),
                (tr(words.GUIDE_CALL_TEXT, lang).format(contact=who),)),
    ]


def _wrap(text: str, lang: str, first: str) -> str:
    if lang != "en":
        return first + text
    return textwrap.fill(text, 78, initial_indent=first, subsequent_indent=" " * len(first))


def render_guide_text(lang: str, contact: str | None = None) -> str:
    out: list[str] = []
    for i, s in enumerate(sections(lang, contact)):
        out += [s.heading, ("=" if i == 0 else "-") * 8]
        out += [*(_wrap(p, lang, "") for p in s.paragraphs),
                *(_wrap(item, lang, "  - ") for item in s.items), ""]
    return "\n".join([*out, tr(words.GUIDE_FOOTER, lang)]) + "\n"


def render_guide_html(lang: str, contact: str | None = None) -> str:
    parts = []
    for i, s in enumerate(sections(lang, contact)):
        parts += [el("h1" if i == 0 else "h2", s.heading),
                  [el("p", p) for p in s.paragraphs],
                  el("ul", [el("li", item) for item in s.items]) if s.items else None]
    body = el("main", join(parts), el("p", tr(words.GUIDE_FOOTER, lang), class_="meta"),
              class_="guide")
    return page(tr(words.GUIDE_TITLE, lang), body, lang)
