"""The exporter's pieces without HTTP: metrics text, allow-list, limits, change memory."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from plugin_support import lab_url, mailtls
from prometheus_client.parser import text_string_to_metric_families

from mailtls.cli.exporter import inventory_targets, parse_listen
from mailtls.cli.exporter_app import (
    Allow,
    App,
    ChangeMemory,
    Limits,
    ScanLoop,
    Schedule,
    _deadline,
)
from mailtls.export.prometheus import Probe, render_metrics
from mailtls.lab.servers import Lab
from mailtls.model import CertInfo, Finding, ScanResult, Severity, Target
from mailtls.scan import ScanOptions
from mailtls.targets import parse_target
from mailtls.verify import TrustStore


def cert(sha: str) -> CertInfo:
    return CertInfo("CN=mx", "CN=ca", "2026-01-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00",
                    sha, "spki", ("mx",), "0a", "EC secp256r1", "ecdsa-with-SHA256", False, False)


def result(sha: str | None, *findings: Finding, tested: bool = True) -> ScanResult:
    return ScanResult(Target("smtp", "mx.example.org", 25), "192.0.2.1", "TLSv1.3", "X",
                      cert(sha) if sha else None, (), findings, tested)


def samples(text: bytes) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text.decode()):
        out[family.name] = family.samples
    return out


def test_metrics_of_a_failed_verification_stay() -> None:
    r = result("ab", Finding("cert.untrusted", Severity.CRITICAL))
    got = samples(render_metrics([Probe(r, 0.5, 1234.0)]))
    assert got["mailtls_cert_verified"][0].value == 0
    assert got["mailtls_cert_not_after_timestamp_seconds"][0].value == 1775001600
    assert got["mailtls_cert_changed_timestamp_seconds"][0].value == 1234
    labels = got["mailtls_cert_info"][0].labels
    assert labels == {"target": "smtp://mx.example.org:25", "host": "mx.example.org",
                      "port": "25", "scheme": "smtp", "address": "192.0.2.1", "subject": "CN=mx",
                      "issuer": "CN=ca", "sha256": "ab", "spki_sha256": "spki", "serial": "0a"}
    by_sev = {s.labels["severity"]: s.value for s in got["mailtls_findings"]}
    assert by_sev == {"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0}


def test_metrics_of_an_unreachable_endpoint() -> None:
    r = result(None, Finding("conn.refused", Severity.HIGH), tested=False)
    got = samples(render_metrics([Probe(r, 0.1)]))
    assert got["mailtls_probe_success"][0].value == 0
    assert got["mailtls_cert_verified"] == [] and got["mailtls_cert_info"] == []
    assert got["mailtls_cert_changed_timestamp_seconds"] == []


def test_change_memory() -> None:
    memory = ChangeMemory()
    assert memory.observe(result("aa"), 100) is None  # first sight is no change
    assert memory.observe(result("aa"), 200) is None
    assert memory.observe(result("bb"), 300) == 300
    assert memory.observe(result(None, tested=False), 350) == 300  # unreachable keeps it
    assert memory.observe(result("bb"), 400) == 300
    history = ChangeMemory(lambda r: 42.0)
    assert history.observe(result("cc"), 500) == 42.0  # the history store answers first


def test_allow_list() -> None:
    allow = Allow(("*.example.org", "smtps://mx?.example.net:465"),
                  frozenset({"imaps://imap.example.com:993"}))
    assert allow(parse_target("smtp://mx.example.org"))
    assert not allow(parse_target("smtp://example.org"))
    assert allow(parse_target("smtps://mx1.example.net"))
    assert not allow(parse_target("smtps://mx10.example.net"))
    assert not allow(parse_target("smtp://mx1.example.net"))
    assert allow(parse_target("imaps://imap.example.com"))
    assert not Allow()(parse_target("smtp://localhost"))


@pytest.mark.parametrize("text", ["9725", "127.0.0.1", "127.0.0.1:0", ":80", "[::1]:x"])
def test_bad_listen(text: str) -> None:
    import click

    with pytest.raises(click.UsageError):
        parse_listen(text)
    assert parse_listen("[::1]:9725") == ("::1", 9725)


def test_deadline_fits_the_scrape_timeout() -> None:
    assert _deadline({"HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS": "10"}, 30) == 9.5
    assert _deadline({"HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS": "60"}, 30) == 30
    assert _deadline({"HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS": "x"}, 30) == 30
    assert _deadline({"HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS": "0.2"}, 30) == 0.5
    assert _deadline({}, 7) == 7


@pytest.fixture
def tarpit() -> Iterator[int]:
    """A loopback port that accepts and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for s in held:
        s.close()
    server.close()


def call(app: App, query: str, **environ: str) -> tuple[str, bytes]:
    seen: list[str] = []
    body = b"".join(app({"PATH_INFO": "/probe", "QUERY_STRING": query, **environ},
                        lambda status, headers: seen.append(status)))
    return seen[0], body


def test_concurrency_cap_and_deadline(plugin_lab: Lab, tarpit: int) -> None:
    options = ScanOptions(store=TrustStore.build("none", [plugin_lab.ca_file]), timeout=30)
    loop = ScanLoop(options, ChangeMemory())
    app = App(loop, Allow(("localhost", "127.0.0.1")), Limits(timeout=30, max_probes=1))
    try:
        slow: list[tuple[str, bytes]] = []
        # Prometheus announces a 2 s scrape timeout: the probe gives up after 1.5 s, not 30
        worker = threading.Thread(target=lambda: slow.append(call(
            app, f"target=smtp://127.0.0.1:{tarpit}",
            HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS="2")))
        worker.start()
        while not slow and app.busy._value > 0:  # type: ignore[attr-defined]
            time.sleep(0.01)
        status, body = call(app, f"target={lab_url(plugin_lab, 'good')}")
        assert status.startswith("503") and b"at most 1" in body
        worker.join(30)
        assert not worker.is_alive()  # ended by the scrape timeout, not the 30 s --timeout
        assert slow[0][0] == "200 OK" and b"conn.timeout" in slow[0][1]
        status, body = call(app, f"target={lab_url(plugin_lab, 'good')}")
        assert status == "200 OK" and b'mailtls_cert_verified{' in body
    finally:
        loop.stop()


def test_inventory_mode_serves_the_last_pass(plugin_lab: Lab, tmp_path: Path) -> None:
    good, expired = lab_url(plugin_lab, "good"), lab_url(plugin_lab, "expired")
    shutil.copy(plugin_lab.ca_file, tmp_path / "lab-ca.pem")
    inventory = tmp_path / "watch.toml"
    inventory.write_text(f'[schedule]\nevery = "90s"\n\n[[endpoint]]\ntarget = "{good}"\n'
                         f'ca_file = ["lab-ca.pem"]\n\n[[endpoint]]\ntarget = "{expired}"\n')
    targets, every, ca_files = inventory_targets(inventory)
    assert [t.url for t in targets] == [good, expired] and every == 90
    assert ca_files == (tmp_path / "lab-ca.pem",)
    options = ScanOptions(store=TrustStore.build("none", ca_files), timeout=10)
    loop = ScanLoop(options, ChangeMemory())
    schedule = Schedule(loop, targets, every, lambda text: None)
    app = App(loop, Allow(inventory=frozenset(t.url for t in targets)), Limits(), schedule)
    try:
        schedule.start()
        while schedule.passes == 0:
            time.sleep(0.05)
        got = samples(app.metrics())
        verified = {s.labels["target"]: s.value for s in got["mailtls_cert_verified"]}
        assert verified == {good: 1, expired: 0}
        assert got["mailtls_exporter_passes"][0].value == 1
        status, _ = call(app, f"target={good}")  # the inventory's targets may be probed
        assert status == "200 OK"
        status, _ = call(app, f"target={lab_url(plugin_lab, 'untrusted')}")
        assert status.startswith("403")
    finally:
        schedule.stop()
        loop.stop()


def test_inventory_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[endpoint]]\ntarget = "smtp://mx.example.org"\ncolour = "red"\n')
    p = mailtls("exporter", "--inventory", str(bad))
    assert p.returncode == 66 and str(bad) in p.stderr and "Traceback" not in p.stderr
