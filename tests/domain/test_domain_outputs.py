"""The domain verdict in the monitor's outputs, against the real Knot/Postfix lab.

``mailtls check --domain`` (Nagios/Icinga), the exporter's domain metrics and the monitor
pass's ``domain.verdict_regressed`` alert, each for an authenticated and a broken domain.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from knotlab import DomainLab
from prometheus_client.parser import text_string_to_metric_families

from mailtls.monitor import PassReport, load_inventory, run_pass
from mailtls.monitor.domains import verdict_of
from mailtls.store import HistoryStore
from servers.ports import free_ports

pytestmark = pytest.mark.servers

MAILTLS = [sys.executable, "-m", "mailtls"]


def check(lab: DomainLab, *args: str, lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang, "LANGUAGE": "", "COLUMNS": "160"}
    return subprocess.run([*MAILTLS, "check", *lab.args(), *args], capture_output=True,
                          text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)


def test_check_domain_authenticated_is_ok(domain_lab: DomainLab) -> None:
    done = check(domain_lab, "--domain", "dane.test")
    head = done.stdout.splitlines()[0]
    assert done.returncode == 0, done.stdout + done.stderr
    assert head.startswith("MAILTLS OK - dane.test: authenticated"), head
    assert "| mx_pass=2;;;0;2 time=" in head


def test_check_domain_broken_is_critical(domain_lab: DomainLab) -> None:
    done = check(domain_lab, "--domain", "wrongtlsa.test")
    head, *long = done.stdout.splitlines()
    assert done.returncode == 2, done.stdout + done.stderr
    assert head.startswith("MAILTLS CRITICAL - wrongtlsa.test: broken"), head
    assert "| mx_pass=0;;;0;1 " in head
    assert any("dane.no_match" in line for line in long), long


def test_check_domain_opportunistic_warns_unless_required(domain_lab: DomainLab) -> None:
    done = check(domain_lab, "--domain", "unsigned.test")
    assert done.returncode == 1, done.stdout
    assert done.stdout.startswith("MAILTLS WARNING - unsigned.test: opportunistic")
    strict = check(domain_lab, "--domain", "unsigned.test", "--require", "authenticated")
    assert strict.returncode == 2 and strict.stdout.startswith("MAILTLS CRITICAL"), strict.stdout


def test_check_domain_dns_failure_is_unknown(domain_lab: DomainLab) -> None:
    args = [a if a != domain_lab.resolver else f"{domain_lab.net}54:53" for a in domain_lab.args()]
    env = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": ""}
    done = subprocess.run([*MAILTLS, "check", *args, "--timeout", "1", "--domain", "dane.test"],
                          capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.startswith("MAILTLS UNKNOWN - dane.test: DNS look-up failed"), done.stdout


def test_check_domain_chinese(domain_lab: DomainLab) -> None:
    done = check(domain_lab, "--domain", "dane.test", "--lang", "zh_CN")
    assert done.returncode == 0
    assert "2 台 MX 主机中 2 台通过" in done.stdout, done.stdout


def test_check_needs_target_or_domain(domain_lab: DomainLab) -> None:
    done = check(domain_lab)
    assert done.returncode == 3
    assert done.stdout.startswith("MAILTLS UNKNOWN - "), done.stdout
    assert "--domain" in done.stdout


# --- the monitor pass: domain.verdict_regressed ------------------------------------------


def _inventory(lab: DomainLab, tmp: Path, anchor: Path, resolver: str | None = None) -> Path:
    path = tmp / "watch.toml"
    path.write_text(
        f'[scan]\nnameservers = ["{resolver or lab.resolver}"]\ntimeout = 5\n'
        f'[history]\nurl = "sqlite:///{tmp / "h.sqlite"}"\n'
        f'[[domain]]\nname = "dane.test"\nport = {lab.mx_port}\nca_file = ["{lab.ca_file}"]\n'
        f'authenticated = true\ntrust_anchor = "{anchor}"\n'
    )
    return path


def _pass(path: Path) -> PassReport:
    inventory = load_inventory(path)
    store = HistoryStore.open(inventory.history_url)
    try:
        return asyncio.run(run_pass(inventory, store))
    finally:
        store.close()


def _regressed(report: PassReport) -> list[str]:
    return [a.endpoint for a in report.alerts if a.key == "domain.verdict_regressed"]


def test_monitor_raises_once_and_resolves_verdict_regression(domain_lab: DomainLab,
                                                             tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-anchor.txt"  # the DS digest changed: dane.test turns bogus
    text = domain_lab.anchor.read_text().rstrip()
    wrong.write_text(text[:-1] + ("0" if text[-1] != "0" else "1") + "\n")
    first = _pass(_inventory(domain_lab, tmp_path, domain_lab.anchor))
    assert [v.verdict for v in first.domains] == ["authenticated"]
    assert not _regressed(first)
    down = _pass(_inventory(domain_lab, tmp_path, wrong))
    assert [v.verdict for v in down.domains] == ["broken"]
    assert [a.endpoint for a in down.raised] == ["domain:dane.test"]
    assert down.raised[0].finding.params["verdict"] == "broken"
    again = _pass(_inventory(domain_lab, tmp_path, wrong))
    assert _regressed(again) == ["domain:dane.test"] and not again.raised  # notified once
    dead = _pass(_inventory(domain_lab, tmp_path, domain_lab.anchor, f"{domain_lab.net}54:53"))
    assert [v.verdict for v in dead.domains] == [None]  # DNS failed: not judged, kept open
    assert _regressed(dead) == ["domain:dane.test"] and not dead.resolved
    back = _pass(_inventory(domain_lab, tmp_path, domain_lab.anchor))
    assert [v.verdict for v in back.domains] == ["authenticated"]
    assert ("domain:dane.test", "domain.verdict_regressed") in [
        (a.endpoint, a.key) for a in back.resolved]
    assert not _regressed(back)
    store = HistoryStore.open(f"sqlite:///{tmp_path / 'h.sqlite'}")
    try:
        timeline = store.timeline("domain:dane.test")
    finally:
        store.close()
    assert [verdict_of(r) for r in timeline] == [
        "authenticated", None, "broken", "broken", "authenticated"]


def test_monitor_broken_from_the_start_is_not_a_regression(domain_lab: DomainLab,
                                                           tmp_path: Path) -> None:
    path = _inventory(domain_lab, tmp_path, domain_lab.anchor)
    path.write_text(path.read_text().replace('"dane.test"', '"wrongtlsa.test"'))
    report = _pass(path)
    assert [v.verdict for v in report.domains] == ["broken"]
    assert not _regressed(report)


# --- the exporter: mailtls_domain_verdict, mailtls_domain_mx_authenticated ---------------


def _scrape_until(url: str, name: str, proc: subprocess.Popen[str]) -> str:
    for _ in range(600):  # the first pass scans the MX hosts and asks Knot: a few seconds
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                text = answer.read().decode()
            if name in text:
                return text
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{name} never appeared at {url}")


def test_exporter_exports_domain_verdicts(domain_lab: DomainLab, tmp_path: Path) -> None:
    path = _inventory(domain_lab, tmp_path, domain_lab.anchor)
    path.write_text(path.read_text() + f'[[domain]]\nname = "wrongtlsa.test"\n'
                    f'port = {domain_lab.mx_port}\nauthenticated = true\n'
                    f'trust_anchor = "{domain_lab.anchor}"\n')  # fmt: skip
    port = free_ports(1, ["127.0.0.1"])[0]
    env = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": ""}
    proc = subprocess.Popen([*MAILTLS, "exporter", "--listen", f"127.0.0.1:{port}",
                             "--inventory", str(path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        text = _scrape_until(f"http://127.0.0.1:{port}/metrics", "mailtls_domain_verdict{", proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    values = {(f.name, tuple(sorted(s.labels.items()))): s.value
              for f in text_string_to_metric_families(text) for s in f.samples}
    def verdict(domain: str, word: str) -> float:
        return values[("mailtls_domain_verdict", (("domain", domain), ("verdict", word)))]
    assert verdict("dane.test", "authenticated") == 1 and verdict("dane.test", "broken") == 0
    assert verdict("wrongtlsa.test", "broken") == 1
    assert verdict("wrongtlsa.test", "authenticated") == 0
    mx = "mailtls_domain_mx_authenticated"
    assert values[(mx, (("domain", "dane.test"), ("mx", "mx1.dane.test")))] == 1
    assert values[(mx, (("domain", "dane.test"), ("mx", "mx2.dane.test")))] == 1
    assert values[(mx, (("domain", "wrongtlsa.test"), ("mx", "mx1.wrongtlsa.test")))] == 0
    assert values[("mailtls_domain_check_success", (("domain", "dane.test"),))] == 1
    # the endpoints of the MX hosts are still exported beside the verdicts
    assert f'host="mx1.dane.test",port="{domain_lab.mx_port}"' in text
