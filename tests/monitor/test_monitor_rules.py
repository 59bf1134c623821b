"""The alert rules are pure functions: made-up observations, a pinned now."""

from __future__ import annotations

import datetime as dt

from mailtls.catalog import describe
from mailtls.model import Severity
from mailtls.monitor.inventory import Thresholds
from mailtls.monitor.rules import (
    changed,
    endpoint_alerts,
    expiry,
    inconsistent,
    protocol_regressed,
    unreachable,
    verify_regressed,
)
from mailtls.store import Baseline, ObservationRecord

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
EP = "smtp://mx.example.test:25"


def obs(**kw: object) -> ObservationRecord:
    values: dict[str, object] = dict(
        endpoint=EP, scheme="smtp", host="mx.example.test", port=25, address="127.0.0.1",
        observed_at=NOW, tested=True, verified=True, leaf_sha256="a" * 64,
        spki_sha256="key1", issuer="CN=CA one", subject="CN=mx.example.test",
        not_after=NOW + dt.timedelta(days=90), tls_version="TLSv1.3", pass_id=1,
        findings=(("cert.verified", Severity.INFO),))
    values.update(kw)
    return ObservationRecord(**values)  # type: ignore[arg-type]


BASE = Baseline(EP, "a" * 64, "key1", "CN=CA one", True, (), NOW - dt.timedelta(days=30),
                NOW - dt.timedelta(days=30), "mailtls", "first observation")


def test_expiry_thresholds_per_entry() -> None:
    limits = Thresholds(warn_days=30, crit_days=14)
    assert expiry(EP, [obs()], limits, NOW) == []
    [warn] = expiry(EP, [obs(not_after=NOW + dt.timedelta(days=20))], limits, NOW)
    assert (warn.key, warn.finding.id, warn.finding.severity) == (
        "cert.expires_soon:medium", "cert.expires_soon", Severity.MEDIUM)
    assert warn.finding.params["days"] == "20"
    [crit] = expiry(EP, [obs(not_after=NOW + dt.timedelta(days=13))], limits, NOW)
    assert (crit.key, crit.finding.severity) == ("cert.expires_soon:high", Severity.HIGH)
    [gone] = expiry(EP, [obs(not_after=NOW - dt.timedelta(days=2))], limits, NOW)
    assert (gone.finding.id, gone.finding.severity) == ("cert.expired", Severity.CRITICAL)
    # the same certificate, another entry's thresholds
    assert expiry(EP, [obs(not_after=NOW + dt.timedelta(days=20))],
                  Thresholds(warn_days=10, crit_days=5), NOW) == []


def test_change_classified_same_key_new_key_new_issuer() -> None:
    assert changed(EP, [obs()], BASE) == []
    [renewal] = changed(EP, [obs(leaf_sha256="b" * 64)], BASE)
    assert renewal.finding.params["kind"] == "renewal with the same key"
    assert renewal.finding.severity == Severity.LOW
    [rekey] = changed(EP, [obs(leaf_sha256="c" * 64, spki_sha256="key2")], BASE)
    assert rekey.finding.params["kind"] == "new key from the same issuer"
    assert rekey.finding.severity == Severity.MEDIUM
    [moved] = changed(EP, [obs(leaf_sha256="d" * 64, spki_sha256="key3",
                               issuer="CN=Someone else")], BASE)
    assert moved.finding.params["kind"] == "new issuer"
    assert moved.finding.severity == Severity.HIGH
    assert moved.key == "cert.changed:" + "d" * 64
    assert "CN=Someone else" in describe(moved.finding).detail
    assert "新签发者" in describe(moved.finding, "zh_CN").detail


def test_verify_and_protocol_regressions_against_the_baseline() -> None:
    bad = obs(verified=False, findings=(("cert.untrusted", Severity.CRITICAL),))
    [reg] = verify_regressed(EP, [bad], BASE)
    assert reg.finding.params["cause"] == "cert.untrusted"
    assert verify_regressed(EP, [obs()], BASE) == []
    unverified_base = Baseline(**{**BASE.__dict__, "verified": False})
    assert verify_regressed(EP, [bad], unverified_base) == []
    [proto] = protocol_regressed(EP, [obs(tls_version="TLSv1")], BASE)
    assert proto.finding.params["protocols"] == "TLSv1"
    deep = obs(findings=(("protocol.tls1_1", Severity.MEDIUM),))
    assert protocol_regressed(EP, [deep], BASE)[0].key == "protocol.regressed:TLSv1.1"
    assert protocol_regressed(EP, [obs(tls_version="TLSv1.2")], BASE) == []


def test_unreachable_only_after_n_failed_passes() -> None:
    limits = Thresholds(unreachable_after=3)
    down = [obs(tested=False, pass_id=p, error_id="conn.refused", leaf_sha256=None,
                observed_at=NOW - dt.timedelta(days=10 - p)) for p in (9, 8)]
    up = obs(pass_id=7, observed_at=NOW - dt.timedelta(days=4))
    assert unreachable(EP, [*down, up], limits) == []  # two failures: not yet
    third = obs(tested=False, pass_id=10, error_id="conn.timeout", leaf_sha256=None)
    [alert] = unreachable(EP, [third, *down, up], limits)
    assert alert.finding.params["passes"] == "3"
    assert alert.finding.params["error"] == "conn.timeout"
    # one address of two answered in the newest pass: the endpoint was tested
    other = obs(pass_id=10, address="127.0.0.2")
    assert unreachable(EP, [third, other, *down, up], limits) == []


def test_inconsistent_across_addresses() -> None:
    one = obs()
    two = obs(address="127.0.0.2", leaf_sha256="e" * 64)
    [alert] = inconsistent({EP: [one, two]})
    assert alert.finding.id == "cert.inconsistent"
    assert "127.0.0.2" in alert.finding.params["evidence"]
    assert inconsistent({EP: [one, obs(address="127.0.0.2")]}) == []


def test_endpoint_alerts_combines_rules() -> None:
    current = [obs(leaf_sha256="f" * 64, spki_sha256="k9", issuer="CN=Evil",
                   verified=False, findings=(("cert.untrusted", Severity.CRITICAL),))]
    ids = {a.finding.id for a in endpoint_alerts(EP, current, current, BASE, Thresholds(), NOW)}
    assert ids == {"cert.changed", "verify.regressed"}
