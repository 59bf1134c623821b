"""The validator against Knot's real signatures, with answers tampered on the way in.

The tampering query function stands for an on-path attacker (or a second, unsigned
server): it changes records, drops signatures or proofs after Knot signed them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import dns.message
import dns.name
import dns.rdatatype
import dns.rrset
import pytest
from knotlab import DomainLab

from mailtls.domain import dnssec
from mailtls.net.dns import Transport, parse_server

pytestmark = pytest.mark.servers

Tamper = Callable[[dns.message.Message], None]


def validator(lab: DomainLab, tamper: Tamper | None = None, now: float | None = None,
              anchor: str | None = None) -> dnssec.Validator:
    transport = Transport(parse_server(lab.resolver))

    def query(name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
        msg = transport.query(name, rdtype)
        if tamper is not None:
            tamper(msg)
            msg = dns.message.from_wire(msg.to_wire())  # as received: the index rebuilt
        return msg

    anchors = dnssec.parse_anchors(anchor or lab.anchor.read_text())
    return dnssec.Validator(query, anchors, now or time.time())


def test_secure_insecure_and_nxdomain(domain_lab: DomainLab) -> None:
    v = validator(domain_lab)
    mx = v.lookup("dane.test.", "MX")
    assert mx.status == dnssec.SECURE and mx.zone == "dane.test."
    assert sorted(mx.texts) == ["10 mx1.dane.test.", "20 mx2.dane.test."]
    plain = v.lookup("unsigned.test.", "MX")
    assert plain.status == dnssec.INSECURE and plain.reason == dnssec.R_UNSIGNED
    gone = v.lookup("nothere.dane.test.", "A")
    assert gone.status == dnssec.SECURE and gone.nxdomain and gone.rrset is None


def test_wrong_ds_in_parent_is_bogus(domain_lab: DomainLab) -> None:
    answer = validator(domain_lab).lookup("mx1.bogus.test.", "A")
    assert answer.status == dnssec.BOGUS and answer.reason == dnssec.R_DS_MISMATCH


def _change_a(msg: dns.message.Message) -> None:
    for rrset in msg.answer:
        if rrset.rdtype == dns.rdatatype.A:
            msg.answer[msg.answer.index(rrset)] = dns.rrset.from_text(
                rrset.name, rrset.ttl, "IN", "A", "127.0.0.66")


def test_changed_record_is_bogus(domain_lab: DomainLab) -> None:
    answer = validator(domain_lab, _change_a).lookup("mx1.dane.test.", "A")
    assert answer.status == dnssec.BOGUS and answer.reason == dnssec.R_BAD_SIGNATURE


def _strip(rdtype: int, section: str) -> Tamper:
    def tamper(msg: dns.message.Message) -> None:
        kept = [r for r in getattr(msg, section)
                if r.rdtype != rdtype and r.covers != rdtype]
        setattr(msg, section, kept)
    return tamper


def test_stripped_signature_is_bogus(domain_lab: DomainLab) -> None:
    def tamper(msg: dns.message.Message) -> None:
        msg.answer = [r for r in msg.answer
                      if not (r.rdtype == dns.rdatatype.RRSIG and r.covers == dns.rdatatype.TLSA)]
    answer = validator(domain_lab, tamper).lookup("_25._tcp.mx1.dane.test.", "TLSA")
    assert answer.status == dnssec.BOGUS and answer.reason == dnssec.R_NO_SIGNATURE


def test_stripped_denial_is_bogus(domain_lab: DomainLab) -> None:
    v = validator(domain_lab, _strip(dns.rdatatype.NSEC, "authority"))
    answer = v.lookup("_25._tcp.nomx.dane.test.", "TLSA")
    assert answer.status == dnssec.BOGUS


def test_expired_signatures_are_bogus(domain_lab: DomainLab) -> None:
    later = time.time() + 400 * 86400  # Knot signs for two weeks
    answer = validator(domain_lab, now=later).lookup("dane.test.", "MX")
    assert answer.status == dnssec.BOGUS


def test_anchor_for_another_key_is_bogus(domain_lab: DomainLab) -> None:
    wrong = domain_lab.anchor.read_text().split("\n")[0]
    wrong = wrong[:-1] + ("0" if wrong[-1] != "0" else "1")
    answer = validator(domain_lab, anchor=wrong).lookup("dane.test.", "MX")
    assert answer.status == dnssec.BOGUS and answer.reason == dnssec.R_ANCHOR_KEY


def test_name_outside_the_anchor_is_insecure(domain_lab: DomainLab) -> None:
    v = validator(domain_lab, anchor="example. DS 1 13 2 " + "00" * 32)
    answer = v.lookup("dane.test.", "MX")
    assert answer.status == dnssec.INSECURE and answer.reason == dnssec.R_NO_ANCHOR
