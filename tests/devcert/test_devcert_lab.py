"""The built-in lab's CA is a constrained devcert CA (it practises what it preaches)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509 import verification

from mailtls.lab.pki import build_lab_pki
from mailtls.pki.names import DEFAULT_DNS

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_lab_root_and_intermediate_are_name_constrained() -> None:
    pki = build_lab_pki(NOW)
    inter = pki.situations["good"].issued.chain[0]
    for cert in (pki.root.cert, inter):
        nc = cert.extensions.get_extension_for_class(x509.NameConstraints)
        assert nc.critical
        dns = [g.value for g in nc.value.permitted_subtrees or () if isinstance(g, x509.DNSName)]
        assert dns == list(DEFAULT_DNS)


def test_lab_root_cannot_vouch_for_a_public_name() -> None:
    pki = build_lab_pki(NOW)
    verifier = verification.PolicyBuilder().store(verification.Store([pki.root.cert])).time(NOW)
    leaf = pki.situations["wrong-host"].issued  # mail.other.test: inside .test, accepted
    verifier.build_server_verifier(x509.DNSName("mail.other.test")).verify(leaf.cert, leaf.chain)
    # even an intermediate made without constraints under the lab root cannot vouch for it
    forged = pki.root.intermediate().leaf(("mail.example.com",))
    with pytest.raises(verification.VerificationError):
        verifier.build_server_verifier(x509.DNSName("mail.example.com")).verify(
            forged.cert, forged.chain)
