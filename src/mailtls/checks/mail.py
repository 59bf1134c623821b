"""Mail-specific rules of ``scan --deep``: what general TLS scanners do not look at.

They read the plain scan's Observation (capabilities before STARTTLS) and the deep
observation (injection verdict, MAIL FROM before STARTTLS, STARTTLS on each connection).
Role: ``starttls.not_required`` is informational on an MX (port 25 must take mail from
senders without TLS) and a finding where clients submit mail; for IMAP and POP3 the login
rules say it, so it is not reported twice.
"""

from __future__ import annotations

from collections.abc import Callable

from ..catalog import new_finding
from ..model import DeepObservation, Finding, Observation, Severity
from ..policy import role_of

Rule = Callable[[Observation, DeepObservation], list[Finding]]
PLAIN_MECHANISMS = ("PLAIN", "LOGIN")


def _starttls_scheme(obs: Observation) -> bool:
    return not obs.target.spec.implicit_tls and obs.starttls_offered is not False


def smtp_auth(obs: Observation, deep: DeepObservation) -> list[Finding]:
    if obs.target.spec.protocol != "smtp" or not _starttls_scheme(obs):
        return []
    for cap in obs.capabilities:
        word, _, params = cap.partition(" ")
        if word in ("AUTH", "AUTH=") or word.startswith("AUTH="):
            mechanisms = params or word.partition("=")[2] or "?"
            return [new_finding("smtp.auth_before_tls", mechanisms=mechanisms)]
    return []


def imap_login(obs: Observation, deep: DeepObservation) -> list[Finding]:
    if obs.target.spec.protocol != "imap" or not _starttls_scheme(obs) or not obs.capabilities:
        return []
    caps = [c.upper() for c in obs.capabilities]
    if "LOGINDISABLED" in caps:
        return []
    return [new_finding("imap.login_before_tls", capabilities=" ".join(obs.capabilities))]


def pop3_user(obs: Observation, deep: DeepObservation) -> list[Finding]:
    if obs.target.spec.protocol != "pop3" or not _starttls_scheme(obs) or not obs.capabilities:
        return []
    offered: list[str] = []
    for cap in obs.capabilities:
        word, _, params = cap.upper().partition(" ")
        if word == "USER":
            offered.append("USER")
        elif word == "SASL":
            offered += [m for m in params.split() if m in PLAIN_MECHANISMS]
    if not offered:
        return []
    return [new_finding("pop3.user_before_tls", mechanisms=", ".join(offered))]


def injection(obs: Observation, deep: DeepObservation) -> list[Finding]:
    if deep.starttls_injection != "vulnerable":
        return []
    evidence = "; ".join(deep.starttls_injection_evidence) or "-"
    return [new_finding("starttls.command_injection", evidence=evidence[:300])]


def not_required(obs: Observation, deep: DeepObservation) -> list[Finding]:
    code = deep.mail_without_tls
    if obs.target.spec.protocol != "smtp" or code is None or not 200 <= code < 300:
        return []
    severity = Severity.INFO if role_of(obs.target) == "mx" else None
    return [new_finding("starttls.not_required", severity=severity, reply=str(code),
                        port=str(obs.target.port))]  # fmt: skip


def intermittent(obs: Observation, deep: DeepObservation) -> list[Finding]:
    seen = list(deep.starttls_seen)
    if obs.starttls_offered is not None and not obs.target.spec.implicit_tls:
        seen.append(obs.starttls_offered)
    if not seen or all(seen) or not any(seen):
        return []
    return [new_finding("starttls.intermittent", seen=str(sum(seen)), total=str(len(seen)))]


RULES: tuple[Rule, ...] = (smtp_auth, imap_login, pop3_user, injection, not_required, intermittent)


def mail_findings(obs: Observation, deep: DeepObservation) -> list[Finding]:
    out: list[Finding] = []
    for rule in RULES:
        out += rule(obs, deep)
    return out
