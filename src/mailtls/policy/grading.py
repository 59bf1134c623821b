"""The letter grade of one endpoint, by its role and by a policy.

A grade starts at A+ and every rule below may cap it; the grade is the lowest cap, and each
cap is a ``grade.*`` finding that names it and says why. Two kinds of caps:

* **Policy caps**: what the chosen policy rates sufficient caps at A, phase-out at B,
  insufficient at C (protocol versions, cipher suites, groups, DH size, certificate keys
  and signatures).
* **Security caps**, the same under every policy, and by role. The role is what a client
  of the endpoint risks. Submission, IMAP, POP3 and ManageSieve carry passwords and must
  be verified; an MX on port 25 does opportunistic TLS, authenticated (if at all) by DANE
  or MTA-STS, where anything is better than the plaintext a sender falls back to:

  ============================  ===================  ==============
  what                          passwords (sub/imap)  MX (port 25)
  ============================  ===================  ==============
  certificate does not verify   F                    A (not A+)
  anonymous suites              F                    no cap
  NULL or export suites         F                    C
  SSLv2                         F                    D
  SSLv3                         C                    B
  TLS 1.0 / 1.1                 B                    A-
  no TLS 1.2 or later           C                    B
  RC4, single DES               C                    B
  3DES (SWEET32)                B                    A-
  DHE below 1024 / 2048 bits    F / B                C / A-
  RSA key below 1024 bits       F                    C
  SHA-1/MD5 certificate         C                    A-
  Heartbleed                    F                    F
  CCS injection, STARTTLS       F                    C
  command injection
  insecure renegotiation        C                    B
  TLS compression               C                    A-
  login/AUTH before STARTTLS    C                    C (AUTH only)
  STARTTLS intermittent         C                    B
  no forward secrecy at all     B                    B  (some suites: A-)
  no AEAD suite, no fallback    A-                   A-
  SCSV, client renegotiation
  no TLS 1.3, no EMS, scan      A                    A
  incomplete or without --deep
  ============================  ===================  ==============

testssl.sh caps every STARTTLS endpoint at T (for "trust"); this grade does not: on port 25
a certificate that does not verify is normal, and on the other ports it is an F.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509

from ..catalog import entry
from ..model import PROTOCOLS, CertInfo, DeepObservation, Finding, ScanResult, Severity, Target
from ..proto.tls.registry import GROUP_INFO, CipherSuite, by_name
from ..verify import cert_info
from .base import Level, Policy, suite_for

LETTERS = ("A+", "A", "A-", "B", "C", "D", "E", "F")
NOT_GRADED = "?"
LEVEL_CAP = {Level.GOOD: "A+", Level.SUFFICIENT: "A", Level.PHASE_OUT: "B",
             Level.INSUFFICIENT: "C"}
PASSWORD_ROLES = frozenset({"submission", "imap", "pop3", "sieve"})
ROLE_LABEL = {"mx": "MX", "submission": "submission", "imap": "IMAP", "pop3": "POP3",
              "sieve": "ManageSieve"}
VERIFY_FAILURES = ("cert.none", "cert.expired", "cert.not_yet_valid", "cert.hostname_mismatch",
                   "cert.self_signed", "cert.untrusted", "cert.chain_incomplete",
                   "cert.not_for_server", "cert.invalid")
SHOWN_SUITES = 6  # suites named in one reason; the rest are counted


def role_of(target: Target) -> str:
    """mx (smtp on any port but 587/465), submission, imap, pop3 or sieve."""
    protocol = target.spec.protocol
    if protocol == "smtp":
        if target.scheme in ("submission", "smtps") or target.port in (587, 465):
            return "submission"
        return "mx"
    return protocol


@dataclass(frozen=True)
class Grade:
    """A letter (A+ to F, or ? when nothing could be graded), the policy and role it was
    graded for, and the ``grade.*`` findings that capped it, worst first."""

    letter: str
    policy: str
    role: str
    reasons: tuple[Finding, ...]


@dataclass(frozen=True)
class Cap:
    letter: str
    finding: Finding


class _Context:
    """What every rule needs: the policy, the role, and the finding factory."""

    def __init__(self, policy: Policy, role: str) -> None:
        self.policy = policy
        self.role = role
        self.passwords = role in PASSWORD_ROLES

    def cap(self, letter: str, finding_id: str, **params: str) -> Cap:
        params = {"cap": letter, "policy": self.policy.title,
                  "grade_role": ROLE_LABEL.get(self.role, self.role), **params}
        entry(finding_id)  # an unknown id fails here, not when the report is rendered
        return Cap(letter, Finding(finding_id, _severity(letter), params))

    def by_role(self, password: str, mx: str) -> str:
        return password if self.passwords else mx


def _severity(letter: str) -> Severity:
    return {"A+": Severity.INFO, "A": Severity.INFO, "A-": Severity.LOW, "B": Severity.MEDIUM,
            "C": Severity.HIGH, "D": Severity.HIGH}.get(letter, Severity.CRITICAL)


def worst(letters: Iterable[str]) -> str:
    return max(letters, key=LETTERS.index, default="A+")


# --- protocols -------------------------------------------------------------------------


def offered_protocols(result: ScanResult) -> list[str]:
    deep = result.deep
    if deep is not None and any(deep.protocols.values()):
        return [p for p in PROTOCOLS if deep.protocols.get(p)]
    return [result.tls_version] if result.tls_version else []


def protocol_caps(ctx: _Context, protocols: Sequence[str], complete: bool) -> list[Cap]:
    caps: list[Cap] = []
    for p in protocols:
        level = ctx.policy.protocol_level(p)
        label = level.label
        if p in ("TLSv1", "TLSv1.1") and not ctx.passwords:
            caps.append(ctx.cap("A-", "grade.protocol_mx", protocol=p, grade_level=label))
            continue
        security = {"SSLv2": ctx.by_role("F", "D"), "SSLv3": ctx.by_role("C", "B"),
                    "TLSv1": "B", "TLSv1.1": "B"}.get(p, "A+")
        letter = worst((security, LEVEL_CAP[level]))
        if letter != "A+":
            caps.append(ctx.cap(letter, "grade.protocol", protocol=p, grade_level=label))
    modern = {"TLSv1.2", "TLSv1.3"} & set(protocols)
    if protocols and not modern and complete:
        caps.append(ctx.cap(ctx.by_role("C", "B"), "grade.no_tls12", protocol=protocols[-1]))
    if protocols and "TLSv1.3" not in protocols and complete:
        caps.append(ctx.cap("A", "grade.no_tls13"))
    return caps


# --- cipher suites -----------------------------------------------------------------------

#: (property test, grade_kind, cap for password roles, cap for an MX); None: no cap there
_SUITE_KINDS: tuple[tuple[str, str, str, str | None], ...] = (
    ("null", "NULL (unencrypted)", "F", "C"),
    ("export", "export-grade", "F", "C"),
    ("anonymous", "anonymous (unauthenticated)", "F", None),
    ("rc4", "RC4", "C", "B"),
    ("des", "single-DES", "C", "B"),
    ("triple_des", "3DES (64-bit block, SWEET32)", "B", "A-"),
)


def _has(suite: CipherSuite, kind: str) -> bool:
    if kind == "des":
        return suite.cipher == "DES" and not suite.export
    return bool(getattr(suite, kind))


def accepted_suites(result: ScanResult) -> dict[str, list[CipherSuite]]:
    """Protocol -> accepted suites (the deep scan's, else the one a plain scan saw)."""
    deep = result.deep
    if deep is not None and any(deep.cipher_suites.values()):
        return {p: [s for s in (suite_for(p, c) for c in codes) if not s.scsv]
                for p, codes in deep.cipher_suites.items() if codes}
    if result.cipher and result.tls_version:
        try:
            return {result.tls_version: [by_name(result.cipher)]}
        except KeyError:
            return {}
    return {}


def _names(suites: Sequence[CipherSuite]) -> str:
    names = [s.name for s in suites[:SHOWN_SUITES]]
    more = len(suites) - SHOWN_SUITES
    return ", ".join(names) + (f" (+{more})" if more > 0 else "")


def suite_caps(ctx: _Context, by_protocol: dict[str, list[CipherSuite]]) -> list[Cap]:
    caps: list[Cap] = []
    for protocol, suites in by_protocol.items():
        for attr, kind, pw_cap, mx_cap in _SUITE_KINDS:
            hits = [s for s in suites if _has(s, attr)]
            letter = pw_cap if ctx.passwords else mx_cap
            if hits and letter:
                caps.append(ctx.cap(letter, "grade.cipher", grade_kind=kind, protocol=protocol,
                                    suites=_names(hits)))
        caps += _policy_suite_caps(ctx, protocol, suites)
        caps += _kex_caps(ctx, protocol, suites)
    return caps


def _policy_suite_caps(ctx: _Context, protocol: str, suites: list[CipherSuite]) -> list[Cap]:
    """The worst policy level among the suites (anonymous ones do not count on an MX)."""
    rated = [(ctx.policy.suite_level(s.code, protocol), s) for s in suites
             if ctx.passwords or not s.anonymous]
    if not rated:
        return []
    level = max(lv for lv, _ in rated)
    if level == Level.GOOD:
        return []
    hits = [s for lv, s in rated if lv == level]
    return [ctx.cap(LEVEL_CAP[level], "grade.cipher_level", grade_level=level.label,
                    protocol=protocol, suites=_names(hits))]


def _kex_caps(ctx: _Context, protocol: str, suites: list[CipherSuite]) -> list[Cap]:
    caps: list[Cap] = []
    real = [s for s in suites if not s.null and (ctx.passwords or not s.anonymous)]
    static = [s for s in real if not s.forward_secrecy and not s.tls13]
    if static:
        letter = "B" if len(static) == len(real) else "A-"
        caps.append(ctx.cap(letter, "grade.no_forward_secrecy", protocol=protocol,
                            suites=_names(static)))
    if real and protocol in ("TLSv1.2",) and not any(s.aead for s in real):
        caps.append(ctx.cap("A-", "grade.no_aead", protocol=protocol))
    return caps


# --- groups and DH -----------------------------------------------------------------------


def group_caps(ctx: _Context, deep: DeepObservation | None) -> list[Cap]:
    if deep is None:
        return []
    caps: list[Cap] = []
    rated = [(ctx.policy.group_level(g), g) for g in deep.groups]
    if rated:
        level = max(lv for lv, _ in rated)
        if level != Level.GOOD:
            names = ", ".join(_group_label(g) for lv, g in rated if lv == level)
            caps.append(ctx.cap(LEVEL_CAP[level], "grade.group_level", grade_level=level.label,
                                groups=names))
    if deep.dh_bits:
        caps += _dh_caps(ctx, deep.dh_bits, deep.dh_group or "?")
    return caps


def _group_label(code: int) -> str:
    info = GROUP_INFO.get(code)
    return info.label if info else f"0x{code:04x}"


def _dh_caps(ctx: _Context, bits: int, group: str) -> list[Cap]:
    level = ctx.policy.key_level("dh", bits)
    if bits < 1024:
        security = ctx.by_role("F", "C")
    elif bits < 2048:
        security = ctx.by_role("B", "A-")
    else:
        security = "A+"
    letter = worst((security, LEVEL_CAP[level]))
    if letter == "A+":
        return []
    return [ctx.cap(letter, "grade.dh_weak", bits=str(bits), group=group,
                    grade_level=level.label)]


# --- certificates ------------------------------------------------------------------------


def certificates(result: ScanResult) -> list[CertInfo]:
    """The leaf of every chain the deep scan found, else the plain scan's leaf."""
    leaves: list[CertInfo] = []
    if result.deep is not None:
        for chain in result.deep.certificates:
            if chain:
                try:
                    leaves.append(cert_info(x509.load_der_x509_certificate(chain[0])))
                except ValueError:
                    continue
    if not leaves and result.certificate is not None:
        leaves.append(result.certificate)
    return leaves


def _key(info: CertInfo) -> tuple[str, int]:
    """("rsa", 2048), ("ec", 256), ("ed25519", 256), ("dsa", 1024) from CertInfo.key."""
    words = info.key.split()
    bits = int(words[-1]) if words and words[-1].isdigit() else 0
    kind = words[0].lower() if words else "?"
    return kind, bits


def cert_caps(ctx: _Context, result: ScanResult) -> list[Cap]:
    caps = _verification_caps(ctx, result.findings)
    seen: set[tuple[str, str]] = set()
    for info in certificates(result):
        if (info.key, info.signature) in seen:
            continue
        seen.add((info.key, info.signature))
        caps += _key_caps(ctx, info) + _signature_caps(ctx, info)
    return caps


def _verification_caps(ctx: _Context, findings: Sequence[Finding]) -> list[Cap]:
    failed = [f.id for f in findings if f.id in VERIFY_FAILURES]
    if not failed:
        return []
    primary = next((f.id for f in findings if f.primary and f.id in VERIFY_FAILURES), failed[0])
    if ctx.passwords:
        return [ctx.cap("F", "grade.cert_verification", finding=primary)]
    return [ctx.cap("A", "grade.cert_mx", finding=primary)]


def _key_caps(ctx: _Context, info: CertInfo) -> list[Cap]:
    kind, bits = _key(info)
    level = ctx.policy.key_level(kind, bits)
    security = "A+"
    if kind in ("rsa", "dsa") and bits < 1024:
        security = ctx.by_role("F", "C")
    letter = worst((security, LEVEL_CAP[level]))
    if letter == "A+":
        return []
    return [ctx.cap(letter, "grade.cert_key", key=info.key, grade_level=level.label,
                    minimum=str(ctx.policy.keys.minimum("rsa")))]


def _signature_caps(ctx: _Context, info: CertInfo) -> list[Cap]:
    if info.self_issued:
        return []  # a self-signed leaf's own signature protects nothing; verification rules
    level = ctx.policy.signature_level(info.signature)
    weak = any(h in info.signature.lower() for h in ("sha1", "md5", "md2"))
    security = ctx.by_role("C", "A-") if weak else "A+"
    letter = worst((security, LEVEL_CAP[level]))
    if letter == "A+":
        return []
    return [ctx.cap(letter, "grade.cert_signature", signature=info.signature,
                    grade_level=level.label)]
