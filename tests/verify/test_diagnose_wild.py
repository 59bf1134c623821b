"""Certificates stranger than the lab: each names its cause, none crashes, none hides a critical.

One test per case of issue 9; each fails when the code it guards is removed (path
backtracking, the validator call, the anchor's dates, the part-by-part reading, the date
precision, IDNA 2008).
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from mailtls.model import Severity
from mailtls.verify import TrustStore, diagnose
from support.chains import DAY, NOW, Authority, cached_key, der, patch

HOST = "mail.example.test"


def ids(d) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.id for f in d.findings]


def above_info(d) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.id for f in d.findings if f.severity > Severity.INFO]


@pytest.fixture(scope="module")
def root() -> Authority:
    return Authority.root("Wild Root")


@pytest.fixture(scope="module")
def store(root: Authority) -> TrustStore:
    return TrustStore("wild", (root.cert,))


# --- a valid chain is never called untrusted ---------------------------------------------


def test_cross_signed_intermediate_during_a_root_migration(root: Authority) -> None:
    old_root = Authority.root("Old Root")
    new_root = root
    inter_old = old_root.sub("Migrating CA")
    inter_new = new_root.cross(inter_old)  # same subject and key, signed by the new root
    leaf = inter_old.leaf((HOST,))
    only_new = TrustStore("new root only", (new_root.cert,))
    for chain in (
        [leaf, inter_old.cert, inter_new],
        [leaf, inter_new, inter_old.cert],
        [leaf, old_root.cert, inter_old.cert, inter_new],
    ):
        d = diagnose(chain, HOST, only_new, NOW)
        assert ids(d) == ["cert.verified"], ids(d)
        assert d.path[-1] == new_root.cert and d.path[1] == inter_new


def test_chain_in_reverse_order_with_extras(root: Authority, store: TrustStore) -> None:
    inter = root.sub("Middle CA")
    lower = inter.sub("Lower CA")
    leaf = lower.leaf((HOST,))
    stranger = Authority.root("Stranger Root").sub("Stranger CA").cert
    d = diagnose([leaf, stranger, root.cert, inter.cert, lower.cert], HOST, store, NOW)
    assert ids(d) == ["cert.verified"]
    assert d.path == (leaf, lower.cert, inter.cert, root.cert)


def test_expired_path_loses_to_a_valid_one(root: Authority, store: TrustStore) -> None:
    """Two issuers of the same name: the expired one comes first, the valid one wins."""
    inter = root.sub("Twin CA")
    expired_twin = root.cross(inter, not_after=NOW - 5 * DAY)
    leaf = inter.leaf((HOST,))
    d = diagnose([leaf, expired_twin, inter.cert], HOST, store, NOW)
    assert ids(d) == ["cert.verified"]
    assert d.path[1] == inter.cert


def test_a_loop_is_not_followed_forever(store: TrustStore) -> None:
    a_key, b_key = cached_key("ec", 256, 11), cached_key("ec", 256, 12)
    a = Authority.root("Loop A", key=a_key)
    b = Authority.root("Loop B", key=b_key)
    a_by_b, b_by_a = b.cross(a), a.cross(b)
    leaf = Authority(a_by_b, a_key).leaf((HOST,))
    d = diagnose([leaf, a_by_b, b_by_a], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.untrusted"


# --- the validator always has its say ---------------------------------------------------


def test_weak_key_does_not_hide_a_name_constraint_violation(
    root: Authority, store: TrustStore
) -> None:
    constrained = root.sub("Constrained CA", excluded=("example.test",))
    for key, weak in ((cached_key("rsa", 1024), True), (cached_key("ec", 256, 5), False)):
        leaf = constrained.leaf((HOST,), key=key)
        d = diagnose([leaf, constrained.cert], HOST, store, NOW)
        assert d.primary is not None and d.primary.id == "cert.invalid", ids(d)
        assert d.primary.severity is Severity.CRITICAL
        assert "name constraint" in d.primary.params["reason"]
        assert ("cert.weak_key" in ids(d)) is weak


def test_second_defect_behind_an_explained_one(root: Authority, store: TrustStore) -> None:
    """Expired and outside the CA's name constraints: both are reported."""
    constrained = root.sub("Constrained CA 2", permitted=("corp.test",))
    leaf = constrained.leaf((HOST,), not_after=NOW - 2 * DAY)
    d = diagnose([leaf, constrained.cert], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.expired"
    assert "cert.invalid" in ids(d)


def test_pinned_leaf_gets_the_same_checks(root: Authority) -> None:
    leaf = root.leaf((HOST,), not_after=NOW - DAY)
    pinned = TrustStore("pinned", (leaf,))
    assert diagnose([leaf], HOST, pinned, NOW).primary.id == "cert.expired"  # type: ignore[union-attr]
    good = root.leaf((HOST,))
    assert ids(diagnose([good], HOST, TrustStore("pinned", (good,)), NOW)) == ["cert.verified"]
    assert diagnose([good], "other.test", TrustStore("p", (good,)), NOW).primary.id == (  # type: ignore[union-attr]
        "cert.hostname_mismatch"
    )


def test_a_ca_certificate_as_leaf_is_rejected(root: Authority, store: TrustStore) -> None:
    """Only the validator knows this one: a CA certificate presented as the server's."""
    ca_leaf = root.sub("mail.example.test", san=(HOST,))
    d = diagnose([ca_leaf.cert], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.invalid"


# --- the anchor's dates ------------------------------------------------------------------


def test_expired_trust_anchor_is_named() -> None:
    old = Authority.root("Expired Anchor", not_after=NOW - 3 * DAY, not_before=NOW - 900 * DAY)
    inter = old.sub("Under Expired", not_before=NOW - 100 * DAY)
    leaf = inter.leaf((HOST,))
    d = diagnose([leaf, inter.cert], HOST, TrustStore("old", (old.cert,)), NOW)
    assert d.primary is not None and d.primary.id == "cert.expired"
    assert "Expired Anchor" in d.primary.params["subject"]
    assert above_info(d) == ["cert.expired"]


# --- dates at the certificate's precision ------------------------------------------------


def test_dates_compared_in_whole_seconds(root: Authority, store: TrustStore) -> None:
    end = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
    leaf = root.leaf((HOST,), not_after=end)
    assert (
        ids(diagnose([leaf], HOST, store, end + dt.timedelta(milliseconds=5)))[0]
        == "cert.expires_soon"
    )
    assert diagnose([leaf], HOST, store, end + dt.timedelta(seconds=1)).primary.id == "cert.expired"  # type: ignore[union-attr]


# --- malformed parts are named, not read as absent ---------------------------------------

BAD_SAN = bytes([0x30, 0x1D, 0x82, 0x11]) + HOST.encode() + bytes([0x82, 0x08]) + b"m\xe9l.test"


def test_malformed_san_is_not_a_missing_san(root: Authority, store: TrustStore) -> None:
    ext = x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, BAD_SAN)
    leaf = root.leaf((), cn=HOST, extra=[(ext, False)])
    d = diagnose([leaf], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.malformed", ids(d)
    assert d.primary.params["part"] == "subjectAltName"
    assert (
        "DNSName" in d.primary.params["reason"] and "ParseError" not in d.primary.params["reason"]
    )
    assert "cert.hostname_mismatch" not in ids(d)


@pytest.mark.parametrize(
    ("oid", "value", "part"),
    [
        (ExtensionOID.EXTENDED_KEY_USAGE, b"\x30\x00", "extendedKeyUsage"),
        (ExtensionOID.AUTHORITY_INFORMATION_ACCESS, b"\x30\x03\x02\x01\x05", "authorityInfoAccess"),
    ],
)
def test_unparsable_extension_is_named(
    root: Authority, store: TrustStore, oid, value, part
) -> None:  # type: ignore[no-untyped-def]
    leaf = root.leaf((HOST,), eku=None, extra=[(x509.UnrecognizedExtension(oid, value), False)])
    d = diagnose([leaf], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.malformed", ids(d)
    assert d.primary.params["part"] == part


def test_duplicate_extensions(root: Authority, store: TrustStore) -> None:
    marker = x509.ObjectIdentifier("2.5.29.99")  # as long as the SAN's OID, patched into it
    san = x509.SubjectAlternativeName([x509.DNSName(HOST)])
    leaf = root.leaf(
        (HOST,), extra=[(x509.UnrecognizedExtension(marker, san.public_bytes()), False)]
    )
    twice = patch(leaf, bytes.fromhex("0603551d63"), bytes.fromhex("0603551d11"), root.key)
    d = diagnose([twice], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.malformed", ids(d)
    assert d.primary.params["part"] == "subjectAltName" and "2 times" in d.primary.params["reason"]


# SM2 (GB/T 32918) keys: common in China, unknown to cryptography
P256_OID = bytes.fromhex("06082a8648ce3d030107")
SM2_OID = bytes.fromhex("06082a811ccf5501822d")


def test_issuer_key_that_cannot_be_loaded(root: Authority, store: TrustStore) -> None:
    inter = root.sub("SM2 CA", key=cached_key("ec", 256, 77))
    odd = patch(inter.cert, P256_OID, SM2_OID, root.key)
    leaf = inter.leaf((HOST,))
    d = diagnose([leaf, odd], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.malformed", ids(d)
    assert d.primary.params["part"] == "public key" and "SM2 CA" in d.primary.params["subject"]


def test_leaf_key_that_cannot_be_loaded(root: Authority, store: TrustStore) -> None:
    leaf = patch(root.leaf((HOST,), key=cached_key("ec", 256, 78)), P256_OID, SM2_OID, root.key)
    d = diagnose([leaf], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.malformed"
    assert d.primary.params["part"] == "public key"


# --- names -------------------------------------------------------------------------------


def test_underscore_host_that_the_certificate_names_verifies(
    root: Authority, store: TrustStore
) -> None:
    leaf = root.leaf(("mail_relay.corp.test",))
    d = diagnose([leaf], "mail_relay.corp.test", store, NOW)
    assert above_info(d) == ["cert.name_not_ldh"] and d.verified
    other = diagnose([leaf], "mail_other.corp.test", store, NOW)
    assert other.primary is not None and other.primary.id == "cert.hostname_mismatch"


def test_trailing_dot_and_case(root: Authority, store: TrustStore) -> None:
    leaf = root.leaf((HOST,))
    assert ids(diagnose([leaf], "MAIL.example.test.", store, NOW)) == ["cert.verified"]


def test_idna_2008_not_2003(root: Authority, store: TrustStore) -> None:
    leaf = root.leaf(("xn--fa-hia.example",))  # faß.example in IDNA 2008
    assert ids(diagnose([leaf], "faß.example", store, NOW)) == ["cert.verified"]
    fass = root.leaf(("fass.example",))  # what IDNA 2003 made of it
    assert diagnose([fass], "faß.example", store, NOW).primary.id == "cert.hostname_mismatch"  # type: ignore[union-attr]


def test_invalid_idna_host(root: Authority, store: TrustStore) -> None:
    d = diagnose([root.leaf((HOST,))], "bad\u200d.example", store, NOW)
    assert d.primary is not None and d.primary.id == "cert.hostname_invalid"


def test_cn_not_among_the_san(root: Authority, store: TrustStore) -> None:
    leaf = root.leaf((HOST,), cn="legacy.example.test")
    d = diagnose([leaf], HOST, store, NOW)
    assert above_info(d) == ["cert.cn_not_in_san"] and d.verified
    assert ids(diagnose([root.leaf((HOST,))], HOST, store, NOW)) == ["cert.verified"]


def test_ip_host(root: Authority, store: TrustStore) -> None:
    leaf = root.leaf(("127.0.0.1",))
    assert ids(diagnose([leaf], "127.0.0.1", store, NOW)) == ["cert.verified"]


# --- sizes -------------------------------------------------------------------------------


def test_ten_thousand_san_entries(root: Authority, store: TrustStore) -> None:
    names = [f"h{i}.example.test" for i in range(10_000)]
    leaf = root.leaf(names, cn="h0.example.test")
    d = diagnose([leaf], "nomatch.example.test", store, NOW)
    assert d.primary is not None and d.primary.id == "cert.hostname_mismatch"
    assert len(d.primary.params["names"]) < 1000  # the list is cut, not the report
    assert ids(diagnose([leaf], "h9999.example.test", store, NOW)) == ["cert.verified"]


def test_fifty_certificates_and_a_one_megabyte_certificate(
    root: Authority, store: TrustStore
) -> None:
    cas = [root]
    for i in range(50):
        cas.append(cas[-1].sub(f"Deep CA {i}"))
    leaf = cas[-1].leaf((HOST,))
    d = diagnose([leaf, *(c.cert for c in reversed(cas[1:]))], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.invalid"  # too long a path
    blob = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.99999.2"), b"\x04" + b"\x00" * 8
    )
    big = root.leaf((HOST,), extra=[(x509.UnrecognizedExtension(blob.oid, bytes(1 << 20)), False)])
    assert len(der(big)) > 1 << 20
    assert diagnose([big], HOST, store, NOW).verified


# --- what the server sent does not even parse ---------------------------------------------


def test_truncated_der(root: Authority, store: TrustStore) -> None:
    from mailtls.verify import diagnose_der

    leaf = root.leaf((HOST,))
    d = diagnose_der([der(leaf)[:-40]], HOST, store, NOW)
    assert d.primary is not None and d.primary.id == "cert.malformed"
    assert "certificate 1 of 1" in d.primary.params["subject"]
    assert "ParseError" not in d.primary.params["reason"]
    d = diagnose_der([der(leaf), b"\x30\x03\x02\x01"], HOST, store, NOW)
    assert [f.id for f in d.findings if f.primary] == ["cert.malformed"]
    assert d.primary is not None and d.primary.severity is Severity.HIGH
    assert "cert.verified" in ids(d)  # the path itself holds


# --- --ca-file that is not a certificate file ----------------------------------------------


def test_ca_file_that_is_not_a_certificate(tmp_path, root: Authority) -> None:  # type: ignore[no-untyped-def]
    from mailtls.errors import ConfigError
    from mailtls.verify.store import load_pem_file

    cases = {
        "garbage.pem": (b"hello, not a certificate\n", "neither PEM nor DER"),
        "key.pem": (
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "CERTIFICATE",
        ),
        "damaged.pem": (
            b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n",
            "certificate 1 of 1 is damaged",
        ),
        "empty.pem": (b"", "neither PEM nor DER"),
    }
    for name, (data, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ConfigError) as caught:
            load_pem_file(path)
        assert str(path) in str(caught.value) and words in str(caught.value)
        assert "ParseError" not in str(caught.value) and "ShortData" not in str(caught.value)
    good = tmp_path / "good.der"
    good.write_bytes(der(root.cert))
    assert load_pem_file(good) == [root.cert]


def test_weak_key_words_in_both_languages(root: Authority, store: TrustStore) -> None:
    from mailtls.catalog import describe

    d = diagnose([root.leaf((HOST,), key=cached_key("rsa", 1024))], HOST, store, NOW)
    weak = next(f for f in d.findings if f.id == "cert.weak_key")
    assert "a key of 1024 bits (RSA); at least 2048 bits" in describe(weak, "en").detail
    zh = describe(weak, "zh_CN").detail
    assert "1024 位" in zh and "2048 位" in zh and "bit" not in zh


def test_date_findings_name_the_role(root: Authority) -> None:
    from mailtls.catalog import describe

    old = Authority.root("Role Anchor", not_after=NOW - 3 * DAY, not_before=NOW - 900 * DAY)
    leaf = old.sub("Role CA", not_before=NOW - 100 * DAY).leaf((HOST,))
    d = diagnose([leaf, old.sub("Role CA", not_before=NOW - 100 * DAY).cert], HOST,
                 TrustStore("old", (old.cert,)), NOW)  # fmt: skip
    assert d.primary is not None
    assert describe(d.primary, "en").detail.startswith("The trust anchor CN=Role Anchor expired")
    assert describe(d.primary, "zh_CN").detail.startswith("信任锚 CN=Role Anchor 已于")
    expired = diagnose(
        [root.leaf((HOST,), not_after=NOW - DAY)], HOST, TrustStore("r", (root.cert,)), NOW
    )
    assert describe(expired.primary, "en").detail.startswith("The server certificate ")  # type: ignore[arg-type]
