"""Rules over a DeepObservation: protocol versions, cipher suites, key exchange, known
vulnerabilities and TLS hygiene. One small function per finding id (or family of ids).

A fact that is None was not determined (throttled, failed, not applicable): no rule ever
reads None as "no". The role-aware weighing (an MX on port 25 versus submission) is the
grade's job (mailtls.policy); the severities here are the catalogue's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..catalog import new_finding
from ..model import DeepObservation, Finding, ProbeOutcome, Severity
from ..proto.tls.registry import CipherSuite, cipher_suite, sslv2_cipher

Rule = Callable[[DeepObservation], list[Finding]]
MAX_LISTED = 8
LEGACY = {"SSLv3": "protocol.sslv3", "TLSv1": "protocol.tls1_0", "TLSv1.1": "protocol.tls1_1"}


def suites(deep: DeepObservation) -> dict[str, list[CipherSuite]]:
    """Protocol -> accepted suites (SSLv2 cipher kinds for SSLv2)."""
    out: dict[str, list[CipherSuite]] = {}
    for protocol, codes in deep.cipher_suites.items():
        lookup = sslv2_cipher if protocol == "SSLv2" else cipher_suite
        out[protocol] = [lookup(c) for c in codes]
    return out


def _listed(found: dict[str, list[CipherSuite]]) -> tuple[str, str]:
    protocols = ", ".join(found)
    names: list[str] = []
    for items in found.values():
        names += [s.name for s in items if s.name not in names]
    shown = ", ".join(names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        shown += f" (+{len(names) - MAX_LISTED})"
    return protocols, shown


def _matching(
    deep: DeepObservation, test: Callable[[CipherSuite], bool]
) -> dict[str, list[CipherSuite]]:
    found: dict[str, list[CipherSuite]] = {}
    for protocol, items in suites(deep).items():
        hits = [s for s in items if test(s)]
        if hits:
            found[protocol] = hits
    return found


def protocol_rules(deep: DeepObservation) -> list[Finding]:
    out: list[Finding] = []
    if deep.protocols.get("SSLv2"):
        count = len(deep.cipher_suites.get("SSLv2", ()))
        out.append(new_finding("protocol.sslv2", count=str(count)))
    out += [new_finding(fid) for p, fid in LEGACY.items() if deep.protocols.get(p)]
    return out


def no_modern_protocol(deep: DeepObservation) -> list[Finding]:
    offered = [p for p, yes in deep.protocols.items() if yes]
    modern = [deep.protocols.get(p) for p in ("TLSv1.2", "TLSv1.3")]
    if offered and all(m is False for m in modern):
        return [new_finding("protocol.no_tls1_2_or_later", version=offered[-1])]
    return []


CIPHER_RULES: tuple[tuple[str, Callable[[CipherSuite], bool]], ...] = (
    ("cipher.null", lambda s: s.null),
    ("cipher.anonymous", lambda s: s.anonymous and not s.null),
    ("cipher.export", lambda s: s.export),
    ("cipher.rc4", lambda s: s.rc4),
    ("cipher.3des", lambda s: s.cipher in ("3DES", "DES", "IDEA", "RC2") and not s.export),
)


def cipher_rules(deep: DeepObservation) -> list[Finding]:
    out = []
    for finding_id, test in CIPHER_RULES:
        found = _matching(deep, test)
        if found:
            listed = _listed(found)
            out.append(new_finding(finding_id, protocols=listed[0], suites=listed[1]))
    return out


def cbc_only(deep: DeepObservation) -> list[Finding]:
    every = [s for items in suites(deep).values() for s in items if s.known]
    if every and not any(s.aead for s in every) and not deep.incomplete:
        return [new_finding("cipher.cbc_only")]
    return []


def forward_secrecy(deep: DeepObservation) -> list[Finding]:
    tls = {p: items for p, items in suites(deep).items() if p != "SSLv2" and items}
    every = [s for items in tls.values() for s in items if s.known]
    if not every:
        return []
    if not any(s.forward_secrecy or s.tls13 for s in every) and not deep.incomplete:
        return [new_finding("kex.no_forward_secrecy",
                            reason="No accepted suite uses forward secrecy")]  # fmt: skip
    best = _best_protocol(tls)
    if best is not None and deep.server_order.get(best):
        first = tls[best][0]
        if not (first.forward_secrecy or first.tls13):
            reason = "The server prefers a suite without forward secrecy"
            return [new_finding("kex.no_forward_secrecy", severity=Severity.MEDIUM, reason=reason)]
    return []


def _best_protocol(found: dict[str, list[CipherSuite]]) -> str | None:
    order = ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3")
    return next((p for p in order if found.get(p)), None)


def dh_weak(deep: DeepObservation) -> list[Finding]:
    if deep.dh_bits is None or deep.dh_bits >= 2048:
        return []
    severity = Severity.CRITICAL if deep.dh_bits < 1024 else None
    group = deep.dh_group or "custom"
    return [new_finding("kex.dh_weak", severity=severity, bits=str(deep.dh_bits), group=group)]


def vulnerabilities(deep: DeepObservation) -> list[Finding]:
    out = []
    if deep.heartbleed == "vulnerable":
        out.append(new_finding("vuln.heartbleed"))
    if deep.ccs_injection == "vulnerable":
        out.append(new_finding("vuln.ccs_injection"))
    if deep.robot == "vulnerable":
        out.append(_robot(deep))
    return out


def _robot(deep: DeepObservation) -> Finding:
    """A strong oracle (broken paddings told apart) is high; a weak one medium."""
    evidence = "; ".join(deep.robot_evidence)
    if deep.robot_oracle == "weak":
        oracle = "a weak oracle: only well-formed messages are told apart (far more connections)"
        return new_finding("vuln.robot", severity=Severity.MEDIUM, oracle=oracle, evidence=evidence)
    oracle = "a strong oracle: an attack is practical"
    return new_finding("vuln.robot", oracle=oracle, evidence=evidence)


def hygiene(deep: DeepObservation) -> list[Finding]:
    checks: Sequence[tuple[bool, str]] = (
        (deep.compression is True, "tls.compression"),
        (deep.secure_renegotiation is False, "reneg.insecure"),
        (deep.client_renegotiation is True, "reneg.client_initiated"),
        (deep.extended_master_secret is False, "tls.no_extended_master_secret"),
    )
    out = [new_finding(fid) for hit, fid in checks if hit]
    if deep.fallback_scsv is False:
        out.append(new_finding("tls.no_fallback_scsv", version=_second_version(deep)))
    return out


def _second_version(deep: DeepObservation) -> str:
    offered = [p for p in ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1") if deep.protocols.get(p)]
    return offered[1] if len(offered) > 1 else "?"


def incomplete(deep: DeepObservation) -> list[Finding]:
    """Read from the probes' outcomes (data), never from the notes (words for people)."""
    if not deep.incomplete:
        return []
    throttled = any(o.outcome is ProbeOutcome.THROTTLED for o in deep.outcomes)
    reasons = (
        "the server throttled or refused connections"
        if throttled
        else "some probes could not be completed"
    )
    return [new_finding("scan.incomplete", reasons=reasons)]


RULES: tuple[Rule, ...] = (
    protocol_rules,
    no_modern_protocol,
    cipher_rules,
    cbc_only,
    forward_secrecy,
    dh_weak,
    vulnerabilities,
    hygiene,
    incomplete,
)


def tls_findings(deep: DeepObservation, already: Iterable[str] = ()) -> list[Finding]:
    """Every TLS rule over ``deep``; ids in ``already`` are not reported twice."""
    seen = set(already)
    out: list[Finding] = []
    for rule in RULES:
        for finding in rule(deep):
            if finding.id not in seen:
                out.append(finding)
                seen.add(finding.id)
    return out
