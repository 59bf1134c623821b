"""The domain alert rules of contrib/prometheus, checked and unit-tested by promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CONTRIB = Path(__file__).resolve().parents[2] / "contrib/prometheus"
RULES, TESTS = "mailtls-domain-alerts.yml", "mailtls-domain-alerts.test.yml"


def promtool(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is not installed: run scripts/install-deps.sh", pytrace=False)
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, stdin=subprocess.DEVNULL)


def test_domain_rules_are_valid_and_pass_their_tests() -> None:
    p = promtool(CONTRIB, "check", "rules", RULES)
    assert p.returncode == 0 and "SUCCESS: 2 rules found" in p.stdout, p.stdout + p.stderr
    p = promtool(CONTRIB, "test", "rules", TESTS)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("old,new", [
    ("[1d]) == 1)", "[1d]) >= 0)"),  # a never-authenticated domain would alert
    ('verdict="broken"} == 1', 'verdict="broken"} == 0'),
])  # fmt: skip
def test_domain_rule_tests_can_fail(tmp_path: Path, old: str, new: str) -> None:
    rules = (CONTRIB / RULES).read_text()
    assert old in rules
    (tmp_path / RULES).write_text(rules.replace(old, new))
    shutil.copy(CONTRIB / TESTS, tmp_path)
    p = promtool(tmp_path, "test", "rules", TESTS)
    assert p.returncode != 0, p.stdout
