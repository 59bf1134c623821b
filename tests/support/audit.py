"""Shared helpers of the audit tests (importable, unlike conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailtls.model import Finding

MASTER = (
    "smtp      inet  n       -       y       -       -       smtpd\n"
    "smtp      unix  -       -       y       -       -       smtp\n"
    "relay     unix  -       -       y       -       -       smtp\n"
)

AuditPostfix = Callable[..., list[Finding]]


def at(findings: list[Finding], finding_id: str) -> list[tuple[str, int]]:
    """(file name, line) of every finding with this id."""
    return [(Path(f.location.file).name, f.location.line)
            for f in findings if f.id == finding_id and f.location]
