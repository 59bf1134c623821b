"""Passes over a real Postfix whose certificate is swapped between passes: the right change
alert, raised once; accept makes it quiet. Also the CLI's run/history/accept on it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from monitor_certs import CA, Key, new_key, write_pair

from mailtls.cli.main import cli
from mailtls.monitor import accept, load_inventory, run_pass
from mailtls.store import HistoryStore
from servers.ports import free_ports
from servers.postfix import Listener, PostfixInstance

pytestmark = pytest.mark.servers
HOST = "mx.monitor.test"


@dataclass
class Watched:
    postfix: PostfixInstance
    port: int
    cert: Path
    key: Path
    ca1: CA
    ca2: CA
    ca_files: list[Path]

    def present(self, ca: CA, key: Key) -> None:
        now = dt.datetime.now(dt.UTC)
        write_pair(ca.leaf(key, HOST, now), key, self.cert, self.key)
        done = self.postfix._postfix("reload")
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="mailtls-monitor-certs-"))
    d.chmod(0o755)
    now = dt.datetime.now(dt.UTC)
    ca1, ca2 = CA.make("Monitor CA one", now), CA.make("Monitor CA two", now)
    ca_files = []
    for ca, name in ((ca1, "ca1.pem"), (ca2, "ca2.pem")):
        (d / name).write_bytes(ca.pem())
        ca_files.append(d / name)
    cert, key = d / "leaf.pem", d / "leaf.key"
    write_pair(ca1.leaf(new_key(), HOST, now), new_key(), cert, key)  # replaced below
    port = free_ports(1)[0]
    postfix = PostfixInstance([Listener("watch", port, cert, key)])
    postfix.start()
    w = Watched(postfix, port, cert, key, ca1, ca2, ca_files)
    try:
        yield w
    finally:
        postfix.cleanup()


def inventory(tmp_path: Path, w: Watched) -> Path:
    path = tmp_path / "inv.toml"
    path.write_text(f"""
[scan]
trust = "none"
timeout = 10
[[endpoint]]
target = "smtp://{HOST}:{w.port}"
resolve = "127.0.0.1"
ca_file = ["{w.ca_files[0]}", "{w.ca_files[1]}"]
""")
    return path


def one_pass(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    inv = load_inventory(path)
    store = HistoryStore.open(inv.history_url)
    try:
        report = asyncio.run(run_pass(inv, store))
    finally:
        store.close()
    assert all(r.tested for r in report.records)
    raised = [(a.finding.id, a.finding.params.get("kind", "")) for a in report.raised]
    return raised, [a.finding_id for a in report.resolved]


def test_swaps_raise_the_right_change_alert_once(tmp_path: Path, watched: Watched) -> None:
    key1 = new_key()
    watched.present(watched.ca1, key1)
    path = inventory(tmp_path, watched)
    endpoint = f"smtp://{HOST}:{watched.port}"
    assert one_pass(path) == ([], [])  # the first observation is the baseline

    watched.present(watched.ca1, key1)  # renewal, same key
    assert one_pass(path) == ([("cert.changed", "renewal with the same key")], [])
    assert one_pass(path) == ([], [])  # still changed, not raised again

    inv = load_inventory(path)
    store = HistoryStore.open(inv.history_url)
    assert accept(store, endpoint, "alice", "planned renewal", dt.datetime.now(dt.UTC))
    store.close()
    assert one_pass(path) == ([], ["cert.changed"])  # quiet: resolved, nothing raised
    assert one_pass(path) == ([], [])

    watched.present(watched.ca1, new_key())  # new key, same issuer
    assert one_pass(path) == ([("cert.changed", "new key from the same issuer")], [])

    store = HistoryStore.open(inv.history_url)
    accept(store, endpoint, "alice", "rekeyed", dt.datetime.now(dt.UTC))
    store.close()
    one_pass(path)
    watched.present(watched.ca2, new_key())  # another CA
    raised, _ = one_pass(path)
    assert raised == [("cert.changed", "new issuer")]


def test_cli_run_history_accept(tmp_path: Path, watched: Watched) -> None:
    watched.present(watched.ca1, new_key())
    path = inventory(tmp_path, watched)
    runner = CliRunner()
    first = runner.invoke(cli, ["monitor", "run", "-i", str(path), "--json"])
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert doc["results"][0]["target"].startswith("smtp://")
    assert doc["monitor"]["raised"] == []
    watched.present(watched.ca2, new_key())
    second = runner.invoke(cli, ["monitor", "run", "-i", str(path), "--json"])
    assert second.exit_code == 1, second.output  # a high alert: exit 1 as scan
    doc = json.loads(second.stdout)
    [alert] = doc["monitor"]["alerts"]
    assert (alert["id"], alert["severity"]) == ("cert.changed", "high")
    assert "alert raised" in second.stderr  # stdout notification, kept off the JSON
    target = f"smtp://{HOST}:{watched.port}"
    hist = runner.invoke(cli, ["monitor", "history", target, "-i", str(path), "--json"])
    timeline = json.loads(hist.stdout)["observations"]
    assert len(timeline) == 2 and timeline[0]["leaf_sha256"] != timeline[1]["leaf_sha256"]
    assert {f["id"] for f in timeline[0]["findings"]} >= {"cert.verified"}
    ok = runner.invoke(cli, ["monitor", "accept", target, "-i", str(path),
                             "--reason", "moved to CA two", "--by", "bob"])
    assert ok.exit_code == 0, ok.output
    third = runner.invoke(cli, ["monitor", "run", "-i", str(path), "--json"])
    assert third.exit_code == 0 and json.loads(third.stdout)["monitor"]["alerts"] == []
    text = runner.invoke(cli, ["monitor", "history", target, "-i", str(path)])
    assert "bob" in text.stdout and "moved to CA two" in text.stdout
