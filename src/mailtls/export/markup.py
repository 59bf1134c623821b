"""Safe-by-construction HTML and SVG: text is escaped unless it is already :class:`Markup`.

Every string that reaches the page passes through :func:`el` or :func:`esc`; only markup
built by these functions is trusted. A document's host name ``<script>`` becomes the
text ``&lt;script&gt;``, in an element's body and in an attribute alike.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


class Markup(str):
    """A string that is already safe HTML."""

    __slots__ = ()


def esc(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def _flat(children: Iterable[object]) -> Iterable[object]:
    for c in children:
        if c is None:
            continue
        if isinstance(c, (list, tuple)) or (hasattr(c, "__next__") and not isinstance(c, str)):
            yield from _flat(c)  # type: ignore[arg-type]
        else:
            yield c


def join(children: Iterable[object]) -> Markup:
    return Markup("".join(esc(c) for c in _flat(children)))


def el(tag: str, *children: object, **attrs: object) -> Markup:
    """``<tag attrs>children</tag>``; attribute ``class_`` is ``class``, ``data_x`` is
    ``data-x``; an attribute whose value is None or False is left out."""
    parts = [tag]
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        key = name.rstrip("_").replace("_", "-")
        parts.append(key if value is True else f'{key}="{esc(value)}"')
    return Markup(f"<{' '.join(parts)}>{join(children)}</{tag}>")
