"""Frozen data passed between the layers: targets, observations, findings, results.

Data flows one way: Target -> probe -> Observation -> checks -> Finding -> ScanResult.
Nothing here does I/O; everything is immutable and serialisable.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class Severity(enum.IntEnum):
    """Finding severity; the integer order is the order of gravity."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None


@dataclass(frozen=True)
class Scheme:
    """How a URL scheme talks: its mail protocol, TLS mode and default port."""

    name: str
    protocol: str  # smtp, imap, pop3, sieve
    implicit_tls: bool
    default_port: int


SCHEMES: Mapping[str, Scheme] = MappingProxyType(
    {
        s.name: s
        for s in (
            Scheme("smtp", "smtp", False, 25),
            Scheme("submission", "smtp", False, 587),
            Scheme("smtps", "smtp", True, 465),
            Scheme("imap", "imap", False, 143),
            Scheme("imaps", "imap", True, 993),
            Scheme("pop3", "pop3", False, 110),
            Scheme("pop3s", "pop3", True, 995),
            Scheme("sieve", "sieve", False, 4190),
        )
    }
)

#: Well-known port -> scheme, used for ``HOST:PORT`` targets without a scheme.
PORT_SCHEMES: Mapping[int, str] = MappingProxyType(
    {s.default_port: s.name for s in SCHEMES.values()} | {2525: "smtp"}
)


@dataclass(frozen=True)
class Target:
    """One mail endpoint: what to verify (host) and, optionally, where to connect (address)."""

    scheme: str
    host: str
    port: int
    address: str | None = None  # forced address (--resolve); resolved by the engine otherwise

    @property
    def spec(self) -> Scheme:
        return SCHEMES[self.scheme]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class Location:
    """Where a finding comes from in a file (config audit, lint); lines count from 1."""

    file: str
    line: int
    column: int | None = None  # 1-based
    end_line: int | None = None
    end_column: int | None = None
    snippet: str | None = None  # the source line(s), for terminal output


@dataclass(frozen=True)
class Finding:
    """One thing found: a stable id, a severity and the facts that fill its texts.

    Titles, details and remediations live in the catalogue; ``params`` are the
    facts (names, dates, fingerprints) that the catalogue's templates take.
    ``location`` is set for findings in files; ``fix`` is a machine-usable fix that
    is not prose (a ``postconf -e '...'`` command, a replacement line), never translated.
    """

    id: str
    severity: Severity
    params: Mapping[str, str] = field(default_factory=dict)
    primary: bool = False
    location: Location | None = None
    fix: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


@dataclass(frozen=True)
class CertInfo:
    """The facts of one certificate that reports show."""

    subject: str
    issuer: str
    not_before: str  # ISO 8601, UTC
    not_after: str
    sha256: str
    spki_sha256: str  # base64, as used for pins
    san: tuple[str, ...]
    serial: str
    key: str  # e.g. "RSA 2048", "EC secp256r1"
    signature: str  # e.g. "sha256WithRSAEncryption"
    self_issued: bool
    is_ca: bool


@dataclass(frozen=True)
class Observation:
    """What one connection to one endpoint saw."""

    target: Target
    address: str | None = None
    banner: str | None = None
    capabilities: tuple[str, ...] = ()  # before TLS (STARTTLS schemes)
    capabilities_after_tls: tuple[str, ...] = ()
    starttls_offered: bool | None = None
    bytes_after_starttls: bytes = b""  # sent by the server before the handshake: injection
    tls_version: str | None = None
    cipher: str | None = None
    chain_der: tuple[bytes, ...] = ()
    error_id: str | None = None  # conn.refused, conn.timeout, tls.handshake_failed, ...
    error: str | None = None
    elapsed: float = 0.0
    transcript: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ScanResult:
    """Everything reported for one endpoint."""

    target: Target
    address: str | None
    tls_version: str | None
    cipher: str | None
    certificate: CertInfo | None
    chain: tuple[CertInfo, ...]
    findings: tuple[Finding, ...]
    tested: bool  # False when the endpoint could not be tested at all
    elapsed: float = 0.0
    error: str | None = None
    deep: DeepObservation | None = None  # with scan --deep
    grade: GradeInfo | None = None  # with scan --deep or --policy
    chains: tuple[tuple[CertInfo, ...], ...] = ()  # every chain --deep found (RSA, ECDSA...)
    #: the certification path that was judged, leaf .. anchor (the anchor may come from the
    #: trust store, not from the server); empty when no path reached an anchor
    path: tuple[CertInfo, ...] = ()
    #: the chain as sent, DER, leaf first (DANE matches these bytes; not in the JSON report)
    chain_der: tuple[bytes, ...] = ()


    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


@dataclass(frozen=True)
class GradeInfo:
    """The letter grade of one result (computed by mailtls.policy): the letter, the policy
    and role it was graded for, and the grade.* findings that capped it, worst first."""

    letter: str
    policy: str
    role: str
    reasons: tuple[Finding, ...] = ()


#: Protocol versions in order, as reports name them.
PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


class ProbeOutcome(enum.Enum):
    """Why one deep-scan probe has no result: internal outcome ids, not catalogue ids."""

    THROTTLED = "throttled"  # 421 or refused connections, still after the retries
    FAILED = "failed"  # the connection failed otherwise (closed, timeout, handshake)
    BUDGET = "budget"  # the connection budget was spent
    ERROR = "error"  # an exception inside mailtls's probe (a bug, a parser surprise)


@dataclass(frozen=True)
class ProbeFailure:
    """One deep-scan probe that ended without its result (``DeepObservation.outcomes``)."""

    probe: str  # what the connection or probe was for ("TLSv1.2 suites", "fallback SCSV")
    outcome: ProbeOutcome
    cause: str | None = None  # the catalogue id of the failure (conn.rate_limited, ...)


@dataclass(frozen=True)
class DeepObservation:
    """What ``scan --deep`` saw of one endpoint, beyond the one handshake of a plain scan.

    Code points are ints (cipher suites, groups); names come from the TLS registry at
    render time. ``None`` means "not determined" (a probe was throttled, failed or not
    run), never "no": with ``incomplete`` set, absent results are not negative results.
    """

    protocols: Mapping[str, bool | None] = field(default_factory=dict)  # PROTOCOLS -> offered
    cipher_suites: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # server order
    server_order: Mapping[str, bool | None] = field(default_factory=dict)  # per protocol
    groups: tuple[int, ...] = ()  # named groups accepted (server order when it has one)
    group_server_order: bool | None = None
    dh_bits: int | None = None  # smallest DHE group the server used
    dh_group: str | None = None  # a well-known group's name (ffdhe2048, Oakley group 2...)
    certificates: tuple[tuple[bytes, ...], ...] = ()  # every chain found (RSA, ECDSA, ...)
    ocsp_stapling: bool | None = None
    session_ids: bool | None = None  # resumption by session id
    session_tickets: bool | None = None
    compression: bool | None = None  # CRIME
    secure_renegotiation: bool | None = None  # RFC 5746
    client_renegotiation: bool | None = None  # client-initiated renegotiation accepted
    fallback_scsv: bool | None = None  # True: the server refuses an inappropriate fallback
    extended_master_secret: bool | None = None
    heartbeat: bool | None = None  # the extension is offered
    heartbleed: str | None = None  # "vulnerable", "not vulnerable", "inconclusive"
    ccs_injection: str | None = None
    robot: str | None = None  # as heartbleed, or "not applicable" (no TLS_RSA_* suite)
    robot_oracle: str | None = None  # "strong" or "weak" when robot is "vulnerable"
    robot_evidence: tuple[str, ...] = ()  # "padding: answer", one per ROBOT payload
    robot_connections: int = 0  # of ``connections``, those ROBOT opened (5 to 15)
    starttls_injection: str | None = None
    starttls_injection_evidence: tuple[str, ...] = ()  # the replies that gave it away
    mail_without_tls: int | None = None  # reply code to MAIL FROM before STARTTLS (SMTP)
    starttls_seen: tuple[bool, ...] = ()  # STARTTLS advertised, per connection
    connections: int = 0
    incomplete: bool = False
    notes: tuple[str, ...] = ()
    outcomes: tuple[ProbeFailure, ...] = ()  # the probes without a result, and why
