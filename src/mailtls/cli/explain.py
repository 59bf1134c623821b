"""``mailtls explain``: the long form of a finding, or the end users' guide.

Only argument parsing and output here; the words are the catalogue's
(``mailtls.catalog.longform``, ``mailtls.export.guide``).
"""

from __future__ import annotations

import sys
import textwrap

import click

from ..catalog import ENTRIES, pick_language, tr
from .exits import EXIT_USAGE

WIDTH = 78


class UnknownFinding(click.ClickException):
    """An id the catalogue does not have: exit 64, with the close matches."""

    exit_code = EXIT_USAGE

    def show(self, file: object = None) -> None:
        click.echo(f"mailtls: {self.format_message()}", err=True)


def _para(text: str, lang: str, indent: str = "  ") -> str:
    if lang != "en":  # no spaces to break at; the terminal wraps Chinese well enough
        return indent + text
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_long_form(finding_id: str, lang: str) -> str:
    from ..catalog.longform import long_form

    lf = long_form(finding_id, lang)
    severity = tr(lf.severity.label, lang)
    family = tr("Family: {family}", lang).format(family=lf.family)
    head = tr("{label}: {value}", lang).format(label=tr("Severity", lang), value=severity)
    out = [f"{lf.id}: {lf.title}", f"  {head}{tr(', ', lang)}{family}", ""]
    for heading, text in (("What it means", lf.meaning or lf.title),
                          ("What an attacker gains", lf.attacker),
                          ("What to do", lf.remedy),
                          ("What never to do", lf.never)):
        out += [tr(heading, lang), _para(text, lang), ""]
    if lf.references:
        out += [tr("References", lang), *(f"  {r}" for r in lf.references), ""]
    return "\n".join(out)


def _unknown(text: str, lang: str) -> UnknownFinding:
    from ..catalog.longform import close_matches

    near = close_matches(text)
    hint = (tr("Close matches: {ids}", lang).format(ids=", ".join(near)) if near
            else tr("No close match; mailtls explain --list lists every finding.", lang))
    return UnknownFinding(tr("{id} is not a finding of the catalogue.", lang).format(id=text)
                          + " " + hint)


@click.command("explain")
@click.argument("finding_ids", nargs=-1, metavar="[ID]...")
@click.option("--list", "list_all", is_flag=True, help="List every finding id with its title.")
@click.option("--user-guide", is_flag=True,
              help="The one-page guide for end users about certificate warnings.")
@click.option("--html", "as_html", is_flag=True, help="With --user-guide: an HTML page.")
@click.option("--contact", metavar="TEXT",
              help="With --user-guide: whom users call (default: their IT helpdesk).")
@click.option("--lang", metavar="LANG", help="Language: en or zh_CN.")
def explain_command(finding_ids: tuple[str, ...], list_all: bool, user_guide: bool,
                    as_html: bool, contact: str | None, lang: str | None) -> None:
    """What a finding means, what an attacker gains, what to do and never to do."""
    language = pick_language(lang)
    if user_guide:
        from ..export.guide import render_guide_html, render_guide_text

        render = render_guide_html if as_html else render_guide_text
        click.echo(render(language, contact), nl=False)
        return
    if as_html or contact:
        raise click.UsageError("--html and --contact go with --user-guide")
    if list_all:
        from ..catalog import describe
        from ..model import Finding

        for fid, e in sorted(ENTRIES.items()):
            click.echo(f"{fid}\t{describe(Finding(fid, e.severity), language).title}")
        return
    if not finding_ids:
        raise click.UsageError("give a finding ID (mailtls explain --list lists them), "
                               "or --user-guide")
    for fid in finding_ids:
        if fid.strip().lower() not in ENTRIES:
            raise _unknown(fid, language)
    texts = [render_long_form(fid.strip().lower(), language) for fid in finding_ids]
    sys.stdout.write("\n".join(texts))
