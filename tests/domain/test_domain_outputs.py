"""The domain verdict in the monitor's outputs, against the real Knot/Postfix lab.

``mailtls check --domain`` (Nagios/Icinga), the exporter's domain metrics and the monitor
pass's ``domain.verdict_regressed`` alert, each for an authenticated and a broken domain.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from knotlab import DomainLab

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
