"""Grade caps from vulnerabilities, TLS hygiene and the mail dialogue (see grading.py's table).

Each cap is read from the deep observation when it holds the fact, and from the endpoint's
findings otherwise (the finding ids of issue 3: ``vuln.heartbleed``, ``reneg.insecure``,
``smtp.auth_before_tls``, ...), so a result graded before or after the checks ran gives the
same letter. ``None`` in the observation means "not determined" and never caps anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import DeepObservation, ScanResult
from .grading import Cap, _Context


@dataclass(frozen=True)
class Rule:
    """One cap: ``finding`` the id that reports it, ``seen`` whether the deep observation
    shows it (None: it cannot tell), ``kind`` the grade_kind words, caps by role
    (None: no cap for that role), ``entry`` the grade.* id used."""

    finding: str
    seen: Callable[[DeepObservation], bool | None]
    kind: str
    password: str | None
    mx: str | None
    entry: str = "grade.vulnerability"


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "vulnerable"


def _negated(value: bool | None) -> bool | None:
    return None if value is None else not value


def _intermittent(deep: DeepObservation) -> bool | None:
    return (len(set(deep.starttls_seen)) > 1) if deep.starttls_seen else None


RULES: tuple[Rule, ...] = (
    Rule("vuln.heartbleed", lambda d: _flag(d.heartbleed), "Heartbleed", "F", "F"),
    Rule("vuln.ccs_injection", lambda d: _flag(d.ccs_injection), "CCS injection", "F", "C"),
    Rule("vuln.robot", lambda d: _flag(d.robot), "ROBOT (RSA padding oracle)", "F", "C"),
    Rule("starttls.command_injection", lambda d: _flag(d.starttls_injection),
         "STARTTLS command injection", "F", "C"),
    Rule("tls.compression", lambda d: d.compression, "TLS compression (CRIME)", "C", "A-"),
    Rule("reneg.insecure", lambda d: _negated(d.secure_renegotiation),
         "insecure renegotiation", "C", "B"),
    Rule("starttls.intermittent", _intermittent,
         "STARTTLS offered only on some connections", "C", "B"),
    Rule("tls.no_fallback_scsv", lambda d: _negated(d.fallback_scsv),
         "no TLS_FALLBACK_SCSV downgrade protection", "A-", "A-", "grade.hygiene"),
    Rule("reneg.client_initiated", lambda d: d.client_renegotiation,
         "client-initiated renegotiation accepted", "A-", "A-", "grade.hygiene"),
    Rule("tls.no_extended_master_secret", lambda d: _negated(d.extended_master_secret),
         "no extended master secret", "A", "A", "grade.hygiene"),
)

#: Mail dialogue findings: (finding id, cap with passwords, cap on an MX).
MAIL_RULES: tuple[tuple[str, str | None, str | None], ...] = (
    ("smtp.auth_before_tls", "C", "C"),
    ("imap.login_before_tls", "C", None),
    ("pop3.user_before_tls", "C", None),
    ("starttls.not_required", "C", None),  # on port 25 plaintext is normal
)


def hygiene_caps(ctx: _Context, result: ScanResult) -> list[Cap]:
    ids = {f.id for f in result.findings}
    caps: list[Cap] = []
    for rule in RULES:
        seen = rule.seen(result.deep) if result.deep is not None else None
        letter = rule.password if ctx.passwords else rule.mx
        if letter and (seen or rule.finding in ids):
            caps.append(ctx.cap(letter, rule.entry, grade_kind=rule.kind, finding=rule.finding))
    for finding_id, password, mx in MAIL_RULES:
        letter = password if ctx.passwords else mx
        if letter and finding_id in ids:
            caps.append(ctx.cap(letter, "grade.plaintext_auth", finding=finding_id))
    return caps
