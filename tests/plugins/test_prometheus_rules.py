"""The alert rules of contrib/prometheus, checked and unit-tested by promtool."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CONTRIB = Path(__file__).resolve().parents[2] / "contrib/prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is not installed: run scripts/install-deps.sh", pytrace=False)
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120,
                          cwd=CONTRIB, stdin=subprocess.DEVNULL)


def test_rules_are_valid() -> None:
    p = promtool("check", "rules", "mailtls-alerts.yml")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS: 8 rules found" in p.stdout


def test_rules_unit_tests_pass() -> None:
    p = promtool("test", "rules", "mailtls-alerts.test.yml")
    assert p.returncode == 0, p.stdout + p.stderr


def test_rule_unit_tests_can_fail(tmp_path: Path) -> None:
    """The unit tests notice a broken rule (an expiry threshold of 40 instead of 14 days)."""
    rules = (CONTRIB / "mailtls-alerts.yml").read_text()
    assert "< 14 * 86400" in rules
    (tmp_path / "mailtls-alerts.yml").write_text(rules.replace("< 14 * 86400", "< 40 * 86400"))
    shutil.copy(CONTRIB / "mailtls-alerts.test.yml", tmp_path)
    p = subprocess.run(["promtool", "test", "rules", "mailtls-alerts.test.yml"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and "MailTLSCertificateExpiresIn14Days" in p.stdout + p.stderr


def test_dashboard_uses_only_exported_metrics() -> None:
    from mailtls.export.prometheus import render_metrics  # noqa: F401  (the names below)

    doc = json.loads((CONTRIB / "mailtls-dashboard.json").read_text())
    names = {"mailtls_probe_success", "mailtls_cert_verified", "mailtls_findings",
             "mailtls_cert_not_after_timestamp_seconds", "mailtls_cert_info",
             "mailtls_finding_info", "mailtls_tls_version_info",
             "mailtls_cert_changed_timestamp_seconds", "mailtls_probe_duration_seconds"}
    used = {w for p in doc["panels"] for t in p["targets"]
            for w in t["expr"].replace("(", " ").replace("{", " ").split()
            if w.startswith("mailtls_")}
    assert used <= names and used
    assert doc["uid"] == "mailtls-certificates"
