"""Inline SVG charts of the report: the fleet's state and the expiry timeline.

Pure functions from numbers to :class:`Markup`; no script, no font file, no external
reference, so the page draws the same offline, in print and in a PDF. Colours follow the
page's severity colours; every bar has a ``<title>`` so a reader can point at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .markup import Markup, el

#: fill colours; also used by html.py for the severity badges
COLOURS = {"critical": "#b3001b", "high": "#e4572e", "medium": "#f0a202", "low": "#3a86ff",
           "info": "#2a9d4b", "untested": "#8d99ae"}
EXPIRED, SOON, LATER, FINE = "#b3001b", "#e4572e", "#f0a202", "#2a9d4b"


@dataclass(frozen=True)
class Segment:
    label: str
    count: int
    colour: str


def state_bar(segments: Sequence[Segment], width: int = 720) -> Markup:
    """One stacked bar: endpoints by their worst state, with a legend under it."""
    total = sum(s.count for s in segments) or 1
    x, parts, legend = 0.0, [], []
    for i, s in enumerate(segments):
        w = width * s.count / total
        if s.count:
            parts.append(el("rect", el("title", f"{s.label}: {s.count}"), x=f"{x:.1f}", y="0",
                            width=f"{w:.1f}", height="28", fill=s.colour))
        x += w
        lx = (i % 4) * (width / 4)
        ly = 46 + (i // 4) * 20
        legend += [el("rect", x=f"{lx:.0f}", y=str(ly - 10), width="12", height="12",
                      fill=s.colour),
                   el("text", f"{s.label}: {s.count}", x=f"{lx + 18:.0f}", y=str(ly))]
    height = 46 + ((len(segments) + 3) // 4) * 20
    return el("svg", parts, legend, xmlns="http://www.w3.org/2000/svg", class_="chart",
              viewBox=f"0 0 {width} {height}", width=str(width), height=str(height),
              role="img")


@dataclass(frozen=True)
class Expiry:
    label: str
    not_after: dt.datetime
    tip: str


def _colour(days: float) -> str:
    if days < 0:
        return EXPIRED
    return SOON if days < 30 else LATER if days < 90 else FINE


def _span(items: Sequence[Expiry], as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = min([as_of - dt.timedelta(days=30), *(i.not_after for i in items)])
    end = max([as_of + dt.timedelta(days=120), *(i.not_after for i in items)])
    start = max(start, as_of - dt.timedelta(days=400))  # long expired: clamp at the left edge
    end = min(end, as_of + dt.timedelta(days=800))
    return start, end


#: a generous width of one character of the 11px chart font (digits are about 6.1px)
CHAR_WIDTH = 6.5


def _tick_label(text: str, px: float, bottom: int, width: int) -> Markup:
    """The month under its tick, centred; ending at the tick when centring would push it
    past the chart's right edge (where the last month fell, it was clipped to "2028-0")."""
    half = len(text) * CHAR_WIDTH / 2
    cls = "ticklabel end" if px + half > width else "ticklabel"
    return el("text", text, x=f"{px:.1f}", y=str(bottom + 14), class_=cls)


def _ticks(start: dt.datetime, end: dt.datetime, x: object, top: int, bottom: int,
           width: int) -> list[Markup]:
    """A line and a label at the first day of months (every third month on long spans)."""
    step = 1 if (end - start).days < 400 else 3
    month = dt.datetime(start.year, start.month, 1, tzinfo=start.tzinfo)
    out: list[Markup] = []
    while month <= end:
        if month >= start and (month.month - 1) % step == 0:
            px = x(month)  # type: ignore[operator]
            out += [el("line", x1=f"{px:.1f}", x2=f"{px:.1f}", y1=str(top), y2=str(bottom),
                       class_="tick"),
                    _tick_label(month.strftime("%Y-%m"), px, bottom, width)]
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def expiry_chart(items: Sequence[Expiry], as_of: dt.datetime, today: str,
                 width: int = 720) -> Markup:
    """One row per certificate, soonest first: a bar from today to its expiry date (to the
    left when it has expired), coloured by how soon; a line marks today."""
    left, row_h, top = 230, 18, 10
    start, end = _span(items, as_of)
    scale = (width - left - 10) / max((end - start).total_seconds(), 1)

    def x(when: dt.datetime) -> float:
        clamped = min(max(when, start), end)
        return left + (clamped - start).total_seconds() * scale

    bottom = top + row_h * len(items)
    body = _ticks(start, end, x, top, bottom, width)
    now_x = x(as_of)
    for i, item in enumerate(items):
        y = top + i * row_h
        days = (item.not_after - as_of).total_seconds() / 86400
        x0, x1 = sorted((now_x, x(item.not_after)))
        body += [el("text", item.label, x=str(left - 6), y=str(y + 13), class_="rowlabel"),
                 el("rect", el("title", item.tip), x=f"{x0:.1f}", y=str(y + 3),
                    width=f"{max(x1 - x0, 2):.1f}", height=str(row_h - 6),
                    fill=_colour(days))]
    body += [el("line", x1=f"{now_x:.1f}", x2=f"{now_x:.1f}", y1=str(top - 4),
                y2=str(bottom), class_="now"),
             el("text", today, x=f"{now_x + 3:.1f}", y=str(top + 4), class_="nowlabel")]
    height = bottom + 24
    return el("svg", body, xmlns="http://www.w3.org/2000/svg", class_="chart",
              viewBox=f"0 0 {width} {height}", width=str(width), height=str(height),
              role="img")
