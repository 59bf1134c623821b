"""A real Prometheus (Debian package) scrapes ``mailtls exporter`` on loopback.

One session: the lab, the exporter (``/probe`` for allowed targets and a scheduled pass
over a targets file) and Prometheus with its own config, data directory and the alert
rules of contrib/. The assertions read Prometheus's HTTP API on 127.0.0.1: the series of a
good, an expired and an unreachable endpoint, the rules loaded and the alerts they raise,
and every expression of the Grafana dashboard accepted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from plugin_support import lab_url

from mailtls.lab.servers import Lab
from servers.ports import free_ports, wait_until

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "contrib/prometheus/mailtls-alerts.yml"
DASHBOARD = ROOT / "contrib/prometheus/mailtls-dashboard.json"
JOBS = ("mailtls-probe", "mailtls-scheduled")


@dataclass
class Stack:
    prometheus: str  # http://127.0.0.1:PORT
    exporter: str
    good: str
    expired: str
    down: str

    def query(self, expr: str) -> list[dict[str, Any]]:
        doc = api(self.prometheus, "/api/v1/query", query=expr)
        assert doc["status"] == "success", doc
        result: list[dict[str, Any]] = doc["data"]["result"]
        return result


def api(base: str, path: str, **params: str) -> dict[str, Any]:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else base + path
    with urllib.request.urlopen(url, timeout=10) as reply:
        doc: dict[str, Any] = json.load(reply)
        return doc


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out)


def _prometheus_config(exporter_port: int, targets: list[str]) -> dict[str, Any]:
    exporter = f"127.0.0.1:{exporter_port}"
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {   # blackbox_exporter's multi-target pattern
                "job_name": JOBS[0],
                "metrics_path": "/probe",
                "static_configs": [{"targets": targets}],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"target_label": "__address__", "replacement": exporter},
                ],
            },
            {"job_name": JOBS[1], "static_configs": [{"targets": [exporter]}]},
        ],
    }


@pytest.fixture(scope="module")
def stack(plugin_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: run scripts/install-deps.sh", pytrace=False)
    d = tmp_path_factory.mktemp("prometheus")
    exporter_port, prom_port, down_port = free_ports(3)
    targets = [lab_url(plugin_lab, "good"), lab_url(plugin_lab, "expired"),
               f"smtp://127.0.0.1:{down_port}"]
    (d / "targets.txt").write_text("\n".join(targets) + "\n")
    exporter = _start([sys.executable, "-m", "mailtls", "exporter",
                       "--listen", f"127.0.0.1:{exporter_port}", "--allow", "localhost",
                       "--allow", "smtp://127.0.0.1:*", "--targets", str(d / "targets.txt"),
                       "--interval", "2", "--timeout", "5", "--trust", "none",
                       "--ca-file", str(plugin_lab.ca_file)], d / "exporter.log")
    (d / "prometheus.yml").write_text(yaml.safe_dump(_prometheus_config(exporter_port, targets)))
    prom = _start(["prometheus", f"--config.file={d / 'prometheus.yml'}",
                   f"--storage.tsdb.path={d / 'data'}",
                   f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                  d / "prometheus.log")
    base = f"http://127.0.0.1:{prom_port}"
    try:
        def ready() -> bool:
            with urllib.request.urlopen(base + "/-/ready", timeout=2) as r:
                return r.status == 200

        wait_until(ready, 60, "prometheus", lambda: None if prom.poll() is None else
                   (d / "prometheus.log").read_text())
        s = Stack(base, f"http://127.0.0.1:{exporter_port}", *targets)

        def scraped() -> bool:
            return len(s.query("mailtls_probe_success")) == 2 * len(targets)

        wait_until(scraped, 90, "series in prometheus", lambda: None if exporter.poll() is None
                   else (d / "exporter.log").read_text())
        yield s
    finally:
        for process in (prom, exporter):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def one(stack: Stack, expr: str) -> float:
    result = stack.query(expr)
    assert len(result) == 1, (expr, result)
    return float(result[0]["value"][1])


@pytest.mark.parametrize("job", JOBS)
def test_good_endpoint(stack: Stack, plugin_lab: Lab, job: str) -> None:
    sel = f'{{job="{job}",target="{stack.good}"}}'
    assert one(stack, f"mailtls_probe_success{sel}") == 1
    assert one(stack, f"mailtls_cert_verified{sel}") == 1
    leaf = x509.load_pem_x509_certificate((plugin_lab.directory / "good.pem").read_bytes())
    not_after = one(stack, f"mailtls_cert_not_after_timestamp_seconds{sel}")
    assert not_after == leaf.not_valid_after_utc.timestamp()
    assert one(stack, f"mailtls_cert_not_before_timestamp_seconds{sel}") == \
        leaf.not_valid_before_utc.timestamp()
    info = stack.query(f"mailtls_cert_info{sel}")[0]["metric"]
    assert info["sha256"] == leaf.fingerprint(hashes.SHA256()).hex()
    assert info["serial"] and info["spki_sha256"] and "localhost" in info["subject"]
    assert info["host"] == "localhost" and info["scheme"] == "smtp"
    assert info["address"] == "127.0.0.1" and info["port"] == stack.good.rsplit(":", 1)[1]
    assert stack.query(f"mailtls_tls_version_info{sel}")[0]["metric"]["version"] == "TLSv1.3"
    assert one(stack, f'mailtls_findings{{job="{job}",target="{stack.good}",'
                      'severity="critical"}') == 0
    assert one(stack, f"mailtls_probe_duration_seconds{sel}") > 0


@pytest.mark.parametrize("job", JOBS)
def test_expired_endpoint_keeps_its_metrics(stack: Stack, job: str) -> None:
    sel = f'{{job="{job}",target="{stack.expired}"}}'
    assert one(stack, f"mailtls_probe_success{sel}") == 1
    assert one(stack, f"mailtls_cert_verified{sel}") == 0
    assert one(stack, f"mailtls_cert_not_after_timestamp_seconds{sel}") < time.time()
    assert len(stack.query(f"mailtls_cert_info{sel}")) == 1
    assert one(stack, f'mailtls_findings{{job="{job}",target="{stack.expired}",'
                      'severity="critical"}') >= 1
    assert one(stack, f'mailtls_finding_info{{job="{job}",target="{stack.expired}",'
                      'id="cert.expired"}') == 1


@pytest.mark.parametrize("job", JOBS)
def test_unreachable_endpoint(stack: Stack, job: str) -> None:
    sel = f'{{job="{job}",target="{stack.down}"}}'
    assert one(stack, f"mailtls_probe_success{sel}") == 0
    assert stack.query(f"mailtls_cert_verified{sel}") == []
    assert stack.query(f"mailtls_cert_not_after_timestamp_seconds{sel}") == []
    assert one(stack, f'mailtls_finding_info{{job="{job}",target="{stack.down}",'
                      'id="conn.refused"}') == 1


def test_rules_load_and_alerts_fire(stack: Stack) -> None:
    groups = api(stack.prometheus, "/api/v1/rules")["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == 8 and all(r["health"] == "ok" for r in rules), rules

    def alerts() -> dict[tuple[str, str], str]:
        doc = api(stack.prometheus, "/api/v1/alerts")["data"]["alerts"]
        return {(a["labels"]["alertname"], a["labels"].get("target", "")): a["state"]
                for a in doc}

    def expired_fires() -> bool:
        return alerts().get(("MailTLSCertificateExpired", stack.expired)) == "firing"

    wait_until(expired_fires, 30, "MailTLSCertificateExpired firing")
    now = alerts()
    assert now[("MailTLSCertificateNotVerified", stack.expired)] in ("pending", "firing")
    assert now[("MailTLSEndpointDown", stack.down)] in ("pending", "firing")
    assert not any(target == stack.good for _, target in now)


def test_dashboard_expressions_are_accepted(stack: Stack) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) == len(dashboard["panels"])
    empty = []
    for expr in exprs:
        result = stack.query(expr.replace("$target", ".*"))
        if not result:
            empty.append(expr)
    # only the change panel may be empty: no certificate changed while the test ran
    assert empty == [e for e in exprs if "changed" in e]


def test_probe_refuses_what_is_not_allowed(stack: Stack) -> None:
    def status(query: str) -> int:
        try:
            with urllib.request.urlopen(f"{stack.exporter}/probe?{query}", timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status("target=smtp://mail.example.org:25") == 403
    assert status("target=smtp%3A%2F%2F127.0.0.1%3A25%2Fpath") == 400
    assert status("") == 400
    assert status("&".join(f"target=smtp://localhost:{p}" for p in range(1, 60))) == 400
