"""DANE matching and MTA-STS/TLS-RPT parsing as pure functions, certificates made here."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives import serialization

from mailtls.domain import dane
from mailtls.domain.mtasts import mx_covered, parse_policy, parse_sts_record, parse_tlsrpt
from mailtls.lab.pki import CA

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
ROOT = CA.root("dane unit root", now=NOW)
INTER = ROOT.intermediate("dane unit intermediate")
LEAF = INTER.leaf(["mx.example.test"])
OTHER = INTER.leaf(["mx.example.test"])


def der(*certs: object) -> tuple[bytes, ...]:
    return tuple(c.public_bytes(serialization.Encoding.DER) for c in certs)  # type: ignore[attr-defined]


CHAIN = der(LEAF.cert, INTER.cert)
NAMES = ("mx.example.test", "example.test")


def test_dane_ee_every_selector_and_matching_type() -> None:
    for selector in (0, 1):
        for mtype in (0, 1, 2):
            rec = dane.record_for(LEAF.cert, 3, selector, mtype)
            assert dane.match_chain([rec], CHAIN, NAMES, NOW).ok, (selector, mtype)
            other = dane.record_for(OTHER.cert, 3, selector, mtype)
            assert dane.match_chain([other], CHAIN, NAMES, NOW).problem == "no_match"


def test_dane_ee_ignores_names_and_dates() -> None:
    rec = dane.record_for(LEAF.cert, 3, 1, 1)
    assert dane.match_chain([rec], CHAIN, ("elsewhere.test",), NOW + dt.timedelta(days=999)).ok


def test_dane_ta_checks_names_dates_and_path() -> None:
    rec = dane.record_for(INTER.cert, 2, 1, 1)
    assert dane.match_chain([rec], CHAIN, NAMES, NOW).ok
    assert dane.match_chain([rec], CHAIN, ("other.test",), NOW).problem == "ta_name"
    later = NOW + dt.timedelta(days=400)
    assert dane.match_chain([rec], CHAIN, NAMES, later).problem == "ta_dates"
    stranger = CA.root("stranger", now=NOW).leaf(["mx.example.test"])
    broken = der(stranger.cert, INTER.cert)
    assert dane.match_chain([rec], broken, NAMES, NOW).problem == "ta_path"
    # a DANE-TA record never matches the leaf itself
    leaf_as_ta = dane.record_for(LEAF.cert, 2, 1, 1)
    assert not dane.match_chain([leaf_as_ta], CHAIN, NAMES, NOW).ok


def test_pkix_usages_are_unusable() -> None:
    records = [dane.record_for(LEAF.cert, u, 1, 1) for u in (0, 1)]
    assert not dane.match_chain(records, CHAIN, NAMES, NOW).ok
    ids = [f.id for f in dane.record_findings("mx.example.test", records)]
    assert ids == ["dane.unusable_records", "dane.no_usable_records"]


def test_rollover_findings() -> None:
    spki = dane.record_for(LEAF.cert, 3, 1, 1)
    cert = dane.record_for(LEAF.cert, 3, 0, 1)
    nxt = dane.record_for(OTHER.cert, 3, 1, 1)
    assert [f.id for f in dane.record_findings("h", [spki])] == ["dane.rollover_single_key"]
    assert [f.id for f in dane.record_findings("h", [cert])] == ["dane.rollover_cert_pinned"]
    assert dane.record_findings("h", [spki, nxt]) == []
    ready = dane.rollover_findings("h", [spki, nxt], {spki})
    assert [f.id for f in ready] == ["dane.rollover_next_key"]


def test_parse_tlsa_text() -> None:
    recs = dane.parse_tlsa(["3 1 1 ABCD", "2 0 0 00 11", "bad", "3 1 1 XYZ"])
    assert [str(r) for r in recs] == ["3 1 1 abcd", "2 0 0 0011"]


def test_sts_record() -> None:
    assert parse_sts_record("d", ["v=STSv1; id=20240101T1;"]).id == "20240101T1"
    assert not parse_sts_record("d", ["other"]).present
    many = parse_sts_record("d", ["v=STSv1; id=1", "v=STSv1; id=2"])
    assert [f.id for f in many.findings] == ["mtasts.txt_multiple"]
    bad = parse_sts_record("d", ["v=STSv1; id=not-valid!"])
    assert [f.id for f in bad.findings] == ["mtasts.txt_invalid"]


def test_policy_syntax() -> None:
    body = b"version: STSv1\r\nmode: enforce\r\nmx: a.d\r\nmx: *.d\r\nmax_age: 86400\r\n"
    ok = parse_policy("d", body)
    assert ok.policy is not None and ok.policy.mx == ("a.d", "*.d") and not ok.findings
    short = parse_policy("d", b"version: STSv1\nmode: testing\nmx: a.d\nmax_age: 60\n")
    assert [f.id for f in short.findings] == ["mtasts.max_age_short"]
    for body, key in ((b"version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n", "version"),
                      (b"version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n", "mode"),
                      (b"version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n", "max_age"),
                      (b"version: STSv1\nmode: enforce\nmax_age: 1\n", "mx"),
                      (b"\xff\xfe", "(encoding)")):
        parsed = parse_policy("d", body)
        assert parsed.policy is None
        assert parsed.findings[0].id == "mtasts.policy_syntax"
        assert parsed.findings[0].params["key"] == key


def test_mx_patterns() -> None:
    assert mx_covered("mx.example.test.", ["mx.example.test"])
    assert mx_covered("a.example.test", ["*.example.test"])
    assert not mx_covered("a.b.example.test", ["*.example.test"])  # one label only
    assert not mx_covered("example.test", ["*.example.test"])


def test_tlsrpt_record() -> None:
    good = parse_tlsrpt("d", ["v=TLSRPTv1; rua=mailto:r@d,https://r.d/x"])
    assert good.present and good.rua == ("mailto:r@d", "https://r.d/x")
    assert [f.id for f in parse_tlsrpt("d", []).findings] == ["tlsrpt.missing"]
    bad = parse_tlsrpt("d", ["v=TLSRPTv1; rua=ftp://x"])
    assert [f.id for f in bad.findings] == ["tlsrpt.bad_uri"] and not bad.present
