"""Rules over observations: each rule is one small function returning findings.

Checks never open sockets; they read an Observation and a CheckContext (trust
store, injected time, thresholds) and return findings from the catalogue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from cryptography import x509

from ..catalog import new_finding, severity_of
from ..model import SCHEMES, DeepObservation, Finding, Observation, ScanResult
from ..verify import Diagnosis, TrustStore, cert_info, diagnose_der

#: error ids after which the endpoint counts as "could not be tested"
UNTESTED = frozenset(
    {
        "conn.refused",
        "conn.timeout",
        "conn.rate_limited",
        "conn.resolve_failed",
        "conn.protocol_error",
        "conn.closed",
        "tls.handshake_failed",
        "starttls.refused",
        "conn.wrong_scheme.tls",
        "conn.wrong_scheme.plain",
    }
)
LEGACY_VERSIONS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")


@dataclass(frozen=True)
class CheckContext:
    store: TrustStore
    now: dt.datetime
    warn_days: int = 30
    timeout: float = 30.0


def connection_findings(obs: Observation, ctx: CheckContext) -> list[Finding]:
    if obs.error_id is None:
        return []
    reason = obs.error or ""
    t = obs.target
    params = {
        "conn.refused": {"address": obs.address or t.host, "port": str(t.port), "reason": reason},
        "conn.timeout": {"seconds": f"{ctx.timeout:g}", "phase": reason},
        "conn.rate_limited": {"reply": reason},
        "conn.resolve_failed": {"host": t.host, "reason": reason},
        "conn.protocol_error": {"protocol": t.spec.protocol.upper(), "reason": reason},
        "conn.closed": {"phase": reason},
        "starttls.refused": {"reply": reason},
    }.get(obs.error_id, {"reason": reason})
    if obs.error_id.startswith("conn.wrong_scheme."):
        return [_wrong_scheme(obs)]
    return [Finding(obs.error_id, severity_of(obs.error_id), params, primary=True)]


def _wrong_scheme(obs: Observation) -> Finding:
    """conn.wrong_scheme.tls / .plain: the probe's error is the URL with the fitting scheme."""
    assert obs.error_id is not None
    suggested = obs.error or ""
    scheme = SCHEMES.get(suggested.partition("://")[0])
    params = {
        "url": obs.target.url,
        "suggested": suggested,
        "protocol": scheme.protocol.upper() if scheme else "?",
        "greeting": obs.banner or "",
    }
    return Finding(obs.error_id, severity_of(obs.error_id), params, primary=True, fix=suggested)


def starttls_findings(obs: Observation, ctx: CheckContext) -> list[Finding]:
    if obs.starttls_offered is False and obs.error_id is None:
        caps = ", ".join(obs.capabilities) or "(none)"
        return [
            new_finding(
                "starttls.not_offered",
                primary=True,
                protocol=obs.target.spec.protocol.upper(),
                capabilities=caps,
            )
        ]
    return []


def protocol_findings(obs: Observation, ctx: CheckContext) -> list[Finding]:
    if obs.tls_version in LEGACY_VERSIONS:
        return [new_finding("protocol.no_tls1_2_or_later", version=obs.tls_version or "?")]
    return []


def _diagnosis(obs: Observation, ctx: CheckContext) -> Diagnosis:
    if obs.tls_version is None:
        return Diagnosis((), ())
    return diagnose_der(obs.chain_der, obs.target.host, ctx.store, ctx.now, ctx.warn_days)


def _load_chain(chain_der: tuple[bytes, ...]) -> list[x509.Certificate]:
    chain = []
    for der in chain_der:
        try:
            chain.append(x509.load_der_x509_certificate(der))
        except ValueError:
            continue  # an unparsable certificate cannot be part of a valid path
    return chain


def evaluate(
    obs: Observation, ctx: CheckContext, deep: DeepObservation | None = None
) -> ScanResult:
    """Every rule over one observation (and the deep scan's, if any), into one result."""
    diagnosis = _diagnosis(obs, ctx)
    findings = connection_findings(obs, ctx) + starttls_findings(obs, ctx)
    findings += [*diagnosis.findings, *protocol_findings(obs, ctx)]
    if deep is not None:
        findings += deep_findings(obs, deep, [f.id for f in findings])
    if sum(f.primary for f in findings) > 1:  # a connection error outranks what follows
        first = next(i for i, f in enumerate(findings) if f.primary)
        findings = [
            f if i == first or not f.primary else replace(f, primary=False)
            for i, f in enumerate(findings)
        ]
    chain = _load_chain(obs.chain_der)
    infos = tuple(cert_info(c) for c in chain)
    tested = obs.tls_version is not None or obs.starttls_offered is False
    return ScanResult(
        target=obs.target,
        address=obs.address,
        tls_version=obs.tls_version,
        cipher=obs.cipher,
        certificate=infos[0] if infos else None,
        chain=infos,
        findings=tuple(findings),
        tested=tested and obs.error_id not in UNTESTED,
        elapsed=obs.elapsed,
        error=obs.error,
        deep=deep,
        chains=tuple(tuple(cert_info(c) for c in _load_chain(ch)) for ch in deep.certificates)
        if deep is not None
        else (),
        path=tuple(cert_info(c) for c in diagnosis.path),
        chain_der=obs.chain_der,
    )


def deep_findings(obs: Observation, deep: DeepObservation, already: list[str]) -> list[Finding]:
    """The rules of checks/tls.py and checks/mail.py (imported here: only --deep needs them)."""
    from .mail import mail_findings
    from .tls import tls_findings

    return tls_findings(deep, already) + mail_findings(obs, deep)
