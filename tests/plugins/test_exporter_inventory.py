"""``mailtls exporter --inventory`` with the monitor's history and [[domain]] entries:
the change time comes from the history (a change the exporter never saw), and domains are
expanded to their MX hosts (a real DNS answerer on loopback) before each pass."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from pathlib import Path

from plugin_support import lab_url
from prometheus_client.parser import text_string_to_metric_families

from mailtls.cli.exporter import Scheduled, _from_inventory, _scheduled
from mailtls.cli.exporter_app import Allow, App, ChangeMemory, Limits, ScanLoop, Schedule
from mailtls.cli.exporter_inventory import HistoryChanges, last_change
from mailtls.lab.servers import Lab
from mailtls.model import ScanResult, Target
from mailtls.monitor import load_inventory, run_pass
from mailtls.scan import ScanOptions
from mailtls.store import HistoryStore, ObservationRecord
from mailtls.verify import TrustStore
from servers.dnsstub import DnsStub

T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def test_last_change_from_rows() -> None:
    rows = [("192.0.2.1", at(3), "b"), ("192.0.2.1", at(2), "b"), ("192.0.2.1", at(1), "a"),
            ("192.0.2.2", at(3), "c"), ("192.0.2.2", at(1), "c")]
    assert last_change(rows, "192.0.2.1", "b") == at(2).timestamp()
    assert last_change(rows, "192.0.2.1", None) == at(2).timestamp()  # unreachable now
    assert last_change(rows, "192.0.2.1", "z") is None  # newer than the history: not known
    assert last_change(rows, "192.0.2.2", "c") is None  # never changed as far as it reaches
    assert last_change([], "192.0.2.1", "b") is None


def _inventory(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "watch.toml"
    path.write_text('[schedule]\nevery = "1h"\n\n' + body)
    return path


def _one_pass(plan: Scheduled, ca_files: tuple[Path, ...]) -> tuple[App, Schedule, ScanLoop]:
    memory, expand = _from_inventory(plan, {})
    loop = ScanLoop(ScanOptions(store=TrustStore.build("none", ca_files), timeout=5), memory)
    schedule = Schedule(loop, plan.targets, plan.every, lambda text: None, expand=expand)
    app = App(loop, Allow(), Limits(), schedule)
    schedule.start()
    deadline = time.monotonic() + 60
    while schedule.passes == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert schedule.passes == 1
    return app, schedule, loop


def _changed(app: App) -> dict[str, float]:
    for family in text_string_to_metric_families(app.metrics().decode()):
        if family.name == "mailtls_cert_changed_timestamp_seconds":
            return {s.labels["target"]: s.value for s in family.samples}
    return {}


def test_change_time_comes_from_the_monitor_history(plugin_lab: Lab, tmp_path: Path) -> None:
    good = lab_url(plugin_lab, "good")
    shutil.copy(plugin_lab.ca_file, tmp_path / "lab-ca.pem")
    path = _inventory(tmp_path, f'[[endpoint]]\ntarget = "{good}"\nresolve = "127.0.0.1"\n'
                                'ca_file = ["lab-ca.pem"]\n')
    inventory = load_inventory(path)
    store = HistoryStore.open(inventory.history_url)
    try:
        now = asyncio.run(run_pass(inventory, store)).records[0]
        # before that pass, the monitor saw another certificate there: a change at `now`
        earlier = ObservationRecord(**{**now.__dict__, "id": None, "pass_id": None,
                                       "observed_at": now.observed_at - dt.timedelta(days=9),
                                       "leaf_sha256": "0" * 64})
        store.add_observations(store.start_pass(earlier.observed_at), [earlier])
    finally:
        store.close()
    plan = _scheduled(path, None, None)
    app, schedule, loop = _one_pass(plan, (tmp_path / "lab-ca.pem",))
    try:
        assert _changed(app) == {good: now.observed_at.timestamp()}
    finally:
        schedule.stop()
        loop.stop()


def test_no_history_file_is_not_created(tmp_path: Path) -> None:
    path = _inventory(tmp_path, '[[endpoint]]\ntarget = "smtp://mx.example.org"\n')
    memory, expand = _from_inventory(_scheduled(path, None, None), {})
    assert memory.lookup is None and expand is None
    assert not list(tmp_path.glob("*.sqlite"))


def test_history_lookup_reads_the_store_once_per_ttl(tmp_path: Path) -> None:
    store = HistoryStore.open(f"sqlite:///{tmp_path / 'h.sqlite'}")
    url = "smtp://mx.example.org:25"

    def rec(day: int, leaf: str) -> ObservationRecord:
        return ObservationRecord(url, "smtp", "mx.example.org", 25, "192.0.2.1", at(day),
                                 True, True, leaf_sha256=leaf)

    store.add_observations(store.start_pass(at(0)), [rec(0, "a"), rec(1, "b"), rec(2, "b")])
    lookup = HistoryChanges(store, ttl=3600)
    result = ScanResult(Target("smtp", "mx.example.org", 25), "192.0.2.1", None, None, None,
                        (), (), False)
    memory = ChangeMemory(lookup)
    assert memory.observe(result, 0.0) == at(1).timestamp()
    store.add_observations(store.start_pass(at(3)), [rec(3, "c")])
    assert lookup(result) == at(1).timestamp()  # cached within the ttl
    lookup.ttl = 0
    assert lookup(result) == at(3).timestamp()
    store.close()


def test_domains_are_expanded_to_mx_hosts(plugin_lab: Lab, tmp_path: Path) -> None:
    port = next(e.port for e in plugin_lab.endpoints if e.name == "good")
    shutil.copy(plugin_lab.ca_file, tmp_path / "lab-ca.pem")
    with DnsStub() as dns:
        dns.records[("lab.test", "MX")] = ["10 localhost."]
        dns.records[("localhost", "A")] = ["127.0.0.1"]
        path = _inventory(tmp_path, f'[scan]\nnameservers = ["{dns.nameserver}"]\n\n'
                                    f'[[domain]]\nname = "lab.test"\nport = {port}\n'
                                    'ca_file = ["lab-ca.pem"]\n')
        plan = _scheduled(path, None, None)
        assert plan.targets == [] and plan.ca_files == (tmp_path / "lab-ca.pem",)
        app, schedule, loop = _one_pass(plan, plan.ca_files)
        try:
            assert schedule.targets == [Target("smtp", "localhost", port, "127.0.0.1")]
            text = app.metrics().decode()
            assert f'mailtls_cert_verified{{address="127.0.0.1",host="localhost",port="{port}"' \
                in text and "} 1.0" in text
        finally:
            schedule.stop()
            loop.stop()
