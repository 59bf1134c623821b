"""[[domain]] entries whose MX look-up fails: monitor.mx_failed raised once, notified,
resolved when the look-up works again; meanwhile the alerts of the hidden MX hosts stay open.
A real DNS answerer on loopback (dnsstub.py) serves the records, changed between passes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtls.monitor import load_inventory, run_pass
from mailtls.monitor.notify import events_of, send_all
from mailtls.monitor.passes import PassReport
from mailtls.store import HistoryStore
from servers.dnsstub import DnsStub
from servers.ports import free_ports

DOMAIN = "gone.test"
MX = "mx1.gone.test"


@pytest.fixture
def stub() -> Iterator[DnsStub]:
    with DnsStub() as dns:
        yield dns


def _inventory(tmp_path: Path, stub: DnsStub, port: int) -> Path:
    path = tmp_path / "mx.toml"
    path.write_text(f"""
[scan]
timeout = 3
nameservers = ["{stub.nameserver}"]
[defaults]
unreachable_after = 1
[[domain]]
name = "{DOMAIN}"
port = {port}
""")
    return path


def _pass(path: Path) -> PassReport:
    inventory = load_inventory(path)
    store = HistoryStore.open(inventory.history_url)
    try:
        return asyncio.run(run_pass(inventory, store))
    finally:
        store.close()


def _answers(stub: DnsStub) -> None:
    stub.rcodes.clear()
    stub.records[(DOMAIN, "MX")] = [f"10 {MX}."]
    stub.records[(MX, "A")] = ["127.0.0.1"]


def _keys(alerts: object) -> set[tuple[str, str]]:
    return {(a.endpoint, a.key) for a in alerts}  # type: ignore[attr-defined]


def test_mx_failure_is_an_alert_raised_once_and_resolved(tmp_path: Path, stub: DnsStub) -> None:
    stub.rcodes[DOMAIN] = stub.rcode.NXDOMAIN
    path = _inventory(tmp_path, stub, free_ports(1)[0])
    first = _pass(path)
    assert _keys(first.raised) == {(f"domain:{DOMAIN}", "monitor.mx_failed")}
    finding = first.raised[0].finding
    assert finding.id == "monitor.mx_failed" and finding.params["domain"] == DOMAIN
    assert "NXDOMAIN" in finding.params["reason"]
    lines: list[str] = []
    assert send_all(events_of(first), load_inventory(path).notify, echo=lines.append) == []
    assert lines == [f"alert raised: domain:{DOMAIN}: MX look-up failed "
                     "[monitor.mx_failed high]"]
    second = _pass(path)
    assert second.raised == [] and second.resolved == []
    assert (f"domain:{DOMAIN}", "monitor.mx_failed") in _keys(second.alerts)
    _answers(stub)
    third = _pass(path)
    assert [(a.endpoint, a.key) for a in third.resolved] == [
        (f"domain:{DOMAIN}", "monitor.mx_failed")]
    assert f"smtp://{MX}:" in third.records[0].endpoint  # the MX host is watched again


def test_a_failed_lookup_keeps_the_alerts_of_its_hosts(tmp_path: Path, stub: DnsStub) -> None:
    _answers(stub)
    port = free_ports(1)[0]  # nothing listens: the MX host is unreachable
    path = _inventory(tmp_path, stub, port)
    host_alert = (f"smtp://{MX}:{port}", "monitor.unreachable")
    assert host_alert in _keys(_pass(path).raised)
    stub.rcodes[DOMAIN] = stub.rcode.SERVFAIL
    during = _pass(path)
    assert _keys(during.raised) == {(f"domain:{DOMAIN}", "monitor.mx_failed")}
    assert during.resolved == []  # nothing known of the host: its alert neither goes nor flaps
    assert host_alert in _keys(during.alerts)


def test_mx_host_without_address_names_the_host(tmp_path: Path, stub: DnsStub) -> None:
    stub.records[(DOMAIN, "MX")] = [f"10 {MX}."]
    stub.records[(MX, "TXT")] = ['"no address"']
    report = _pass(_inventory(tmp_path, stub, free_ports(1)[0]))
    (alert,) = report.raised
    assert alert.key == "monitor.mx_failed" and MX in alert.finding.params["reason"]
    assert report.errors and str(tmp_path / "mx.toml") in report.errors[0]


def test_one_domain_recovers_while_another_still_fails(tmp_path: Path, stub: DnsStub) -> None:
    stub.rcodes[DOMAIN] = stub.rcode.NXDOMAIN
    stub.rcodes["other.test"] = stub.rcode.SERVFAIL
    path = _inventory(tmp_path, stub, free_ports(1)[0])
    path.write_text(path.read_text() + '[[domain]]\nname = "other.test"\n')
    assert _keys(_pass(path).raised) == {(f"domain:{DOMAIN}", "monitor.mx_failed"),
                                         ("domain:other.test", "monitor.mx_failed")}
    _answers(stub)
    after = _pass(path)
    assert _keys(after.resolved) == {(f"domain:{DOMAIN}", "monitor.mx_failed")}
    assert ("domain:other.test", "monitor.mx_failed") in _keys(after.alerts)
