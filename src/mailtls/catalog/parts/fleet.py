"""Catalogue part "fleet": the sentences of ``mailtls fleet`` (gettext domain mailtls-fleet).

The fleet adds no finding of its own: its results are ``mailtls scan`` results, with the
scan catalogue's ids. These are the lines it prints about the work.
"""

from __future__ import annotations

from ..entry import Part

UI_STRINGS = (
    "Scan {scan_id}: {planned} endpoints on {addresses} addresses, {done} already done, "
    "{sent} queued in {jobs} messages.",
    "Scan {scan_id}: {done} of {planned} endpoints done, {left} left ({domains} domains).",
)

PART = Part("mailtls-fleet", (), UI_STRINGS)
