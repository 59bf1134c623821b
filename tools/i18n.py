"""Keep the gettext catalogues in step with the finding catalogue.

    python tools/i18n.py          update every part's zh_CN .po (new strings empty), compile .mo
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

from mailtls.catalog import LOCALE_DIR, PARTS, Part  # noqa: E402

LANGS = ("zh_CN",)
HELP_DOMAIN = "mailtls-cli"


def msgids(part: Part) -> list[str]:
    ids: list[str] = []
    for e in part.entries:
        ids += [s for s in (e.title, e.detail, e.remediation) if s]
    ids += part.ui_strings
    if part.domain == HELP_DOMAIN:  # --help: extracted from the command tree, as xgettext would
        ids += cli_help_texts()
    return list(dict.fromkeys(ids))


def cli_help_texts() -> list[str]:
    from mailtls.cli.help_i18n import help_texts
    from mailtls.cli.main import cli

    return help_texts(cli)


def po_path(lang: str, part: Part) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{part.domain}.po"


def load(lang: str, part: Part) -> Catalog:
    path = po_path(lang, part)
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale=lang)
    return Catalog(locale=lang, project="mailtls", domain=part.domain)


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def update() -> None:
    for part in PARTS:
        for lang in LANGS:
            update_one(lang, part)


def update_one(lang: str, part: Part) -> None:
    old = load(lang, part)
    new = Catalog(
        locale=lang,
        project="mailtls",
        domain=part.domain,
        creation_date=old.creation_date,  # keep the header still: no churn without change
        revision_date=old.revision_date,
    )
    for mid in msgids(part):
        msg = old.get(mid)
        new.add(mid, msg.string if msg is not None else "")
    for pair in part.plural_pairs:
        msg = old.get(pair[0])
        forms = msg.string if msg is not None and isinstance(msg.string, tuple) else ()
        new.add(pair, tuple(forms) or ("",) * new.num_plurals)
    path = po_path(lang, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, new, width=100, omit_header=False)
    if not path.exists() or path.read_bytes() != buf.getvalue():
        path.write_bytes(buf.getvalue())
    mo = mo_bytes(new)
    if not path.with_suffix(".mo").exists() or path.with_suffix(".mo").read_bytes() != mo:
        path.with_suffix(".mo").write_bytes(mo)


def check() -> int:
    problems = []
    for part in PARTS:
        for lang in LANGS:
            problems += check_one(lang, part)
    for p in problems:
        print(p)
    return 1 if problems else 0


def check_one(lang: str, part: Part) -> list[str]:
    problems = []
    cat = load(lang, part)
    for mid in msgids(part):
        msg = cat.get(mid)
        if msg is None or not msg.string:
            problems.append(f"{lang}/{part.domain}: no translation for {mid[:70]!r}")
    for singular, _plural in part.plural_pairs:
        msg = cat.get(singular)
        forms = msg.string if msg is not None else ()
        if not isinstance(forms, tuple) or len(forms) != cat.num_plurals or not all(forms):
            problems.append(f"{lang}/{part.domain}: no plural forms for {singular[:70]!r}")
    mo = po_path(lang, part).with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != mo_bytes(cat):
        problems.append(f"{lang}: {mo} is stale; run python tools/i18n.py")
    return problems


if __name__ == "__main__":
    sys.exit(check() if "--check" in sys.argv else update())
