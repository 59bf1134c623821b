"""Lines of terminal text, for people on a terminal and for machines in a pipe.

A terminal gets rich's layout, wrapped at its width. Anything else (a pipe, a file, a CI
log) gets lines that are never wrapped, never padded and never end in spaces, so that one
record stays one line for ``grep`` and a command stays whole for copy and paste.
"""

from __future__ import annotations

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from ..catalog import tr

#: "label: value" with the punctuation of the language (a full-width colon in Chinese).
PAIR = "{label}: {value}"


def plain(console: Console) -> bool:
    """True when the output is not a terminal: lines for machines."""
    return not console.is_terminal


def emit(console: Console, text: Text | str, indent: int = 0) -> None:
    """Print one line: wrapped with its indent on a terminal, whole in a pipe."""
    line = Text(text) if isinstance(text, str) else text.copy()
    line.rstrip()
    if plain(console):
        console.print(Text(" " * indent) + line if indent else line, soft_wrap=True)
    elif indent:
        console.print(Padding(line, (0, 0, 0, indent)))
    else:
        console.print(line)


def whole(console: Console, text: Text | str) -> None:
    """Print a line that must never be wrapped (a command to copy), even on a terminal."""
    line = Text(text) if isinstance(text, str) else text.copy()
    line.rstrip()
    console.print(line, soft_wrap=True)


def pair(label: str, value: Text | str, lang: str, style: str = "") -> Text:
    """``label: value`` (``label：value`` in Chinese); ``label`` is already translated."""
    before, _, rest = tr(PAIR, lang).partition("{label}")
    middle, _, after = rest.partition("{value}")
    out = Text(before + label + middle, style=style)
    out.append_text(value if isinstance(value, Text) else Text(value, style=style))
    out.append(after, style=style)
    return out
