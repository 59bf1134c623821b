"""``--help`` and click's own messages in the user's language (gettext domain mailtls-cli).

The msgids are the texts as written in the commands: each command's help (cleaned as
click shows it, up to a form feed), short help and epilog, and each option's help.
``tools/i18n.py`` extracts them by walking the command tree (``help_texts``), the way
xgettext would, so nobody keeps a list by hand and ``tools/i18n.py --check`` fails when a
new help text has no translation. click's own words ("Usage:", "Options",
"Show this message and exit.", its error messages) are looked up in the same domain:
``install`` points the ``_``/``ngettext`` names of click's modules at this domain's
translation (and back to the standard ones for English), so nothing leaks into the
environment, child processes or the next in-process run.

Translation happens while help is formatted: the texts of the command being shown (and
of the subcommands it lists) are swapped for their translations, then restored.
"""

from __future__ import annotations

import contextlib
import gettext
import importlib
import inspect
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache

import click
import click._compat
import click._textwrap
import click.formatting
from click._compat import strip_ansi

from ..catalog import LOCALE_DIR

DOMAIN = "mailtls-cli"
#: click's modules that look up their words through ``_`` / ``ngettext``
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types")
#: our own msgid for the colon click puts after a heading ("Options:"): "{heading}："
HEADING = "{heading}:"
_original_format_help = click.Command.format_help
_original_write_heading = click.HelpFormatter.write_heading
_original_term_len = click._compat.term_len  # the one click.formatting and _textwrap import
_original_wrapper = click._textwrap.TextWrapper


def clean(text: str) -> str:
    """A help text as click shows it (and as it is a msgid)."""
    return inspect.cleandoc(text).partition("\f")[0]


@cache
def _translation(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def translate(text: str, lang: str) -> str:
    return _translation(lang).gettext(clean(text)) if text else text


def short_help(text: str) -> str | None:
    """The first sentence of a (translated) help text, for a group's command list.

    click cuts its own short help at an English full stop followed by a space, which a
    Chinese text never has (and then shortens it to "..." at the first space it finds).
    None for a text without a Chinese sentence end (。？！): click's own way then.
    """
    para = " ".join(clean(text).partition("\n\n")[0].split())
    ends = [i for i in (para.find(mark) for mark in "。？！") if i >= 0]
    return para[: min(ends) + 1] if ends else None


def _texts(cmd: click.Command) -> Iterator[tuple[object, str]]:
    """(object, attribute) pairs of the translatable texts of a command."""
    for attr in ("help", "short_help", "epilog"):
        if getattr(cmd, attr, None):
            yield cmd, attr
    for param in cmd.params:
        if isinstance(param, click.Option) and param.help:
            yield param, "help"


def _listed(group: click.Group, ctx: click.Context) -> Iterator[click.Command]:
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if sub is not None:
            yield sub


@contextlib.contextmanager
def _translated(cmd: click.Command, ctx: click.Context, lang: str) -> Iterator[None]:
    targets = list(_texts(cmd))
    help_option = cmd.get_help_option(ctx)  # made by click, not in cmd.params
    if help_option is not None and help_option.help:
        targets.append((help_option, "help"))
    new: list[tuple[object, str, str | None]] = [
        (obj, attr, translate(getattr(obj, attr), lang)) for obj, attr in targets
    ]
    if isinstance(cmd, click.Group):  # the command list shows each one's short help
        for sub in _listed(cmd, ctx):
            if sub.short_help:
                new.append((sub, "short_help", translate(sub.short_help, lang)))
            elif sub.help:
                new.append((sub, "short_help", short_help(translate(sub.help, lang))))
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in new]
    try:
        for obj, attr, text in new:
            setattr(obj, attr, text)
        yield
    finally:
        for obj, attr, text in saved:
            setattr(obj, attr, text)


_WIDE = "\u2e80-\u9fff\uf900-\ufaff"
_OPEN = "（“‘《「【"
_CLOSE = "，。、；：！？）”’》」】"
#: a line may break before a Chinese character or a run of other text, never before closing
#: punctuation nor after opening punctuation (the usual rules for Chinese line breaking)
_TOKEN = re.compile(
    rf"[{_OPEN}]*(?:[{_WIDE}]|[^{_WIDE}{_OPEN}{_CLOSE}]+|[{_CLOSE}])[{_CLOSE}]*|[{_OPEN}]+"
)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: a Chinese character (or full-width sign) two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in strip_ansi(text))


class WideTextWrapper(_original_wrapper):
    """click's wrapper, breaking lines between Chinese characters (which have no spaces)."""

    def _split(self, text: str) -> list[str]:
        return [t for chunk in super()._split(text) for t in _TOKEN.findall(chunk) or [chunk]]


def _wide_layout(on: bool) -> None:
    """Measure and wrap help text in terminal columns (on) or as click does (off)."""
    term_len = display_width if on else _original_term_len
    _patch(click._textwrap, "term_len", term_len)
    _patch(click.formatting, "term_len", term_len)
    _patch(click._textwrap, "TextWrapper", WideTextWrapper if on else _original_wrapper)


def _patch(module: object, name: str, value: object) -> None:
    setattr(module, name, value)


#: option help texts click makes once and keeps (--help, --version): they stay msgids, and
#: are translated while help is formatted, like every other option's
KEPT_BY_CLICK = frozenset({"Show this message and exit.", "Show the version and exit."})


def _bind_click(gettext_: Callable[[str], str], ngettext: Callable[[str, str, int], str]) -> None:
    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            _patch(module, "_", gettext_)
        if hasattr(module, "ngettext"):
            _patch(module, "ngettext", ngettext)


def install(lang: str) -> None:
    """Make ``--help`` and click's messages speak ``lang`` in this process (en: click's own)."""
    if lang == "en":
        _bind_click(gettext.gettext, gettext.ngettext)
        click.Command.format_help = _original_format_help  # type: ignore[method-assign]
        click.HelpFormatter.write_heading = _original_write_heading  # type: ignore[method-assign]
        _wide_layout(False)
        return
    t = _translation(lang)
    _bind_click(lambda m: m if m in KEPT_BY_CLICK else t.gettext(m), t.ngettext)

    def format_help(
        self: click.Command, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        with _translated(self, ctx, lang):
            _original_format_help(self, ctx, formatter)

    def write_heading(self: click.HelpFormatter, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{t.gettext(HEADING).format(heading=heading)}\n")

    click.Command.format_help = format_help  # type: ignore[method-assign]
    click.HelpFormatter.write_heading = write_heading  # type: ignore[method-assign]
    _wide_layout(True)


def help_texts(group: click.Group) -> list[str]:
    """Every help text of ``group`` and its commands, as msgids (for tools/i18n.py).

    A group may give its commands an epilog they do not set themselves
    (``command_epilog``, as ContractGroup does with the exit statuses): it is one too.
    """
    out: list[str] = []
    ctx = click.Context(group, info_name="mailtls")

    def walk(cmd: click.Command) -> None:
        out.extend(clean(getattr(obj, attr)) for obj, attr in _texts(cmd))
        if isinstance(cmd, click.Group):
            out.append(getattr(cmd, "command_epilog", ""))
            for sub in _listed(cmd, ctx):
                walk(sub)

    walk(group)
    return list(dict.fromkeys(t for t in out if t))
