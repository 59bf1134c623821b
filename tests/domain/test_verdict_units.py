"""The verdict rules over hand-made facts (no network): DANE first, bogus TLSA defers."""

from __future__ import annotations

import dns.rrset

from mailtls.domain.dnssec import BOGUS, INSECURE, SECURE, Answer
from mailtls.domain.evaluate import Facts, HostFacts, StsFacts, evaluate
from mailtls.domain.mtasts import Policy, StsRecord, TlsRpt
from mailtls.model import ScanResult, Target


def answer(name: str, rdtype: str, status: str, *texts: str) -> Answer:
    rrset = dns.rrset.from_text_list(name, 300, "IN", rdtype, list(texts)) if texts else None
    return Answer(name, rdtype, status, rrset, zone="d.test.")


def facts(tlsa_status: str, policy: Policy | None = None) -> Facts:
    host = HostFacts("mx.d.test", 10, answer("mx.d.test.", "A", SECURE, "127.0.0.1"),
                     answer("mx.d.test.", "AAAA", SECURE),
                     answer("_25._tcp.mx.d.test.", "TLSA", tlsa_status, "3 1 1 " + "ab" * 32))
    scan = ScanResult(Target("smtp", "mx.d.test", 25, "127.0.0.1"), "127.0.0.1", None, None,
                      None, (), (), False)
    sts = StsFacts(StsRecord(policy is not None, "1" if policy else None), policy)
    return Facts("d.test", answer("d.test.", "MX", SECURE, "10 mx.d.test."), (host,), (scan,),
                 sts, TlsRpt(False))


def test_bogus_tlsa_defers_even_with_mta_sts() -> None:
    report = evaluate(facts(BOGUS, Policy("enforce", 86400, ("mx.d.test",))))
    (host,) = report.hosts
    assert host.mechanism == "dane-bogus" and not host.ok
    assert report.verdict == "broken"


def test_dane_precedes_mta_sts() -> None:
    report = evaluate(facts(SECURE, Policy("enforce", 86400, ("mx.d.test",))))
    assert report.hosts[0].mechanism == "dane"
    assert "dane.no_tls" in {f.id for f in report.all_findings}


def test_insecure_tlsa_falls_back_to_mta_sts() -> None:
    report = evaluate(facts(INSECURE, Policy("testing", 86400, ("mx.d.test",))))
    assert report.hosts[0].mechanism == "testing" and report.verdict == "partly"
    assert evaluate(facts(INSECURE)).verdict == "opportunistic"
