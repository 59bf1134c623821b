"""One verdict per domain from the facts gathered (pure: no I/O, time injected).

Per MX host the mechanism a careful sender applies (RFC 8461 section 2: DANE first):

* ``dane``: the MX RRset, the host's addresses and its TLSA RRset are DNSSEC-secure and at
  least one TLSA record is usable (RFC 7672 section 2.2); every address must match;
* ``dane-bogus``: the TLSA lookup is bogus: senders defer (RFC 7672 section 2.1.1);
* ``enforce`` / ``testing``: an MTA-STS policy in that mode: the host must be covered by an
  ``mx`` pattern and present a certificate valid for its name on every address;
* ``none``: opportunistic TLS.

The domain: ``authenticated`` when every host is under DANE or an enforced policy and every
address passes; ``broken`` when every host is under one and no address passes (careful
senders defer all mail), or the MX lookup is bogus, or no MX host has an address;
``opportunistic`` when no host has any mechanism; ``partly`` otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..catalog import new_finding
from ..model import Finding, ScanResult, Severity
from . import dane
from .dnssec import BOGUS, INDETERMINATE, SECURE, Answer, worst
from .mtasts import Policy, StsRecord, TlsRpt, mx_covered

AUTHENTICATED, PARTLY, OPPORTUNISTIC, BROKEN = "authenticated", "partly", "opportunistic", "broken"
ENFORCED = ("dane", "dane-bogus", "enforce")


@dataclass(frozen=True)
class HostFacts:
    host: str
    preference: int
    addresses: Answer  # the A lookup (its status stands for the host's address records)
    addresses6: Answer
    tlsa: Answer


@dataclass(frozen=True)
class StsFacts:
    record: StsRecord
    policy: Policy | None = None
    findings: tuple[Finding, ...] = ()  # fetch and syntax problems


@dataclass(frozen=True)
class Facts:
    domain: str
    mx: Answer
    hosts: tuple[HostFacts, ...]
    scans: tuple[ScanResult, ...]
    sts: StsFacts
    tlsrpt: TlsRpt
    notes: tuple[Finding, ...] = ()  # from MX discovery (mx.null, mx.implicit)
    errors: tuple[str, ...] = ()  # MX hosts without addresses, failed lookups
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class AddressVerdict:
    address: str
    scan: ScanResult
    ok: bool
    matched: str = ""  # the TLSA record that matched
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class HostVerdict:
    host: str
    preference: int
    mechanism: str
    ok: bool
    dnssec: dict[str, str]
    tlsa: tuple[str, ...]
    addresses: tuple[AddressVerdict, ...]
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class DomainReport:
    domain: str
    verdict: str
    mx_dnssec: str
    hosts: tuple[HostVerdict, ...]
    sts: StsFacts
    tlsrpt: TlsRpt
    findings: tuple[Finding, ...]

    @property
    def all_findings(self) -> list[Finding]:
        found = list(self.findings)
        for h in self.hosts:
            found += h.findings
            for a in h.addresses:
                found += a.findings
        return found


def dnssec_findings(answer: Answer) -> list[Finding]:
    if answer.status == BOGUS:
        return [new_finding("dnssec.bogus", name=answer.name, rdtype=answer.rdtype,
                            dnssec_reason=answer.reason, zone=answer.zone)]  # fmt: skip
    if answer.status == INDETERMINATE:
        return [new_finding("dnssec.lookup_failed", name=answer.name, rdtype=answer.rdtype,
                            reason=answer.reason)]  # fmt: skip
    return []


def _mechanism(facts: Facts, h: HostFacts, records: list[dane.Tlsa]) -> str:
    addr_status = worst(h.addresses.status, h.addresses6.status)
    if h.tlsa.status == BOGUS:
        return "dane-bogus"
    chain_secure = facts.mx.status == SECURE and addr_status == SECURE
    if chain_secure and h.tlsa.status == SECURE and any(r.usable for r in records):
        return "dane"
    policy = facts.sts.policy
    if policy is not None and policy.mode in ("enforce", "testing"):
        return policy.mode
    return "none"


def _dane_address(facts: Facts, h: HostFacts, records: list[dane.Tlsa],
                  r: ScanResult) -> AddressVerdict:  # fmt: skip
    address = r.address or r.target.address or "?"
    if not r.chain_der:
        f = new_finding("dane.no_tls", host=h.host, address=address)
        return AddressVerdict(address, r, False, "", (f,))
    m = dane.match_chain(records, r.chain_der, (h.host, facts.domain), facts.now)
    if m.ok:
        record = str(m.record)
        f = new_finding("dane.match", host=h.host, address=address, record=record[:40])
        return AddressVerdict(address, r, True, record, (f,))
    ids = {"ta_path": "dane.ta_path", "ta_name": "dane.ta_name", "ta_dates": "dane.ta_dates"}
    fid = ids.get(m.problem, "dane.no_match")
    leaf = r.certificate.spki_sha256 if r.certificate else "?"
    f = new_finding(fid, host=h.host, address=address, spki=leaf)
    return AddressVerdict(address, r, False, "", (f,))


def _sts_address(facts: Facts, h: HostFacts, mode: str, r: ScanResult) -> AddressVerdict:
    address = r.address or r.target.address or "?"
    severity = Severity.MEDIUM if mode == "testing" else None
    if any(f.id == "cert.verified" for f in r.findings):
        return AddressVerdict(address, r, True)
    cause = next((f.id for f in r.findings if f.primary), None) or (
        r.findings[0].id if r.findings else "?")  # fmt: skip
    f = new_finding("mtasts.mx_cert_invalid", host=h.host, address=address, cause=cause,
                    severity=severity)  # fmt: skip
    return AddressVerdict(address, r, False, "", (f,))


def _host(facts: Facts, h: HostFacts) -> HostVerdict:
    records = dane.parse_tlsa(h.tlsa.texts)
    mechanism = _mechanism(facts, h, records)
    scans = [r for r in facts.scans if r.target.host == h.host]
    findings: list[Finding] = []
    for answer in (h.addresses, h.addresses6, h.tlsa):
        findings += dnssec_findings(answer)
    findings += _tlsa_context(facts, h, records, mechanism)
    addresses: list[AddressVerdict] = []
    if mechanism == "dane":
        addresses = [_dane_address(facts, h, records, r) for r in scans]
        matched = {m for a in addresses for m in records if a.matched == str(m)}
        findings += dane.rollover_findings(h.host, records, matched)
    elif mechanism in ("enforce", "testing"):
        assert facts.sts.policy is not None
        if not mx_covered(h.host, facts.sts.policy.mx):
            severity = Severity.MEDIUM if mechanism == "testing" else None
            findings.append(new_finding("mtasts.mx_not_covered", host=h.host,
                                        patterns=", ".join(facts.sts.policy.mx),
                                        severity=severity))  # fmt: skip
            addresses = [AddressVerdict(r.address or "?", r, False) for r in scans]
        else:
            addresses = [_sts_address(facts, h, mechanism, r) for r in scans]
    else:
        addresses = [AddressVerdict(r.address or "?", r, False) for r in scans]
    ok = bool(addresses) and all(a.ok for a in addresses) and mechanism != "dane-bogus"
    status = {"mx": facts.mx.status, "address": worst(h.addresses.status, h.addresses6.status),
              "tlsa": h.tlsa.status}  # fmt: skip
    return HostVerdict(h.host, h.preference, mechanism, ok, status, h.tlsa.texts,
                       tuple(addresses), tuple(findings))  # fmt: skip


def _tlsa_context(facts: Facts, h: HostFacts, records: list[dane.Tlsa],
                  mechanism: str) -> list[Finding]:  # fmt: skip
    """TLSA records nobody will use (unsigned zone, insecure MX), and the records' own notes."""
    if not records:
        return []
    if h.tlsa.status != SECURE:
        if h.tlsa.status == BOGUS:
            return []
        return [new_finding("dane.tlsa_insecure", host=h.host, zone=h.tlsa.zone)]
    found = dane.record_findings(h.host, records)
    if mechanism != "dane" and facts.mx.status != SECURE:
        found.append(new_finding("dane.mx_insecure", host=h.host, domain=facts.domain))
    return found


def _verdict(facts: Facts, hosts: Sequence[HostVerdict]) -> str:
    if facts.mx.status == BOGUS or not any(h.addresses for h in hosts):
        return BROKEN if facts.hosts or facts.mx.status == BOGUS else OPPORTUNISTIC
    enforced = [h for h in hosts if h.mechanism in ENFORCED]
    if len(enforced) == len(hosts) and all(h.ok for h in hosts):
        return AUTHENTICATED
    if len(enforced) == len(hosts) and not any(a.ok for h in hosts for a in h.addresses):
        return BROKEN
    if all(h.mechanism == "none" for h in hosts):
        return OPPORTUNISTIC
    return PARTLY


def evaluate(facts: Facts) -> DomainReport:
    hosts = tuple(_host(facts, h) for h in facts.hosts)
    findings = [*facts.notes, *dnssec_findings(facts.mx), *facts.sts.record.findings,
                *facts.sts.findings, *facts.tlsrpt.findings]  # fmt: skip
    findings += [new_finding("domain.mx_unreachable", domain=facts.domain, reason=e)
                 for e in facts.errors]  # fmt: skip
    verdict = _verdict(facts, hosts)
    if facts.sts.policy is not None and facts.sts.policy.mode == "none":
        findings.append(new_finding("mtasts.mode_none", domain=facts.domain))
    verdict_ids = {AUTHENTICATED: "domain.authenticated", PARTLY: "domain.partly",
                   OPPORTUNISTIC: "domain.opportunistic", BROKEN: "domain.broken"}  # fmt: skip
    if not any(f.id == "mx.null" for f in facts.notes):
        findings.insert(0, new_finding(verdict_ids[verdict], primary=True, domain=facts.domain))
    return DomainReport(facts.domain, verdict, facts.mx.status, hosts, facts.sts, facts.tlsrpt,
                        tuple(findings))  # fmt: skip


def with_findings(report: DomainReport, extra: Sequence[Finding]) -> DomainReport:
    return replace(report, findings=(*report.findings, *extra))
