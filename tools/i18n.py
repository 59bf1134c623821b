"""Keep the gettext catalogues in step with the finding catalogue.

    python tools/i18n.py          update locale/mailtls.pot and zh_CN .po, compile .mo
    python tools/i18n.py --check  exit 1 if a string lacks a translation or a .mo is stale

Needs babel (a dev dependency); the installed package reads the .mo with gettext.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mailtls.catalog import LOCALE_DIR  # noqa: E402
from mailtls.catalog.entries import ENTRIES, UI_STRINGS  # noqa: E402

LANGS = ("zh_CN",)


def msgids() -> list[str]:
    ids: list[str] = []
    for e in ENTRIES.values():
        ids += [s for s in (e.title, e.detail, e.remediation) if s]
    ids += UI_STRINGS
    return list(dict.fromkeys(ids))


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "mailtls.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale=lang)
    return Catalog(locale=lang, project="mailtls", domain="mailtls")


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def update() -> None:
    wanted = msgids()
    for lang in LANGS:
        old = load(lang)
        new = Catalog(locale=lang, project="mailtls", domain="mailtls")
        for mid in wanted:
            msg = old.get(mid)
            new.add(mid, msg.string if msg is not None else "")
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, new, width=100, omit_header=False)
        path.with_suffix(".mo").write_bytes(mo_bytes(new))


def check() -> int:
    problems = []
    wanted = msgids()
    for lang in LANGS:
        cat = load(lang)
        for mid in wanted:
            msg = cat.get(mid)
            if msg is None or not msg.string:
                problems.append(f"{lang}: no translation for {mid[:70]!r}")
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != mo_bytes(cat):
            problems.append(f"{lang}: {mo} is stale; run python tools/i18n.py")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(check() if "--check" in sys.argv else update())
