"""The classifier: one primary cause per certificate situation, with time pinned."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from mailtls.lab.pki import CA, build_lab_pki, new_key, self_signed
from mailtls.model import Severity
from mailtls.verify import TrustStore, diagnose, match_hostname

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return build_lab_pki(NOW)


@pytest.fixture(scope="module")
def store(pki) -> TrustStore:  # type: ignore[no-untyped-def]
    return TrustStore("lab CA", (pki.root.cert,))


def chain_of(issued) -> list[x509.Certificate]:  # type: ignore[no-untyped-def]
    return [issued.cert, *issued.chain]


SITUATIONS = [
    "good",
    "expired",
    "not-yet-valid",
    "expires-soon",
    "wrong-host",
    "self-signed",
    "untrusted",
    "chain-incomplete",
    "weak-key",
    "weak-signature",
    "not-for-server",
]


@pytest.mark.parametrize("name", SITUATIONS)
def test_each_situation_has_exactly_its_primary_cause(pki, store, name) -> None:  # type: ignore[no-untyped-def]
    s = pki.situations[name]
    d = diagnose(chain_of(s.issued), "localhost", store, NOW)
    ids = [f.id for f in d.findings]
    if s.expect == "cert.verified":
        assert ids == ["cert.verified"] and d.primary is None and d.verified
        return
    assert d.primary is not None and d.primary.id == s.expect
    # the one cause, not a cascade: nothing else above info for a one-defect certificate
    assert [f.id for f in d.findings if f.severity > Severity.INFO] == [s.expect]
    assert sum(f.primary for f in d.findings) == 1


def test_failures_that_fail_verification_are_critical(pki, store) -> None:  # type: ignore[no-untyped-def]
    for name in (
        "expired",
        "not-yet-valid",
        "wrong-host",
        "self-signed",
        "untrusted",
        "chain-incomplete",
    ):
        d = diagnose(chain_of(pki.situations[name].issued), "localhost", store, NOW)
        assert d.primary is not None and d.primary.severity is Severity.CRITICAL


def test_details_name_the_certificate_and_dates(pki, store) -> None:  # type: ignore[no-untyped-def]
    d = diagnose(chain_of(pki.situations["expired"].issued), "localhost", store, NOW)
    p = d.primary
    assert p is not None
    assert p.params["days"] == "10"
    assert p.params["not_after"].startswith((NOW - 10 * DAY).date().isoformat())
    assert "CN=localhost" in p.params["subject"]
    d = diagnose(chain_of(pki.situations["wrong-host"].issued), "localhost", store, NOW)
    assert d.primary is not None and d.primary.params["names"] == "mail.other.test"


def test_time_is_injected_not_read(pki, store) -> None:  # type: ignore[no-untyped-def]
    good = chain_of(pki.situations["good"].issued)
    later = NOW + 200 * DAY
    assert diagnose(good, "localhost", store, later).primary.id == "cert.expired"  # type: ignore[union-attr]
    assert diagnose(good, "localhost", store, NOW - 10 * DAY).primary.id == "cert.not_yet_valid"  # type: ignore[union-attr]
    soon = diagnose(good, "localhost", store, NOW + 80 * DAY, warn_days=30)
    assert soon.primary is not None and soon.primary.id == "cert.expires_soon"
    assert soon.primary.params["days"] == "10"  # the leaf is valid for 90 days


def test_warn_days_threshold(pki, store) -> None:  # type: ignore[no-untyped-def]
    chain = chain_of(pki.situations["expires-soon"].issued)
    assert [f.id for f in diagnose(chain, "localhost", store, NOW, warn_days=5).findings] == [
        "cert.verified"
    ]


def test_self_signed_trusted_explicitly_through_ca_file(pki) -> None:  # type: ignore[no-untyped-def]
    leaf = pki.situations["self-signed"].issued.cert
    pinned = TrustStore("pinned", (leaf,))
    assert [f.id for f in diagnose([leaf], "localhost", pinned, NOW).findings] == ["cert.verified"]


def test_mozilla_store_does_not_trust_the_lab(pki) -> None:  # type: ignore[no-untyped-def]
    d = diagnose(chain_of(pki.situations["good"].issued), "localhost", TrustStore.mozilla(), NOW)
    # leaf + intermediate sent, the lab root unknown: the chain ends at an unknown issuer
    assert d.primary is not None and d.primary.id == "cert.untrusted"
    assert "mailtls lab root CA" in d.primary.params["issuer"]


def test_root_sent_along_is_fine_and_unknown_root_sent_is_untrusted(pki, store) -> None:  # type: ignore[no-untyped-def]
    s = pki.situations["good"].issued
    assert diagnose([*chain_of(s), pki.root.cert], "localhost", store, NOW).verified
    rogue_root = CA.root("Rogue Root", now=NOW)
    rogue = rogue_root.intermediate("Rogue Int")
    leaf = rogue.leaf(("localhost",))
    d = diagnose([leaf.cert, *leaf.chain, rogue_root.cert], "localhost", store, NOW)
    assert d.primary is not None and d.primary.id == "cert.untrusted"
    assert "Rogue Root" in d.primary.params["issuer"]


def test_expired_intermediate_is_named(store, pki) -> None:  # type: ignore[no-untyped-def]
    root = pki.root
    old = CA(root.issued, NOW - 2000 * DAY).intermediate("Old Intermediate")
    leaf = CA(old.issued, NOW).leaf(("localhost",))
    d = diagnose([leaf.cert, old.cert], "localhost", store, NOW)
    assert d.primary is not None and d.primary.id == "cert.expired"
    assert "Old Intermediate" in d.primary.params["subject"]


def test_multiple_defects_pick_trust_first(store) -> None:  # type: ignore[no-untyped-def]
    leaf = self_signed(("other.example",), NOW - 800 * DAY).cert  # self-signed, expired, wrong host
    d = diagnose([leaf], "localhost", store, NOW)
    assert [f.id for f in d.findings] == [
        "cert.self_signed",
        "cert.expired",
        "cert.hostname_mismatch",
    ]
    assert d.findings[0].primary and not any(f.primary for f in d.findings[1:])


def test_weak_ec_curve(store, pki) -> None:  # type: ignore[no-untyped-def]
    root = pki.root
    i2 = root.intermediate("P192 issuer")
    leaf = i2.leaf(("localhost",), key=new_key("ec", 192))
    d = diagnose([leaf.cert, *leaf.chain], "localhost", TrustStore("t", (root.cert,)), NOW)
    assert d.primary is not None and d.primary.id == "cert.weak_key"
    assert d.primary.params["bits"] == "192" and "secp192r1" in d.primary.params["key"]


def test_no_certificate() -> None:
    d = diagnose([], "localhost", TrustStore("empty", ()), NOW)
    assert d.primary is not None and d.primary.id == "cert.none"


@pytest.mark.parametrize(
    ("names", "host", "ok"),
    [
        (["mail.example.com"], "mail.example.com", True),
        (["mail.example.com"], "MAIL.example.com.", True),
        (["*.example.com"], "mail.example.com", True),
        (["*.example.com"], "example.com", False),
        (["*.example.com"], "a.mail.example.com", False),
        (["mail.*.com"], "mail.example.com", False),
        (["*.com"], "example.com", False),
        (["xn--bcher-kva.example"], "bücher.example", True),
        (["192.0.2.1"], "192.0.2.1", True),
        (["192.0.2.1"], "192.0.2.2", False),
        (["mail.example.com"], "192.0.2.1", False),
        (["2001:db8::1"], "2001:db8:0::1", True),
    ],
)
def test_hostname_matching(names, host, ok) -> None:  # type: ignore[no-untyped-def]
    root = CA.root(now=NOW)
    leaf = root.leaf(names)
    assert match_hostname(leaf.cert, host) is ok


def test_common_name_is_never_used() -> None:
    root = CA.root(now=NOW)
    leaf = root.leaf((), eku=())  # CN "no name", no SAN at all
    assert not match_hostname(leaf.cert, "no name")
    d = diagnose([leaf.cert], "localhost", TrustStore("r", (root.cert,)), NOW)
    assert d.primary is not None and d.primary.id == "cert.hostname_mismatch"
    assert d.primary.params["names"] == "(no subjectAltName)"


def test_sha1_on_a_root_is_ignored(pki, store) -> None:  # type: ignore[no-untyped-def]
    # Roots are trusted by presence, not by their self-signature.
    s = pki.situations["good"].issued
    assert hashes.SHA256().name == s.cert.signature_hash_algorithm.name  # type: ignore[union-attr]
    assert diagnose(chain_of(s), "localhost", store, NOW).verified
