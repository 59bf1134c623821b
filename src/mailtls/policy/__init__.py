"""Grading by role and by policy: ``grade(result, policy) -> Grade``.

Policies are data (one module each, with its source in the docstring): ``mozilla-intermediate``
(the default), ``mozilla-modern``, ``ncsc-nl-2025``, ``bsi-tr-02102-2`` and
``nist-800-52r2``. The grade's rules, and why an MX on port 25 is graded differently from a
submission or IMAP endpoint, are in grading.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..model import ScanResult
from .base import Level, Policy
from .bsi import BSI_2025
from .grading import (
    LETTERS,
    NOT_GRADED,
    Cap,
    Grade,
    _Context,
    accepted_suites,
    cert_caps,
    group_caps,
    offered_protocols,
    protocol_caps,
    role_of,
    suite_caps,
    worst,
)
from .hygiene import hygiene_caps
from .mozilla import INTERMEDIATE, MODERN
from .ncsc import NCSC_2025
from .nist import NIST_800_52R2

__all__ = ["DEFAULT_POLICY", "LETTERS", "NOT_GRADED", "POLICIES", "Grade", "Level", "Policy",
           "grade", "role_of"]

DEFAULT_POLICY = "mozilla-intermediate"
POLICIES: Mapping[str, Policy] = MappingProxyType(
    {p.name: p for p in (INTERMEDIATE, MODERN, NCSC_2025, BSI_2025, NIST_800_52R2)}
)


def grade(result: ScanResult, policy: str = DEFAULT_POLICY) -> Grade:
    """The letter for one endpoint's result under ``policy`` (a key of :data:`POLICIES`)."""
    try:
        chosen = POLICIES[policy]
    except KeyError:
        raise ValueError(f"unknown policy {policy!r} (known: {', '.join(POLICIES)})") from None
    ctx = _Context(chosen, role_of(result.target))
    protocols = offered_protocols(result)
    if not protocols:
        return _ungraded(ctx, result)
    deep = result.deep
    complete = deep is not None and not deep.incomplete and bool(deep.protocols)
    caps: list[Cap] = []
    caps += protocol_caps(ctx, protocols, complete)
    caps += suite_caps(ctx, accepted_suites(result))
    caps += group_caps(ctx, deep)
    caps += cert_caps(ctx, result)
    caps += hygiene_caps(ctx, result)
    if not complete:  # one handshake, or throttled probes: never the best grade
        caps.append(ctx.cap("A", "grade.incomplete"))
    caps.sort(key=lambda c: LETTERS.index(c.letter), reverse=True)
    letter = worst(c.letter for c in caps)
    return Grade(letter, chosen.name, ctx.role, tuple(c.finding for c in caps))


def _ungraded(ctx: _Context, result: ScanResult) -> Grade:
    """No protocol seen: F when the endpoint offers no TLS at all, else not graded."""
    no_tls = result.tested and any(f.id == "starttls.not_offered" for f in result.findings)
    if no_tls:
        return Grade("F", ctx.policy.name, ctx.role, (ctx.cap("F", "grade.no_tls").finding,))
    return Grade(NOT_GRADED, ctx.policy.name, ctx.role,
                 (ctx.cap(NOT_GRADED, "grade.not_tested").finding,))
