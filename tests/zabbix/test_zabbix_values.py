"""The pure part: discovery rows, item keys and values from history records and alerts."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mailtls.catalog.parts.monitor import KIND_NEW_ISSUER, KIND_NEW_KEY, KIND_RENEWAL
from mailtls.export.zabbix import (
    Discovered,
    Value,
    discovery_json,
    discovery_rows,
    endpoint_values,
    item_key,
    item_values,
)
from mailtls.model import Finding, Severity
from mailtls.store.records import ObservationRecord

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
URL = "smtp://mx.example.test:25"


def record(address: str = "192.0.2.1", *, tested: bool = True, verified: bool = True,
           days: float | None = 40.0, issuer: str = "CN=CA one",
           findings: tuple[tuple[str, Severity], ...] = (), endpoint: str = URL,
           duration: float = 0.5) -> ObservationRecord:
    not_after = NOW + dt.timedelta(days=days) if days is not None and tested else None
    return ObservationRecord(
        endpoint=endpoint, scheme="smtp", host="mx.example.test", port=25, address=address,
        observed_at=NOW, tested=tested, verified=verified and tested,
        leaf_sha256=("ab" * 32) if tested else None, subject="CN=mx.example.test",
        issuer=issuer if tested else None, not_after=not_after,
        tls_version="TLSv1.3" if tested else None, duration=duration, findings=findings)


def as_dict(values: list[Value]) -> dict[str, str]:
    keys = [v.key for v in values]
    assert len(keys) == len(set(keys)), "a key sent twice"
    return {v.key: v.value for v in values}


def changed(kind: str) -> Finding:
    return Finding("cert.changed", Severity.HIGH, {"kind": kind})


def test_discovery_rows_carry_the_entry_thresholds_and_address() -> None:
    rows = discovery_rows([
        Discovered(URL, "smtp", "mx.example.test", 25, "127.0.0.1", 45, 20, ("prod", "eu")),
        Discovered("imaps://[::1]:993", "imaps", "::1", 993),
    ])
    assert rows[0] == {"{#TARGET}": URL, "{#SCHEME}": "smtp", "{#HOST}": "mx.example.test",
                       "{#PORT}": "25", "{#ADDRESS}": "127.0.0.1", "{#WARN_DAYS}": "45",
                       "{#CRIT_DAYS}": "20", "{#TAGS}": "prod,eu"}
    assert rows[1]["{#ADDRESS}"] == "" and rows[1]["{#WARN_DAYS}"] == "30"
    assert rows[1]["{#CRIT_DAYS}"] == "14"
    assert json.loads(discovery_json([])) == []  # Zabbix 4.2+ LLD: a plain array


def test_item_keys_quote_the_target() -> None:
    assert item_key("days_left", URL) == 'mailtls.days_left["smtp://mx.example.test:25"]'
    assert item_key("findings", "imaps://[::1]:993", "high") == \
        'mailtls.findings["imaps://[::1]:993",high]'
    assert item_key("x", 'a"b') == 'mailtls.x["a\\"b"]'


def test_values_of_a_verified_endpoint() -> None:
    got = as_dict(endpoint_values(URL, [record(days=40.25)], [], NOW))
    k = lambda name, *more: item_key(name, URL, *more)  # noqa: E731
    assert got[k("tested")] == "1" and got[k("verified")] == "1"
    assert got[k("days_left")] == "40.250"
    assert got[k("not_after")] == str(int((NOW + dt.timedelta(days=40.25)).timestamp()))
    assert got[k("issuer")] == "CN=CA one" and got[k("sha256")] == "ab" * 32
    assert got[k("changed")] == "0" and got[k("unreachable")] == "0"
    assert got[k("tls_version")] == "TLSv1.3" and got[k("duration")] == "0.500"
    assert [got[k("findings", s)] for s in ("critical", "high", "medium", "low", "info")] == \
        ["0"] * 5


def test_expired_is_negative_and_the_soonest_address_counts() -> None:
    got = as_dict(endpoint_values(URL, [record("192.0.2.1", days=300, issuer="CN=late"),
                                        record("192.0.2.2", days=-3.5, issuer="CN=early")],
                                  [], NOW))
    assert got[item_key("days_left", URL)] == "-3.500"
    assert got[item_key("issuer", URL)] == "CN=early"  # the one whose date is shown


def test_one_failing_address_makes_the_endpoint_unverified() -> None:
    got = as_dict(endpoint_values(URL, [record("192.0.2.1"),
                                        record("192.0.2.2", verified=False)], [], NOW))
    assert got[item_key("verified", URL)] == "0"


def test_untested_endpoint_sends_no_certificate_values() -> None:
    got = as_dict(endpoint_values(URL, [record(tested=False)],
                                  [Finding("monitor.unreachable", Severity.HIGH)], NOW))
    assert got[item_key("tested", URL)] == "0"
    assert got[item_key("unreachable", URL)] == "1"
    for name in ("verified", "days_left", "not_after", "issuer", "sha256"):
        assert item_key(name, URL) not in got  # Zabbix keeps the last one; nodata() tells


@pytest.mark.parametrize(("kinds", "level"), [
    ([KIND_RENEWAL], "1"), ([KIND_NEW_KEY], "2"), ([KIND_NEW_ISSUER], "3"),
    ([KIND_RENEWAL, KIND_NEW_ISSUER], "3"), ([], "0"),
])
def test_change_level_from_the_open_change_alerts(kinds: list[str], level: str) -> None:
    got = as_dict(endpoint_values(URL, [record()], [changed(k) for k in kinds], NOW))
    assert got[item_key("changed", URL)] == level


def test_findings_count_distinct_ids_per_severity_across_addresses() -> None:
    both = (("cert.expires_soon", Severity.MEDIUM), ("protocol.tls1_0", Severity.HIGH))
    got = as_dict(endpoint_values(URL, [
        record("192.0.2.1", findings=both),
        record("192.0.2.2", findings=(*both, ("tls.no_starttls", Severity.CRITICAL))),
    ], [], NOW))
    assert got[item_key("findings", URL, "critical")] == "1"
    assert got[item_key("findings", URL, "high")] == "1"
    assert got[item_key("findings", URL, "medium")] == "1"
    assert got[item_key("findings", URL, "low")] == "0"


def test_item_values_groups_records_by_endpoint_and_routes_alerts() -> None:
    other = "imaps://mx.example.test:993"
    values = as_dict(item_values(
        [record(), record(endpoint=other), record("192.0.2.9")],
        {other: [changed(KIND_NEW_ISSUER)]}, NOW))
    assert values[item_key("changed", URL)] == "0"
    assert values[item_key("changed", other)] == "3"
    assert values[item_key("tested", other)] == "1"
