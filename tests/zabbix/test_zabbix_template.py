"""contrib/zabbix/mailtls_tls.yaml agrees with what ``mailtls zabbix send`` sends: every
value has an item prototype, every prototype gets values, triggers and macros resolve.
(test_zabbix_real.py imports it into a real Zabbix; this runs without one.)"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from mailtls.export.zabbix import DISCOVERY_KEY, Discovered, discovery_rows, item_values
from mailtls.model import Finding, Severity
from mailtls.store.records import ObservationRecord

TEMPLATE = Path(__file__).resolve().parents[2] / "contrib" / "zabbix" / "mailtls_tls.yaml"
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
URL = "smtp://mx.example.test:25"


def template() -> dict[str, Any]:
    doc = yaml.safe_load(TEMPLATE.read_text())["zabbix_export"]
    assert doc["version"] == "6.0"
    (tpl,) = doc["templates"]
    return dict(tpl)


def rule() -> dict[str, Any]:
    (r,) = template()["discovery_rules"]
    return dict(r)


def prototypes() -> list[dict[str, Any]]:
    return list(rule()["item_prototypes"])


def triggers() -> list[dict[str, Any]]:
    return [t for p in prototypes() for t in p.get("trigger_prototypes", [])]


def full_values() -> dict[str, str]:
    r = ObservationRecord(endpoint=URL, scheme="smtp", host="mx.example.test", port=25,
                          address="192.0.2.1", observed_at=NOW, tested=True, verified=True,
                          leaf_sha256="ab" * 32, subject="CN=mx", issuer="CN=CA",
                          not_after=NOW + dt.timedelta(days=9), tls_version="TLSv1.3")
    alerts = {URL: [Finding("monitor.unreachable", Severity.HIGH)]}
    return {v.key: v.value for v in item_values([r], alerts, NOW)}


def test_every_value_sent_has_a_prototype_and_every_prototype_is_fed() -> None:
    keys = {p["key"].replace("{#TARGET}", URL) for p in prototypes()}
    assert keys == set(full_values())


def test_discovery_rule_is_the_trapper_key_send_uses() -> None:
    r = rule()
    assert r["key"] == DISCOVERY_KEY and r["type"] == "TRAP"
    assert all(p["type"] == "TRAP" for p in prototypes())


def test_triggers_name_prototypes_and_the_asked_conditions() -> None:
    own = {p["key"] for p in prototypes()}
    ref = re.compile(r"/mailtls TLS/(mailtls\.[a-z_]+\[[^\]]*\])")
    expressions = {t["name"]: t["expression"] for t in triggers()}
    for name, expression in expressions.items():
        used = ref.findall(expression)
        assert used and set(used) <= own, (name, expression)
    days = 'last(/mailtls TLS/mailtls.days_left["{#TARGET}"])'
    changed = 'last(/mailtls TLS/mailtls.changed["{#TARGET}"])'
    assert set(expressions.values()) >= {
        f"{days}<0", f"{days}<{{#CRIT_DAYS}}", f"{days}<{{#WARN_DAYS}}",
        'last(/mailtls TLS/mailtls.verified["{#TARGET}"])=0', f"{changed}>0", f"{changed}=3"}


def test_dependencies_point_at_triggers_of_the_template() -> None:
    by_name = {t["name"]: t["expression"] for t in triggers()}
    for t in triggers():
        for dep in t.get("dependencies", []):
            assert by_name.get(dep["name"]) == dep["expression"], (t["name"], dep)


def test_macros_used_are_the_ones_discovery_sends() -> None:
    sent = set(discovery_rows([Discovered(URL, "smtp", "mx.example.test", 25)])[0])
    used = set(re.findall(r"\{#[A-Z_]+\}", TEMPLATE.read_text()))
    assert used <= sent, used - sent


def test_value_maps_exist_and_uuids_are_unique_v4() -> None:
    maps = {m["name"] for m in template()["valuemaps"]}
    assert {p["valuemap"]["name"] for p in prototypes() if "valuemap" in p} <= maps
    uuids = re.findall(r"uuid: ([0-9a-f]{32})", TEMPLATE.read_text())
    assert len(uuids) == len(set(uuids))
    assert all(u[12] == "4" and u[16] in "89ab" for u in uuids)  # Zabbix refuses others
